"""Writing a matched chunk of household rows set-based: COPY / executemany, and bulk updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from betang.core.bulk import bulk_insert
from betang.registry.models import DtsenSnapshot, DuplicateCandidate, Household, HouseholdKk, Person

_PERSON_FIELDS = [
    "id",
    "nik",
    "name",
    "name_key",
    "block_key",
    "birth_date",
    "sex",
    "household",
    "relation",
    "region_code",
    "phone",
    "warnings",
    "review",
    "created_at",
    "updated_at",
]
# What an import may change on a registered person: everything but identity, review state and birth.
_UPDATE_FIELDS = [f for f in _PERSON_FIELDS if f not in {"id", "nik", "review", "created_at"}]


@dataclass
class _HouseholdWrites:
    """One chunk's writes, as plain rows built when it was matched (they are written later, maybe in
    another thread, while the objects they came from go on changing with the next chunks)."""

    at: datetime
    new_homes: list[tuple] = field(default_factory=list)
    kk_closed: list[Any] = field(default_factory=list)
    kk_rows: list[tuple] = field(default_factory=list)
    changed_homes: list[Household] = field(default_factory=list)
    new_people: list[tuple] = field(default_factory=list)
    changed_people: list[Person] = field(default_factory=list)
    snapshots: list[tuple] = field(default_factory=list)
    candidates: list[tuple] = field(default_factory=list)


def _write_households(writes: _HouseholdWrites) -> None:
    """Write one matched chunk (the caller's transaction)."""
    bulk_insert(
        Household,
        ["id", "kk_number", "region_code", "address", "latest_decile", "created_at", "updated_at"],
        writes.new_homes,
    )
    if writes.kk_closed:
        HouseholdKk.objects.filter(household_id__in=writes.kk_closed, valid_to__isnull=True).update(valid_to=writes.at)
    bulk_insert(HouseholdKk, ["household", "kk_number", "valid_from"], writes.kk_rows)
    if writes.changed_homes:
        Household.objects.bulk_update(
            writes.changed_homes, ["kk_number", "region_code", "address", "latest_decile", "updated_at"], batch_size=500
        )
    bulk_insert(Person, _PERSON_FIELDS, writes.new_people)
    if writes.changed_people:
        Person.objects.bulk_update(writes.changed_people, _UPDATE_FIELDS, batch_size=500)
    bulk_insert(DtsenSnapshot, ["household", "decile", "source", "as_of_date"], writes.snapshots)
    bulk_insert(
        DuplicateCandidate,
        ["existing", "candidate", "score", "reason", "region_code", "status", "created_at"],
        writes.candidates,
    )
