"""The JSON API, version 1: one NinjaAPI, a router per app, one error shape {code, message, details}."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

import betang
from betang.accounts.api import api_auth
from betang.aid.api import MISSING_HEADERS
from betang.aid.api import router as aid_router
from betang.core import clock
from betang.core.errors import DomainError
from betang.regions.api import router as regions_router
from betang.registry.api import router as registry_router
from betang.web.api import errors


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    http_status = 415
    message = gettext_lazy("Send the body as JSON (Content-Type: application/json).")


class InvalidJson(DomainError):
    code = "invalid_json"
    http_status = 400
    message = gettext_lazy("The body is not valid JSON.")


class JsonParser(Parser):
    """Bodies are JSON only: another content type is a 415, malformed JSON a 400, each with its own code."""

    def parse_body(self, request):
        content_type = request.content_type or ""
        if content_type and content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType()
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            raise InvalidJson() from exc


api = NinjaAPI(
    title="Betang API",
    version="1",
    urls_namespace="api-v1",
    auth=api_auth,
    docs_url="/docs",
    parser=JsonParser(),
    description="Registry, aid, outlets and revolving fund of Betang. Errors are "
    '`{"code": "...", "message": "...", "details": ...}` with a stable code.',
)


def _error(request, status: int, code: str, message: str, details=None):
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return _error(request, exc.http_status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "missing" and loc[:1] == ("header",) and loc[-1] in MISSING_HEADERS:
            return domain_error(request, MISSING_HEADERS[loc[-1]]())
    return _error(request, 422, "invalid_request", _("The request is not valid."), exc.errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(AuthorizationError)
def authorization_error(request, exc):
    return _error(request, 403, "permission_denied", _("You are not allowed to do this."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, DomainError):  # ninja wraps what the parser raises in an HttpError(400)
        return domain_error(request, exc.__cause__)
    return _error(request, exc.status_code, "http_error", str(exc))


class HealthOut(Schema):
    status: str
    version: str
    role: str
    database: str
    time: str


@api.get(
    "/health",
    auth=None,
    response={200: HealthOut, **errors(auth=False)},
    tags=["system"],
    summary="Is the server up and its database reachable?",
)
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {
        "status": "ok",
        "version": betang.__version__,
        "role": settings.ROLE,
        "database": connection.vendor,
        "time": clock.now().isoformat(),
    }


api.add_router("/regions", regions_router)
api.add_router("/registry", registry_router)
api.add_router("/aid", aid_router)
