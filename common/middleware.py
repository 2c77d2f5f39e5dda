import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class PortalLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose another language with the switch (its cookie).

    The browser's Accept-Language is ignored on purpose: many officers' browsers are set to
    English, and the portal is a Vietnamese public service first.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            # API clients choose their language with Accept-Language (Vietnamese by default).
            header = request.headers.get("Accept-Language", "")
            language = "en" if header.lower().startswith("en") else settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


LOGIN_AT = "_sxsh_login_at"


class SessionLifetimeMiddleware:
    """Ends a session 12 hours (``SESSION_ABSOLUTE_SECONDS``) after its log-in, however active it
    stayed (the idle timeout is the session cookie's age, renewed by every request). The log-in time
    is written by ``mark_login`` (connected to ``user_logged_in`` in accounts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(LOGIN_AT)
            now = int(time.time())
            if started is None or now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                from django.contrib.auth import logout

                logout(request)  # flushes the server-side session too
        return self.get_response(request)


def mark_login(sender, request, user, **kwargs):
    request.session[LOGIN_AT] = int(time.time())
