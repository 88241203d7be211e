"""Single rows (API and forms): a person with their household, or an organisation, saved by the import's rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from betang.core.audit import audit_record
from betang.core.masking import mask_changes
from betang.regions.scope import RegionScope
from betang.registry.imports.kinds import ORG_SPECS
from betang.registry.imports.rows import RowResult
from betang.registry.imports.upsert import upsert_row
from betang.registry.models import ImportBatch, Person


def registry_row_save(*, kind: str, fields: dict[str, Any], actor: Any, occurred_at: datetime) -> RowResult:
    """Create or update one row (a person with their household, or an organisation) by the import's own
    rules, inside the actor's area; the write is audited. Returns the row's outcome with its issues."""
    scope = RegionScope(getattr(actor, "scope_region_code", "") or "")
    with transaction.atomic():
        result = upsert_row(kind, fields, scope=scope, occurred_at=occurred_at)
        if result.outcome in ("CREATED", "UPDATED", "HELD"):
            saved = _saved_object(kind, result.object_id)
            audit_record(
                actor=actor,
                event=f"registry.{kind}.{'updated' if result.outcome == 'UPDATED' else 'created'}",
                occurred_at=occurred_at,
                obj=saved,
                region_code=saved.region_code,
                changes=mask_changes(result.changes),  # audit text never holds a full NIK or KK
            )
    return result


def _saved_object(kind: str, pk: Any):
    persons = (ImportBatch.Kind.HOUSEHOLDS, ImportBatch.Kind.MEMBERS)  # a member row answers with its person
    model = Person if kind in persons else ORG_SPECS[kind].model
    return model.objects.get(pk=pk)
