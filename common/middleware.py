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
