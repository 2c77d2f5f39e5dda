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
SEEN_AT = "_sxsh_seen_at"
TOUCH_SECONDS = 5 * 60


class SessionLifetimeMiddleware:
    """Ends a session 12 hours (``SESSION_ABSOLUTE_SECONDS``) after its log-in, however active it
    stayed, and keeps the idle timeout: the session's expiry (``SESSION_COOKIE_AGE``, 30 minutes) is
    renewed by activity, at most every 5 minutes so that a page view does not write its session each
    time (an idle session thus ends between 25 and 30 minutes after the last request). The log-in
    time is written by ``mark_login`` (connected to ``user_logged_in`` in accounts)."""

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
            elif now - int(request.session.get(SEEN_AT, 0)) >= TOUCH_SECONDS:
                request.session[SEEN_AT] = now  # modified: saved with a new expiry
        return self.get_response(request)


def mark_login(sender, request, user, **kwargs):
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
