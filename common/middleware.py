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


class HostileRequestMiddleware:
    """Refuses, before any view runs, what no page or API call takes and what would otherwise reach
    PostgreSQL or a parser as is (OWASP ASVS 5.1):

    - a NUL character in the path or the query (PostgreSQL refuses NUL in text, which was a 500):
      400, in the API's error format under /api/, Django's HTML 400 elsewhere;
    - under /api/, a body whose ``Content-Length`` is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 in
      the API's error format (Django answered its HTML 400 when the body was read).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            return self._nul(request, api)
        if api:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if limit is not None and length > limit:
                from common.api import too_large_response

                return too_large_response(request)
        return self.get_response(request)

    def _nul(self, request, api):
        from django.core.exceptions import SuspiciousOperation
        from django.http import JsonResponse
        from django.utils.translation import gettext
        from django.views.defaults import bad_request

        detail = gettext("The address contains a NUL character, which no page or field accepts.")
        if api:
            return JsonResponse(
                {"type": "client_error", "errors": [{"code": "invalid", "detail": detail, "attr": None}]},
                status=400,
            )
        return bad_request(request, SuspiciousOperation(detail))


PUBLIC_CACHE_SECONDS = 10 * 60


def public_cache(view=None, *, max_age=PUBLIC_CACHE_SECONDS):
    """Marks a view whose answer is the same for every anonymous visitor (the open data): answered
    anonymously, it keeps ordinary caching (``max-age``; ``public`` unless it sets a cookie, such as
    a page's CSRF cookie, which a shared cache must not hand to another visitor). Answered to a
    signed-in user it is private and not stored, like every other answer (``CacheControlMiddleware``)."""

    def mark(func):
        func.public_cache_seconds = max_age
        return func

    return mark(view) if view is not None else mark


class CacheControlMiddleware:
    """``Cache-Control: private, no-store`` on every answer to an authenticated request (OWASP ASVS
    8.2.1): a signed-in user (session) or an API key, which DRF authenticates inside the view and
    sets on ``request.user`` then; any request with an ``Authorization`` header counts too. Views
    marked with ``public_cache`` keep ordinary caching for anonymous visitors. Placed before the
    CSRF and session middleware, so that it sees the cookies they set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.public_cache_seconds = getattr(view_func, "public_cache_seconds", None)

    def __call__(self, request):
        from django.utils.cache import patch_cache_control, patch_vary_headers

        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            value = response.get("Cache-Control", "").lower()
            if not ("no-store" in value and "private" in value and "public" not in value):
                response["Cache-Control"] = "private, no-store"
            return response
        seconds = getattr(request, "public_cache_seconds", None)
        if seconds is not None and response.status_code == 200 and not response.has_header("Cache-Control"):
            shared = not response.cookies
            patch_cache_control(response, public=shared, private=not shared, max_age=seconds)
            patch_vary_headers(response, ("Cookie",))  # the language chosen with the switch
        return response
