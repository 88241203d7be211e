"""One row through exactly the import's rules (for the API and forms): clean, match, write."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from betang.regions.scope import RegionScope
from betang.registry.imports import validation as v
from betang.registry.imports.household_matching import _match_households
from betang.registry.imports.household_writes import _write_households
from betang.registry.imports.households import _clean_person
from betang.registry.imports.kinds import ORG_SPECS
from betang.registry.imports.organisations import _flush_orgs
from betang.registry.imports.rows import Context, Outcome, RowResult
from betang.registry.models import ImportBatch


def upsert_row(kind: str, fields: dict[str, Any], *, scope: RegionScope, occurred_at: datetime) -> RowResult:
    """One row through exactly the import's rules (for the API and forms): validate, match, write."""
    ctx = Context(
        source="API",
        regions=v.RegionIndex.load(),
        scope=scope,
        today=timezone.localdate(occurred_at),
        now=occurred_at,
        original=lambda values: [str(x) for x in values],
    )
    values = list(fields.values())
    results: list[RowResult] = []
    with transaction.atomic():
        if kind == ImportBatch.Kind.HOUSEHOLDS:
            cleaned = _clean_person(ctx, 1, fields, values)
            if isinstance(cleaned, RowResult):
                return cleaned
            writes, _ = _match_households(ctx, [cleaned], results)
            _write_households(writes)
            if isinstance(results[0].object_id, str):
                results[0].object_id = UUID(results[0].object_id)
        else:
            spec = ORG_SPECS[kind]
            clean_values, issues = spec.clean(ctx, fields)
            if any(i.is_error for i in issues):
                return RowResult(1, Outcome.REJECTED, issues)
            (spec.flush or _flush_orgs)(ctx, spec, [(1, values, clean_values, issues)], results)
    return results[0]
