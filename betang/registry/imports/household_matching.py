"""Matching a chunk of household rows: decided row by row in memory, collected as rows to write in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from betang.core.ids import new_id
from betang.core.masking import mask_nik
from betang.registry.imports import validation as v
from betang.registry.imports.duplicates import Block, _duplicate_issue, _join_block, _probable_duplicate
from betang.registry.imports.household_lookups import _Found, _Home, _lookup_households, _Member
from betang.registry.imports.household_writes import _HouseholdWrites
from betang.registry.imports.households import PersonRecord, _unpack
from betang.registry.imports.pipeline.writer import _Unseen
from betang.registry.imports.rows import Context, Outcome, RowResult, _elsewhere
from betang.registry.models import DuplicateCandidate, Household, Person
from betang.registry.services import matching

# Enum members read once: an attribute of a choices class costs a descriptor call per row.
_POSSIBLE_DUPLICATE, _FLAGGED = Person.Review.POSSIBLE_DUPLICATE.value, Person.Review.WARNING.value
_CLEAN = Person.Review.NONE.value
_CREATED, _HELD, _UPDATED, _UNCHANGED, _REJECTED = (
    Outcome.CREATED.value,
    Outcome.HELD.value,
    Outcome.UPDATED.value,
    Outcome.UNCHANGED.value,
    Outcome.REJECTED.value,
)
_OPEN = DuplicateCandidate.Status.OPEN.value


@dataclass
class _Decisions:
    """What a chunk's rows decided so far, in file order; each row sees what the rows before it decided."""

    writes: _HouseholdWrites
    new_homes: list[_Home] = field(default_factory=list)
    changed_homes: dict[Any, _Home] = field(default_factory=dict)
    changed_people: dict[str, _Member] = field(default_factory=dict)
    new_members: dict[str, _Member] = field(default_factory=dict)  # kept only to `remember` them
    snapshots: dict[tuple[Any, date], tuple] = field(default_factory=dict)


def _match_households(
    ctx: Context,
    records: list[PersonRecord],
    results: list[RowResult],
    unseen: list[_Unseen] = (),
    *,
    remember: bool = False,
) -> tuple[_HouseholdWrites, _Unseen | None]:
    """Match one chunk of clean person rows against the registry: each row's outcome into `results`,
    and the rows to write. With `remember`, also what the chunk wrote, for the next chunks' lookups
    until it is committed (see _Unseen).

    Existing rows are read as plain values (the lookups' fixed number of queries, whatever the chunk's
    size; never a query per row) and new rows written set-based (COPY / executemany) by
    _write_households: the ORM's per-object work was most of an import's time.
    """
    found = _lookup_households(ctx, records, list(unseen))
    chunk = _Decisions(_HouseholdWrites(at=ctx.now))
    for rec in records:
        results.append(_match_row(ctx, rec, found, chunk, remember))
    writes = _rows_to_write(chunk, ctx.now)
    for home in chunk.new_homes:  # written now: to a later chunk they are households like any other
        home.is_new = False
    if not remember:
        return writes, None
    touched = chunk.changed_homes | {h.id: h for h in chunk.new_homes}
    return writes, _Unseen(chunk.new_members | chunk.changed_people, touched, set(chunk.snapshots))


def _match_row(ctx: Context, rec: PersonRecord, found: _Found, chunk: _Decisions, remember: bool) -> RowResult:
    """One row's outcome: refused, or its household found or made and updated, then its person made
    (perhaps held as a probable duplicate) or updated."""
    issues = list(rec.warnings)
    person = found.persons.get(rec.nik)
    if (refusal := _refusal(ctx, rec, person, found)) is not None:
        issues.append(refusal)
        return RowResult(rec.line, _REJECTED, issues, data=_unpack(rec.original))
    changes: dict[str, Any] = {}
    home = _household_of(ctx, rec, person, found, chunk, changes)
    _update_household(ctx, rec, home, found, chunk, changes)
    if person is None:
        return _new_person(ctx, rec, home, issues, found.blocks, chunk, remember)
    return _update_person(rec, person, home, issues, changes, chunk)


def _refusal(ctx: Context, rec: PersonRecord, person: _Member | None, found: _Found) -> v.Issue | None:
    """Why the row may not be written, if it may not.

    A write touches only rows inside the user's area: a person or household registered outside it is
    never updated or moved from here (that is a transfer, done by the other area's officer). And a
    NIK registered to a person of another name is not taken over."""
    old_home = found.homes_by_id.get(person.household_id) if person is not None else None
    if person is not None and not ctx.scope.contains(person.region_code):
        return _elsewhere("nik.out_of_scope", "nik", "nik")
    if any(h is not None and not ctx.scope.contains(h.region_code) for h in (found.homes.get(rec.kk), old_home)):
        return _elsewhere("kk.out_of_scope", "kk", "kk")
    if person is not None and matching.name_score(person.name_key, rec.name_key) < 80:
        return v.Issue(
            "nik.conflict",
            _("NIK %(nik)s is already registered to %(name)s.") % {"nik": mask_nik(rec.nik), "name": person.name},
            field="nik",
        )
    return None


def _household_of(
    ctx: Context, rec: PersonRecord, person: _Member | None, found: _Found, chunk: _Decisions, changes: dict
) -> _Home:
    """The row's household by its KK; else the head's household under a new card; else a new one."""
    home = found.homes.get(rec.kk)
    if home is not None:
        return home
    old = found.homes_by_id.get(person.household_id) if person is not None else None
    if old is not None and rec.relation == "HEAD" and person.relation == "HEAD" and old.kk_number != rec.kk:
        # The head's family got a new card (moved, re-issued): same household, new KK version.
        changes["household.kk_number"] = [old.kk_number, rec.kk]
        chunk.writes.kk_closed.append(old.id)
        old.kk_number = rec.kk
        home = old
        chunk.changed_homes[old.id] = old
    else:
        home = _Home(new_id(), rec.kk, rec.region_code, rec.address, None, is_new=True)
        chunk.new_homes.append(home)
        found.homes_by_id[home.id] = home
    chunk.writes.kk_rows.append((home.id, rec.kk, ctx.now))
    found.homes[rec.kk] = home
    return home


def _update_household(
    ctx: Context, rec: PersonRecord, home: _Home, found: _Found, chunk: _Decisions, changes: dict
) -> None:
    """The household's village, address and decile as the row has them (an empty cell changes nothing);
    a decile not yet kept for its date is kept as a DTSEN snapshot."""
    if not home.is_new:
        for attr, value in (("region_code", rec.region_code), ("address", rec.address)):
            if value and getattr(home, attr) != value:
                changes[f"household.{attr}"] = [getattr(home, attr), value]
                setattr(home, attr, value)
                chunk.changed_homes[home.id] = home
    if rec.decile is None:
        return
    as_of = rec.decile_date or ctx.today
    if (home.id, as_of) not in found.snapshots:
        chunk.snapshots[(home.id, as_of)] = (home.id, rec.decile, ctx.source[:100], as_of)
    if home.latest_decile != rec.decile:
        if not home.is_new:
            changes["household.latest_decile"] = [home.latest_decile, rec.decile]
            chunk.changed_homes[home.id] = home
        home.latest_decile = rec.decile


def _new_person(
    ctx: Context,
    rec: PersonRecord,
    home: _Home,
    issues: list[v.Issue],
    blocks: Block,
    chunk: _Decisions,
    remember: bool,
) -> RowResult:
    """A person not yet registered: made, and held for review if probably a duplicate of one who is."""
    now = ctx.now
    found = _probable_duplicate(
        blocks, block_key=rec.block_key, sex=rec.sex, name_key=rec.name_key, household_id=home.id
    )
    match, verdict = found or (None, None)
    pk = rec.new_person_id
    warnings = [{"code": i.code, "message": i.message} for i in issues]
    review = _POSSIBLE_DUPLICATE if verdict else (_FLAGGED if issues else _CLEAN)
    row = (
        pk,
        rec.nik,
        rec.name,
        rec.name_key,
        rec.block_key,
        rec.birth_date,
        rec.sex,
        home.id,
        rec.relation,
        rec.region_code,
        rec.phone,
        warnings,
        review,
        now,
        now,
    )
    chunk.writes.new_people.append(row)
    if remember:
        chunk.new_members[rec.nik] = _Member(*row[:12])  # _PERSON_FIELDS begin with _Member's fields
    _join_block(blocks, rec.block_key, rec.sex, rec.name_key, (pk, home.id, rec.name, rec.nik))
    if verdict:
        chunk.writes.candidates.append((match[0], pk, verdict.score, verdict.reason, rec.region_code, _OPEN, now))
        issues.append(_duplicate_issue(match, verdict))
        return RowResult(rec.line, _HELD, issues, data=_unpack(rec.original), object_id=pk)
    return RowResult(rec.line, _CREATED, issues, object_id=pk, data=_unpack(rec.original) if issues else None)


def _update_person(
    rec: PersonRecord, person: _Member, home: _Home, issues: list[v.Issue], changes: dict, chunk: _Decisions
) -> RowResult:
    """A registered person as the row has them (an empty relation or phone keeps what is known)."""
    warnings = [{"code": i.code, "message": i.message} for i in issues]
    wanted = {
        "name": rec.name,
        "birth_date": rec.birth_date,
        "sex": rec.sex,
        "household_id": home.id,
        "relation": rec.relation or person.relation,
        "region_code": rec.region_code,
        "phone": rec.phone or person.phone,
    }
    for attr, value in wanted.items():
        before = getattr(person, attr)
        if before != value:
            changes[attr] = [str(before) if before is not None else None, str(value)]
            setattr(person, attr, value)
    if not changes:
        return RowResult(rec.line, _UNCHANGED, issues, object_id=person.id)
    person.name_key = rec.name_key
    person.block_key = matching.block_key(person.region_code, person.birth_date)
    if warnings != person.warnings:
        person.warnings = warnings
    chunk.changed_people[person.nik] = person
    return RowResult(rec.line, _UPDATED, issues, object_id=person.id, changes=changes)


def _rows_to_write(chunk: _Decisions, now: datetime) -> _HouseholdWrites:
    """The chunk's new and changed households and persons as the rows the writer writes (made now: the
    objects they come from go on changing with the next chunks while this one waits to be written)."""
    writes = chunk.writes
    writes.new_homes = [
        (h.id, h.kk_number, h.region_code, h.address, h.latest_decile, now, now) for h in chunk.new_homes
    ]
    writes.changed_homes = [
        Household(
            id=h.id,
            kk_number=h.kk_number,
            region_code=h.region_code,
            address=h.address,
            latest_decile=h.latest_decile,
            updated_at=now,
        )
        for h in chunk.changed_homes.values()
    ]
    writes.changed_people = [
        Person(
            id=p.id,
            name=p.name,
            name_key=p.name_key,
            block_key=p.block_key,
            birth_date=p.birth_date,
            sex=p.sex,
            household_id=p.household_id,
            relation=p.relation,
            region_code=p.region_code,
            phone=p.phone,
            warnings=p.warnings,
            updated_at=now,
        )
        for p in chunk.changed_people.values()
    ]
    writes.snapshots = list(chunk.snapshots.values())
    return writes
