"""Record audit events; every business write calls `audit_record` inside its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from betang.core.bulk import insert_one
from betang.core.masking import mask_changes
from betang.core.models import AuditEvent


def audit_record(
    *,
    actor: Any,
    event: str,
    occurred_at: datetime,
    obj: models.Model | None = None,
    region_code: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. `changes` maps field → [old, new]; never pass secrets. Sixteen-digit
    numbers in it (NIK, KK, card numbers) are masked here, whoever the caller: audit text is read by
    roles that may not see them, and it cannot be edited afterwards."""
    return AuditEvent.objects.create(**_row(actor, event, occurred_at, obj, region_code, changes))


def audit_append(
    *,
    actor: Any,
    event: str,
    occurred_at: datetime,
    obj: models.Model | tuple[type[models.Model], Any] | None = None,
    region_code: str = "",
    changes: dict[str, Any] | None = None,
) -> None:
    """audit_record for a hot path (a card payment, a sale): the same row, written by plain SQL
    (core.bulk.insert_one) and not read back. `obj` may be a row, or its model and key where the
    caller wrote it without making the row (`(Redemption, id)`)."""
    insert_one(AuditEvent, _row(actor, event, occurred_at, obj, region_code, changes))


def _row(
    actor: Any, event: str, occurred_at: datetime, obj: Any, region_code: str, changes: dict[str, Any] | None
) -> dict[str, Any]:
    """An audit row's columns, identifiers in `changes` masked."""
    model, pk = obj if isinstance(obj, tuple) else (obj, getattr(obj, "pk", None))
    return {
        "occurred_at": occurred_at,
        "recorded_at": timezone.now(),
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
        "event": event,
        "object_type": model._meta.label_lower if model is not None else "",
        "object_id": str(pk) if pk is not None else "",
        # The area the event belongs to, for the audit trail's scope: the object's own when not given
        # (an event with none is seen only by national users).
        "region_code": region_code or getattr(obj, "region_code", "") or "",
        "changes": mask_changes(changes),
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as field → [old, new]."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
