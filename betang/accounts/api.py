"""API authentication: bearer tokens for machines, the session (with CSRF) for the browser."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from betang.accounts.services import token_authenticate
from betang.core import clock


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        user = token_authenticate(token, occurred_at=clock.now())
        if user is not None:
            request.user = user  # scope checks read request.user for both kinds of caller
        return user


class ActiveSessionAuth(SessionAuth):
    """The logged-in browser session; ninja checks the CSRF token for unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api_auth = [TokenAuth(), ActiveSessionAuth()]
