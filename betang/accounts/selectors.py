"""Reads for accounts: the audit trail a user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from betang.accounts.access import user_scope
from betang.accounts.audit_display import event_names_alike
from betang.core.errors import NotFound
from betang.core.models import AuditEvent
from betang.regions.selectors import region_get


def audit_event_list(*, user: Any, event_prefix: str = "") -> QuerySet[AuditEvent]:
    """Audit events inside the user's scope (national-only events need a national scope)."""
    scope = user_scope(user)
    qs = AuditEvent.objects.select_related("actor")
    if not scope.is_national:
        qs = qs.filter(scope.q("region_code"))
    if event_prefix:  # an event renamed since is found by its old name and its new one alike
        qs = qs.filter(Q(event__startswith=event_prefix) | Q(event__in=event_names_alike(event_prefix)))
    return qs.order_by("-recorded_at", "-id")


def scope_label(user: Any) -> str:
    """Human name of a user's scope, e.g. `62.03 Kabupaten Kapuas`; empty for the whole country."""
    scope = user_scope(user)
    if scope.is_national:
        return ""
    try:
        region = region_get(code=scope.prefix, scope=scope)
    except NotFound:
        return scope.prefix
    return f"{region.code} {region.name}"
