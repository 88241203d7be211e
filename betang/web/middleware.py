"""Request middleware: the language (Indonesian unless English was picked) and the input guard."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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


# C0 control characters but tab, line feed and carriage return, and DEL: no field of Betang holds one, and a
# NUL makes PostgreSQL refuse the query ("A string literal cannot contain NUL") and the page end in a 500.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_control(value: Any) -> bool:
    """True when a string, or any key or string inside JSON lists and objects, holds a control character."""
    if isinstance(value, str):
        return bool(_CONTROL.search(value))
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    return False


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def error_response(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    """The API's error shape {code, message, details} for API paths; a plain Indonesian-first page elsewhere."""
    if is_api(request):
        return JsonResponse({"code": code, "message": str(message), "details": details}, status=status)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    page = render_to_string("web/input_error.html", {"message": message, "LANGUAGE_CODE": language})
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


class InputGuardMiddleware:
    """Refuses a request whose input no field could hold, before any view or query sees it.

    A control character (NUL above all) in the path, a query string, a header or cookie, a form field
    or a JSON body is a 400 `invalid_input`; a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is a 413
    `request_too_large`, and more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS a 400. On API paths every error response without a
    JSON body (Django's 404 for an unknown path, 405 for a wrong method, 500) is given the API's
    shape, so a client always meets {code, message, details}.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refusal(request)
        response = refused if refused is not None else self.get_response(request)
        if is_api(request) and response.status_code >= 400 and not _is_json(response):
            response = self._api_shape(request, response)
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            bad = self._bad_field(request)
        except RequestDataTooBig:
            return error_response(
                request, 413, "request_too_large", _("The request is too large."), {"limit_bytes": _limit()}
            )
        except TooManyFieldsSent:
            return error_response(request, 400, "invalid_input", _("The request has too many fields."))
        except RecursionError:  # JSON nested deeper than Python's stack can walk
            return error_response(request, 400, "invalid_json", _("The body is not valid JSON."))
        if bad is None:
            return None
        return error_response(
            request,
            400,
            "invalid_input",
            _("The request holds a control character (such as NUL) that no field accepts."),
            {"field": bad},
        )

    def _bad_field(self, request: HttpRequest) -> str | None:
        if _CONTROL.search(request.path_info):
            return "path"
        for key, values in request.GET.lists():
            if _has_control(key) or any(_has_control(v) for v in values):
                return key if not _has_control(key) else "query"
        # Headers and cookies reach SQL too: a bearer token's prefix, the session key.
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and _CONTROL.search(value):
                return "header " + key[5:].replace("_", "-").title()
        if request.method in {"GET", "HEAD", "OPTIONS"} and not request.META.get("CONTENT_LENGTH"):
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(_FORM_TYPES):
            for key, values in request.POST.lists():
                if _has_control(key) or any(_has_control(v) for v in values):
                    return key if not _has_control(key) else "body"
            for key, files in request.FILES.lists():
                if any(_has_control(f.name or "") for f in files):
                    return key
            return None
        body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig beyond it)
        if not body:
            return None
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return None  # not text: the view that reads it refuses it
        if _CONTROL.search(text):
            return "body"
        if text.lstrip()[:1] in {"{", "["}:
            try:
                data = json.loads(text)
            except ValueError:
                return None  # malformed JSON: the API answers 400 invalid_json
            if _has_control(data):
                return "body"
        return None

    def _api_shape(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        code, message = _API_STATUS.get(status, ("http_error", _("The request could not be served.")))
        details = None
        if status == 405 and response.get("Allow"):
            details = {"allowed": [m.strip() for m in response["Allow"].split(",")]}
        shaped = JsonResponse({"code": code, "message": str(message), "details": details}, status=status)
        if response.get("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped


_API_STATUS = {
    400: ("bad_request", gettext_lazy("The request is not valid.")),
    403: ("permission_denied", gettext_lazy("You are not allowed to do this.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    413: ("request_too_large", gettext_lazy("The request is too large.")),
    500: ("server_error", gettext_lazy("Something went wrong on the server.")),
}


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
