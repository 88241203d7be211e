"""Language choice: Bahasa Indonesia unless the user picked English (the browser's language is ignored)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Activates the language saved by the switcher (cookie), else LANGUAGE_CODE.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which shows English to an
    officer whose phone happens to be set to English; the platform is Indonesian first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
