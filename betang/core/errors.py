"""DomainError: a refusal with a stable code the API returns and the UI translates."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every refusal a service makes; subclasses set `code` and `http_status`."""

    code = "error"
    http_status = 400
    message = _("The request was refused.")

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = str(message or self.message)
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    message = _("You are not allowed to do this.")
