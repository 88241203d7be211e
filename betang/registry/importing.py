"""Bulk import of registry tables: stream the file, validate each row, match it against the registry
in chunks, and write every row's outcome. Re-running a file (or resuming a crashed run) is harmless."""

from __future__ import annotations

import atexit
import collections
import gc
import json
import multiprocessing
import multiprocessing.util  # its exit handler registered before _kill_readers, so run after it
import os
import queue
import signal
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from queue import Empty
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.bulk import analyze, bulk_insert, commit_without_waiting
from betang.core.ids import new_id, new_id_hex
from betang.core.progress import ProgressCallback
from betang.core.stopping import Stopped, stop_requested
from betang.regions.scope import RegionScope
from betang.registry import matching
from betang.registry import validation as v
from betang.registry.masking import mask_nik
from betang.registry.models import (
    Bumdes,
    Cooperative,
    CooperativeMember,
    DtsenSnapshot,
    DuplicateCandidate,
    Enterprise,
    Household,
    HouseholdKk,
    ImportBatch,
    ImportRow,
    Outlet,
    Person,
)
from betang.registry.tabular import Column, TableError, open_table

CHUNK = 5000
Outcome = ImportRow.Outcome

RELATIONS = {
    "kepala keluarga": "HEAD",
    "kepala": "HEAD",
    "kk": "HEAD",
    "head": "HEAD",
    "1": "HEAD",
    "istri": "SPOUSE",
    "suami": "SPOUSE",
    "istri/suami": "SPOUSE",
    "suami/istri": "SPOUSE",
    "spouse": "SPOUSE",
    "2": "SPOUSE",
    "anak": "CHILD",
    "child": "CHILD",
    "3": "CHILD",
    "menantu": "CHILD_IN_LAW",
    "4": "CHILD_IN_LAW",
    "cucu": "GRANDCHILD",
    "5": "GRANDCHILD",
    "orang tua": "PARENT",
    "orangtua": "PARENT",
    "ayah": "PARENT",
    "ibu": "PARENT",
    "6": "PARENT",
    "mertua": "PARENT_IN_LAW",
    "7": "PARENT_IN_LAW",
    "famili lain": "OTHER_FAMILY",
    "8": "OTHER_FAMILY",
    "pembantu": "HELPER",
    "9": "HELPER",
    "lainnya": "OTHER",
    "lain-lain": "OTHER",
    "other": "OTHER",
    "10": "OTHER",
}

HOUSEHOLD_COLUMNS = [
    Column("nik", "NIK", ("no nik", "nomor nik", "nomor induk kependudukan"), required=True),
    Column(
        "name", "Nama Lengkap", ("nama", "name", "full name", "nama anggota", "nama lengkap anggota"), required=True
    ),
    Column(
        "birth_date",
        "Tanggal Lahir",
        ("tgl lahir", "tanggal lahir", "birth date", "date of birth", "dob", "tgllahir"),
        required=True,
    ),
    Column("sex", "Jenis Kelamin", ("jk", "l/p", "l p", "sex", "gender", "kelamin"), required=True),
    Column(
        "kk",
        "No KK",
        ("nomor kk", "kk", "no kartu keluarga", "nomor kartu keluarga", "family card number", "kk number"),
        required=True,
    ),
    Column(
        "relation",
        "Hubungan Keluarga",
        ("hubungan", "shdk", "status hubungan dalam keluarga", "relation", "hubungan dalam keluarga"),
    ),
    Column(
        "region_code",
        "Kode Desa",
        ("kode wilayah", "kode kelurahan", "kode desa kelurahan", "village code", "kode desa/kel"),
        required=True,
    ),
    Column("address", "Alamat", ("address", "alamat lengkap")),
    Column("phone", "No HP", ("nomor hp", "hp", "telepon", "no telp", "phone", "nomor telepon", "no telepon")),
    Column("decile", "Desil", ("desil dtsen", "decile")),
    Column("decile_date", "Tanggal Data", ("tanggal desil", "tanggal dtsen", "as of")),
]


_ROW_FIELDS = ["batch", "line", "outcome", "codes", "message", "data", "object_id", "changes"]


@dataclass
class RowResult:
    line: int
    outcome: str
    issues: list[v.Issue] = field(default_factory=list)
    data: list[str] | None = None
    object_id: Any = None
    changes: dict[str, Any] = field(default_factory=dict)

    def as_tuple(self, batch_id: Any) -> tuple:
        return (
            batch_id,
            self.line,
            self.outcome,
            ",".join(i.code for i in self.issues)[:200],
            " ".join(i.message for i in self.issues),
            self.data or [],
            self.object_id,
            self.changes,
        )


@dataclass
class Context:
    source: str  # what DTSEN snapshots name as their source: the file, or "API"
    regions: v.RegionIndex
    scope: RegionScope
    today: date
    now: datetime
    original: Callable[[list[Any]], list[str]]  # a row's cells as text, kept for rejected rows


def _in_scope(ctx: Context, region_code: str) -> list[v.Issue]:
    if ctx.scope.contains(region_code):
        return []
    return [
        v.Issue(
            "village.out_of_scope",
            _("Village %(code)s is outside your area.") % {"code": region_code},
            field="region_code",
        )
    ]


def _elsewhere(code: str, what: str, field_name: str) -> v.Issue:
    """A refusal for a match registered outside the user's area. It says only that the NIK, KK or number
    is registered elsewhere (unavoidable: it cannot be registered twice), never whose it is or where,
    and what to do: the other area's officer moves it, or it is corrected."""
    messages = {
        "nik": _(
            "This NIK is registered in another area: ask that area's officer to move the person, or correct the NIK."
        ),
        "kk": _(
            "This KK is registered in another area: ask that area's officer to move the household, or correct the KK."
        ),
        "org": _(
            "This number is registered to an organisation in another area: ask that area's officer, or correct it."
        ),
    }
    return v.Issue(code, messages[what], field=field_name)


def _words(value: Any) -> str:
    """A cell as lower-case words with single spaces, for lookups in the tables of accepted terms."""
    return " ".join(str(value or "").lower().split())


def _issues(*checks: v.Checked) -> list[v.Issue]:
    return [issue for check in checks for issue in check.issues]


# --- households and their members --------------------------------------------------------------------


class PersonRecord(NamedTuple):
    """A clean person row, made in the reader and sent to the writer: a named tuple, which unpickles
    at a third of a dataclass's cost (measured; the writer is the busier process)."""

    line: int
    original: str  # the cells as text, packed in one string (see _pack)
    nik: str
    name: str
    name_key: str
    birth_date: date
    sex: str
    kk: str
    relation: str
    region_code: str
    address: str
    phone: str
    decile: int | None
    decile_date: date | None
    warnings: list[v.Issue]
    block_key: str  # computed once, here in the reader: the matcher asks for it several times
    # The key of the person this row makes if it is new, minted here in the reader: the writing
    # process is the busier one. (A new household's key is minted there: few rows make one.) As hex
    # text: it crosses to the writer and into COPY as is (unpickling UUID objects cost the writer).
    new_person_id: str


_SEPARATOR, _AS_JSON = "\x1f", "\x1e"  # ASCII unit separator; record separator: JSON follows


def _pack(cells: list[str]) -> str:
    """Cells as one string, joined by the unit separator (a tenth of JSON's cost), or as JSON behind
    a marker in the rare row whose cells hold that control character themselves."""
    packed = _SEPARATOR.join(cells)
    if _AS_JSON in packed or packed.count(_SEPARATOR) != len(cells) - 1:
        return _AS_JSON + json.dumps(cells, ensure_ascii=False)
    return packed


def _unpack(packed: str) -> list[str]:
    if packed.startswith(_AS_JSON):
        return json.loads(packed[1:])
    return packed.split(_SEPARATOR)


_BIRTH_DATE, _DECILE, _DATA_DATE = gettext_lazy("Birth date"), gettext_lazy("Decile"), gettext_lazy("Data date")


def _clean_person(ctx: Context, line: int, fields: dict[str, Any], values: list[Any]) -> PersonRecord | RowResult:
    birth = v.check_date(
        fields.get("birth_date"),
        field_name="birth_date",
        label=_BIRTH_DATE,
        today=ctx.today,
        required=True,
    )
    sex = v.check_sex(fields.get("sex"))
    nik = v.check_nik(fields.get("nik"), ctx.regions, today=ctx.today, birth_date=birth.value, sex=sex.value)
    name = v.check_name(fields.get("name"))
    kk = v.check_kk(fields.get("kk"), ctx.regions)
    village = v.check_village(fields.get("region_code"), ctx.regions)
    phone = v.check_phone(fields.get("phone"))
    relation_text = _words(fields.get("relation"))
    relation_issues = []
    relation = RELATIONS.get(relation_text, "")
    if relation_text and not relation:
        relation_issues.append(
            v.Issue(
                "relation.format",
                _("Family relation %(text)s is not understood.") % {"text": relation_text},
                v.WARNING,
                "relation",
            )
        )
    decile = v.check_amount(fields.get("decile"), field_name="decile", label=_DECILE)
    decile_issues = list(decile.issues)
    if decile.value is not None and not 1 <= decile.value <= 10:
        decile_issues.append(v.Issue("decile.range", _("Decile must be 1 to 10."), field="decile"))
    decile_date = v.check_date(fields.get("decile_date"), field_name="decile_date", label=_DATA_DATE, today=ctx.today)
    issues = _issues(nik, name, birth, sex, kk, village, phone, decile_date) + relation_issues + decile_issues
    if village.value:
        issues += _in_scope(ctx, village.value)
    if any(i.is_error for i in issues):
        return RowResult(line, Outcome.REJECTED, issues, data=ctx.original(values))
    return PersonRecord(
        line=line,
        # The cells as text, as one string: one object to pass between processes instead of one per
        # cell (unpickling those was a tenth of an import's time); unpacked only for rows kept.
        original=_pack(ctx.original(values)),
        nik=nik.value,
        name=name.value,
        name_key=matching.name_key(name.value),
        birth_date=birth.value,
        sex=sex.value,
        kk=kk.value,
        relation=relation,
        region_code=village.value,
        address=" ".join(str(fields.get("address") or "").split())[:300],
        phone=phone.value or "",
        decile=decile.value,
        decile_date=decile_date.value,
        warnings=issues,
        block_key=matching.block_key(village.value, birth.value),
        new_person_id=new_id_hex(),
    )


@dataclass
class _Home:
    id: Any
    kk_number: str
    region_code: str
    address: str
    latest_decile: int | None
    is_new: bool = False


@dataclass
class _Member:
    id: Any
    nik: str
    name: str
    name_key: str
    block_key: str
    birth_date: date
    sex: str
    household_id: Any
    relation: str
    region_code: str
    phone: str
    warnings: list[Any]


_MEMBER_VALUES = [
    "id",
    "nik",
    "name",
    "name_key",
    "block_key",
    "birth_date",
    "sex",
    "household_id",
    "relation",
    "region_code",
    "phone",
    "warnings",
]
_HOME_VALUES = ["id", "kk_number", "region_code", "address", "latest_decile"]

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
class _Unseen:
    """What one chunk wrote, as it left it: the pipelined writer commits a chunk while the next one is
    matched on another connection, whose lookups cannot see it yet, so they are read over this."""

    persons: dict[str, _Member]  # by NIK: created or changed
    homes: dict[Any, _Home]  # by id: created or changed (a KK change moves a home to another number)
    snapshots: set[tuple[Any, date]]


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


Block = dict[tuple[str, str], tuple[list[str], list[tuple[Any, Any, str, str]]]]


def _blocks(keys: set[str], *, skip: Any = ()) -> Block:
    """The registered persons of the given blocks, for the duplicate matcher: (block, sex) → their
    normalised names and (id, household id, name, NIK), side by side for rapidfuzz's C matching.
    Persons whose NIK is in `skip` are left out (the caller knows them better)."""
    blocks: Block = {}
    # No `merged_into IS NULL` in SQL: SQLite's planner then walks that index over every person (seen:
    # a 1,000,000-row import four times slower per row at the end); merged rows are few, skip them here.
    for pk, key, name, nik, home_id, block, sex, merged in Person.objects.filter(block_key__any=keys).values_list(
        "id", "name_key", "name", "nik", "household_id", "block_key", "sex", "merged_into_id"
    ):
        if merged is None and nik not in skip:
            names, entries = blocks.setdefault((block, sex), ([], []))
            names.append(key)
            entries.append((pk, home_id, name, nik))
    return blocks


def _probable_duplicate(
    blocks: Block, *, block_key: str, sex: str, name_key: str, household_id: Any = None
) -> tuple[tuple[Any, Any, str, str], matching.Verdict] | None:
    """The registered person a new one is probably a duplicate of (same block and sex, similar name),
    and the verdict; None when there is none. The new person joins the block either way."""
    names, entries = blocks.get((block_key, sex), ((), ()))
    if names and (found := matching.best_match(name_key, names)):
        match = entries[found[0]]
        return match, matching.Verdict(
            found[1], matching.reason(same_kk=household_id is not None and match[1] == household_id)
        )
    return None


def _duplicate_issue(match: tuple[Any, Any, str, str], verdict: matching.Verdict) -> v.Issue:
    return v.Issue(
        "duplicate.probable",
        _("Possibly the same person as %(name)s (NIK %(nik)s): %(score)s%% similar.")
        % {"name": match[2], "nik": mask_nik(match[3]), "score": verdict.score},
        v.WARNING,
    )


def _lookup_households(ctx: Context, records: list[PersonRecord], unseen: list[_Unseen]):
    """The registry as the chunk's rows need it: persons by NIK, households by KK and by id, the blocks
    of the new persons and the DTSEN snapshots already kept, with what unseen chunks wrote on top."""
    niks = [r.nik for r in records]
    persons = {row[1]: _Member(*row) for row in Person.objects.filter(nik__any=niks).values_list(*_MEMBER_VALUES)}
    fresh_homes: dict[Any, _Home] = {}  # by id, the newest chunk last
    for chunk in unseen:
        fresh_homes.update(chunk.homes)
        for nik in niks:
            if (member := chunk.persons.get(nik)) is not None:
                persons[nik] = member
    kks = {r.kk for r in records}
    homes: dict[str, _Home] = {}
    for row in Household.objects.filter(kk_number__any=kks).values_list(*_HOME_VALUES):
        home = fresh_homes.get(row[0]) or _Home(*row)
        if home.kk_number == row[1]:  # not if an unseen chunk gave the household another card
            homes[row[1]] = home
    for home in fresh_homes.values():
        if home.kk_number in kks:
            homes[home.kk_number] = home
    homes_by_id = {h.id: h for h in homes.values()}
    missing = set()
    for member in persons.values():  # a head's old household, for a KK change
        if member.household_id and member.household_id not in homes_by_id:
            if (home := fresh_homes.get(member.household_id)) is not None:
                homes_by_id[home.id] = home
            else:
                missing.add(member.household_id)
    for row in Household.objects.filter(pk__any=list(missing)).values_list(*_HOME_VALUES):
        homes_by_id[row[0]] = _Home(*row)

    new_blocks = {r.block_key for r in records if r.nik not in persons}
    fresh_persons = {nik: m for chunk in unseen for nik, m in chunk.persons.items()}
    blocks = _blocks(new_blocks, skip=fresh_persons)
    for m in fresh_persons.values():
        if m.block_key in new_blocks:
            names, entries = blocks.setdefault((m.block_key, m.sex), ([], []))
            names.append(m.name_key)
            entries.append((m.id, m.household_id, m.name, m.nik))
    snapshots = set(
        DtsenSnapshot.objects.filter(household_id__in=list(homes_by_id), source=ctx.source[:100])
        .order_by()
        .values_list("household_id", "as_of_date")
    )
    for chunk in unseen:
        snapshots |= chunk.snapshots
    return persons, homes, homes_by_id, blocks, snapshots


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

    Existing rows are read as plain values and new rows written set-based (COPY / executemany): the
    ORM's per-object work was most of an import's time.
    """
    now = ctx.now
    persons, homes, homes_by_id, block_members, existing_snapshots = _lookup_households(ctx, records, list(unseen))

    # Enum members read once: an attribute of a choices class costs a descriptor call per row.
    possible_duplicate, flagged = Person.Review.POSSIBLE_DUPLICATE.value, Person.Review.WARNING.value
    clean = Person.Review.NONE.value
    created, held, updated, unchanged, rejected = (
        Outcome.CREATED.value,
        Outcome.HELD.value,
        Outcome.UPDATED.value,
        Outcome.UNCHANGED.value,
        Outcome.REJECTED.value,
    )
    open_status = DuplicateCandidate.Status.OPEN.value
    writes = _HouseholdWrites(at=now)
    new_homes: list[_Home] = []
    changed_homes: dict[Any, _Home] = {}
    changed_people: dict[str, _Member] = {}
    new_members: dict[str, _Member] = {}
    snapshots: dict[tuple[Any, date], tuple] = {}

    for rec in records:
        issues = list(rec.warnings)
        changes: dict[str, Any] = {}
        person = persons.get(rec.nik)
        # A write touches only rows inside the user's area: a person or household registered outside it
        # is never updated or moved from here (that is a transfer, done by the other area's officer).
        outside = None
        old_home = homes_by_id.get(person.household_id) if person is not None else None
        found_home = homes.get(rec.kk)
        if person is not None and not ctx.scope.contains(person.region_code):
            outside = _elsewhere("nik.out_of_scope", "nik", "nik")
        elif any(h is not None and not ctx.scope.contains(h.region_code) for h in (found_home, old_home)):
            outside = _elsewhere("kk.out_of_scope", "kk", "kk")
        if outside is not None:
            issues.append(outside)
            results.append(RowResult(rec.line, rejected, issues, data=_unpack(rec.original)))
            continue
        if person is not None and matching.name_score(person.name_key, rec.name_key) < 80:
            issues.append(
                v.Issue(
                    "nik.conflict",
                    _("NIK %(nik)s is already registered to %(name)s.")
                    % {"nik": mask_nik(rec.nik), "name": person.name},
                    field="nik",
                )
            )
            results.append(RowResult(rec.line, rejected, issues, data=_unpack(rec.original)))
            continue

        home = homes.get(rec.kk)
        if home is None:
            old = homes_by_id.get(person.household_id) if person is not None else None
            if old is not None and rec.relation == "HEAD" and person.relation == "HEAD" and old.kk_number != rec.kk:
                # The head's family got a new card (moved, re-issued): same household, new KK version.
                changes["household.kk_number"] = [old.kk_number, rec.kk]
                writes.kk_closed.append(old.id)
                old.kk_number = rec.kk
                home = old
                changed_homes[old.id] = old
            else:
                home = _Home(new_id(), rec.kk, rec.region_code, rec.address, None, is_new=True)
                new_homes.append(home)
                homes_by_id[home.id] = home
            writes.kk_rows.append((home.id, rec.kk, now))
            homes[rec.kk] = home
        if not home.is_new:
            for attr, value in (("region_code", rec.region_code), ("address", rec.address)):
                if value and getattr(home, attr) != value:
                    changes[f"household.{attr}"] = [getattr(home, attr), value]
                    setattr(home, attr, value)
                    changed_homes[home.id] = home
        if rec.decile is not None:
            as_of = rec.decile_date or ctx.today
            if (home.id, as_of) not in existing_snapshots:
                snapshots[(home.id, as_of)] = (home.id, rec.decile, ctx.source[:100], as_of)
            if home.latest_decile != rec.decile:
                if not home.is_new:
                    changes["household.latest_decile"] = [home.latest_decile, rec.decile]
                    changed_homes[home.id] = home
                home.latest_decile = rec.decile

        warning_list = [{"code": i.code, "message": i.message} for i in issues]
        if person is None:
            found = _probable_duplicate(
                block_members, block_key=rec.block_key, sex=rec.sex, name_key=rec.name_key, household_id=home.id
            )
            match, verdict = found or (None, None)
            pk = rec.new_person_id
            review = possible_duplicate if verdict else (flagged if issues else clean)
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
                warning_list,
                review,
                now,
                now,
            )
            writes.new_people.append(row)
            if remember:
                new_members[rec.nik] = _Member(*row[:12])  # _PERSON_FIELDS begin with _Member's fields
            names, entries = block_members.setdefault((rec.block_key, rec.sex), ([], []))
            names.append(rec.name_key)
            entries.append((pk, home.id, rec.name, rec.nik))
            if verdict:
                writes.candidates.append(
                    (match[0], pk, verdict.score, verdict.reason, rec.region_code, open_status, now)
                )
                issues.append(_duplicate_issue(match, verdict))
                results.append(RowResult(rec.line, held, issues, data=_unpack(rec.original), object_id=pk))
            else:
                results.append(
                    RowResult(
                        rec.line,
                        created,
                        issues,
                        object_id=pk,
                        data=_unpack(rec.original) if issues else None,
                    )
                )
            continue

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
        if changes:
            person.name_key = rec.name_key
            person.block_key = matching.block_key(person.region_code, person.birth_date)
            if warning_list != person.warnings:
                person.warnings = warning_list
            changed_people[person.nik] = person
            results.append(RowResult(rec.line, updated, issues, object_id=person.id, changes=changes))
        else:
            results.append(RowResult(rec.line, unchanged, issues, object_id=person.id))

    writes.new_homes = [(h.id, h.kk_number, h.region_code, h.address, h.latest_decile, now, now) for h in new_homes]
    writes.changed_homes = [
        Household(
            id=h.id,
            kk_number=h.kk_number,
            region_code=h.region_code,
            address=h.address,
            latest_decile=h.latest_decile,
            updated_at=now,
        )
        for h in changed_homes.values()
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
        for p in changed_people.values()
    ]
    writes.snapshots = list(snapshots.values())
    for home in new_homes:  # written now: to a later chunk they are households like any other
        home.is_new = False
    if not remember:
        return writes, None
    touched = changed_homes | {h.id: h for h in new_homes}
    return writes, _Unseen(new_members | changed_people, touched, set(snapshots))


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


# --- cooperatives, enterprises, BUMDes ---------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    model: Any
    columns: list[Column]
    clean: Callable[[Context, dict[str, Any]], tuple[dict[str, Any], list[v.Issue]]]
    keys: tuple[str, ...]  # lookup fields, most specific first; a key counts when its value is non-empty
    compare: tuple[str, ...]
    # How a chunk of clean rows is matched and written: _flush_orgs unless the kind needs its own.
    flush: Callable[..., None] | None = None


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in {"ya", "y", "yes", "1", "true", "bersama"}


def _units(value: Any) -> list[str]:
    return [u.strip() for u in str(value or "").replace(";", ",").split(",") if u.strip()]


def _text_field(fields: dict[str, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return " ".join(str(value).split())[:limit]


def _clean_common(ctx: Context, fields: dict[str, Any], name_label: str) -> tuple[dict[str, Any], list[v.Issue]]:
    name = v.check_name(fields.get("name"), label=name_label)
    village = v.check_village(fields.get("region_code"), ctx.regions)
    phone = v.check_phone(fields.get("phone"))
    issues = _issues(name, village, phone) + (_in_scope(ctx, village.value) if village.value else [])
    values = {"name": name.value, "region_code": village.value, "phone": phone.value or ""}
    if name.value:
        values["name_key"] = matching.name_key(name.value) or name.value.lower()
    return values, issues


COOP_KINDS = {
    "kdmp": "KDMP",
    "koperasi desa merah putih": "KDMP",
    "kkmp": "KKMP",
    "koperasi kelurahan merah putih": "KKMP",
    "lainnya": "OTHER",
    "other": "OTHER",
    "": "",
}


def _clean_cooperative(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_common(ctx, fields, _("Cooperative name"))
    kind_text = _words(fields.get("kind"))
    kind = COOP_KINDS.get(kind_text)
    if kind is None:
        issues.append(
            v.Issue(
                "cooperative.kind",
                _("Cooperative kind %(text)s is not KDMP, KKMP or Lainnya.") % {"text": kind_text},
                field="kind",
            )
        )
    elif not kind and values.get("region_code"):
        kind = "KKMP" if values["region_code"][9] == "1" else "KDMP"  # kelurahan codes start 1
    nib = v.check_nib(fields.get("nib")) if fields.get("nib") not in (None, "") else v.Checked("")
    founded = v.check_date(
        fields.get("founded_date"), field_name="founded_date", label=_("Founding date"), today=ctx.today
    )
    issues += _issues(nib, founded)
    values |= {
        "kind": kind or "",
        "nib": nib.value or "",
        "legal_number": _text_field(fields, "legal_number", 60),
        "founded_date": founded.value,
        "business_units": _units(fields.get("business_units")),
        "bank_name": _text_field(fields, "bank_name", 60),
        "bank_account_number": _text_field(fields, "bank_account_number", 30).replace(" ", ""),
        "bank_account_name": _text_field(fields, "bank_account_name", 150),
    }
    return values, issues


def _clean_enterprise(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    from betang.registry.services import enterprise_scale

    values, issues = _clean_common(ctx, fields, _("Business name"))
    nib = v.check_nib(fields.get("nib")) if fields.get("nib") not in (None, "") else v.Checked("")
    owner_nik = (
        v.check_nik(fields.get("owner_nik"), ctx.regions, today=ctx.today)
        if fields.get("owner_nik") not in (None, "")
        else v.Checked("")
    )
    capital = v.check_amount(fields.get("capital"), field_name="capital", label=_("Business capital"))
    turnover = v.check_amount(fields.get("annual_turnover"), field_name="annual_turnover", label=_("Annual turnover"))
    kbli = _text_field(fields, "kbli", 5)
    if kbli and (not kbli.isdigit() or len(kbli) != 5):
        issues.append(v.Issue("kbli.format", _("KBLI %(text)s must be 5 digits.") % {"text": kbli}, v.WARNING, "kbli"))
    issues += _issues(nib, owner_nik, capital, turnover)
    values |= {
        "nib": nib.value or "",
        "owner_name": _text_field(fields, "owner_name", 150),
        "owner_nik": owner_nik.value or "",
        "kbli": kbli,
        "capital": capital.value,
        "annual_turnover": turnover.value,
        "scale": enterprise_scale(capital=capital.value, annual_turnover=turnover.value),
    }
    return values, issues


def _clean_bumdes(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_common(ctx, fields, _("BUMDes name"))
    members = []
    for raw in _units(fields.get("member_village_codes")):
        checked = v.check_village(raw, ctx.regions)
        issues += checked.issues
        if checked.value:
            members.append(checked.value)
    values |= {
        "is_joint": _yes(fields.get("is_joint")) or len(members) > 1,
        "member_village_codes": members,
        "legal_number": _text_field(fields, "legal_number", 60),
        "business_units": _units(fields.get("business_units")),
    }
    return values, issues


_COMMON_COLUMNS = [
    Column(
        "region_code",
        "Kode Desa",
        ("kode wilayah", "kode kelurahan", "kode desa kelurahan", "village code"),
        required=True,
    ),
    Column("phone", "Telepon", ("no hp", "nomor hp", "hp", "no telp", "phone", "nomor telepon")),
]
ORG_SPECS: dict[str, OrgSpec] = {
    ImportBatch.Kind.COOPERATIVES: OrgSpec(
        model=Cooperative,
        columns=[
            Column("name", "Nama Koperasi", ("nama", "name", "cooperative name", "nama kopdes"), required=True),
            Column("kind", "Jenis", ("jenis koperasi", "kind", "type")),
            Column(
                "legal_number", "Nomor Badan Hukum", ("no badan hukum", "nomor ahu", "no ahu", "sk ahu", "legal number")
            ),
            Column("nib", "NIB", ("nomor induk berusaha",)),
            Column("founded_date", "Tanggal Berdiri", ("tgl berdiri", "tanggal pendirian", "founded")),
            Column("business_units", "Unit Usaha", ("gerai", "business units")),
            Column("bank_name", "Bank", ("nama bank", "bank name")),
            Column("bank_account_number", "Nomor Rekening", ("no rekening", "no rek", "rekening", "account number")),
            Column("bank_account_name", "Nama Rekening", ("atas nama", "nama pemilik rekening", "account name")),
            *_COMMON_COLUMNS,
        ],
        clean=_clean_cooperative,
        keys=("legal_number", "region_code+name_key"),
        compare=(
            "name",
            "name_key",
            "kind",
            "nib",
            "legal_number",
            "founded_date",
            "business_units",
            "phone",
            "bank_name",
            "bank_account_number",
            "bank_account_name",
            "region_code",
        ),
    ),
    ImportBatch.Kind.ENTERPRISES: OrgSpec(
        model=Enterprise,
        columns=[
            Column("name", "Nama Usaha", ("nama", "name", "business name", "nama umkm"), required=True),
            Column("nib", "NIB", ("nomor induk berusaha",)),
            Column("owner_name", "Nama Pemilik", ("pemilik", "owner", "owner name")),
            Column("owner_nik", "NIK Pemilik", ("nik", "owner nik")),
            Column("kbli", "KBLI", ("kode kbli",)),
            Column("capital", "Modal Usaha", ("modal", "capital", "business capital")),
            Column(
                "annual_turnover",
                "Omzet Tahunan",
                ("omzet", "omset", "omset tahunan", "annual turnover", "turnover", "penjualan tahunan"),
            ),
            *_COMMON_COLUMNS,
        ],
        clean=_clean_enterprise,
        keys=("nib", "region_code+name_key"),
        compare=(
            "name",
            "name_key",
            "nib",
            "owner_name",
            "owner_nik",
            "kbli",
            "capital",
            "annual_turnover",
            "scale",
            "phone",
            "region_code",
        ),
    ),
    ImportBatch.Kind.BUMDES: OrgSpec(
        model=Bumdes,
        columns=[
            Column("name", "Nama BUMDes", ("nama", "name", "nama bum desa"), required=True),
            Column("is_joint", "BUMDes Bersama", ("bersama", "joint")),
            Column("member_village_codes", "Desa Anggota", ("kode desa anggota", "member villages")),
            Column("legal_number", "Nomor Sertifikat", ("nomor badan hukum", "sertifikat", "legal number")),
            Column("business_units", "Unit Usaha", ("business units",)),
            *_COMMON_COLUMNS,
        ],
        clean=_clean_bumdes,
        keys=("region_code+name_key",),
        compare=(
            "name",
            "name_key",
            "is_joint",
            "member_village_codes",
            "legal_number",
            "business_units",
            "phone",
            "region_code",
        ),
    ),
}


def _key_value(values: dict[str, Any], key: str) -> Any:
    if "+" in key:
        parts = tuple(values.get(k) for k in key.split("+"))
        return parts if all(parts) else None
    return values.get(key) or None


def _key_field(spec: OrgSpec, values: dict[str, Any]) -> str:
    """The column of the first key a row has a value for (the field a refusal points at)."""
    return next((key.split("+")[0] for key in spec.keys if _key_value(values, key) is not None), "name")


def _flush_orgs(
    ctx: Context,
    spec: OrgSpec,
    pending: list[tuple[int, list[Any], dict[str, Any], list[v.Issue]]],
    results: list[RowResult],
) -> None:
    now = ctx.now
    existing: dict[tuple[str, Any], Any] = {}
    for key in spec.keys:
        wanted = {k for _, _, values, _ in pending if (k := _key_value(values, key)) is not None}
        if not wanted:
            continue
        if "+" in key:
            fields = key.split("+")
            codes = {w[0] for w in wanted}
            for obj in spec.model.objects.filter(**{f"{fields[0]}__in": codes}):
                k = tuple(getattr(obj, f) for f in fields)
                if k in wanted:
                    existing[(key, k)] = obj
        else:
            for obj in spec.model.objects.filter(**{f"{key}__in": wanted}):
                existing[(key, getattr(obj, key))] = obj
    to_create, to_update = [], {}
    for line, raw, values, issues in pending:
        obj = next(
            (
                existing[(key, k)]
                for key in spec.keys
                if (k := _key_value(values, key)) is not None and (key, k) in existing
            ),
            None,
        )
        if obj is not None and not ctx.scope.contains(obj.region_code):
            # Matched by a number (legal entity number, NIB) to another area's organisation: refused
            # without naming it; it is neither updated nor moved into this area.
            results.append(
                RowResult(
                    line,
                    Outcome.REJECTED,
                    [*issues, _elsewhere("registry.out_of_scope", "org", _key_field(spec, values))],
                    data=ctx.original(raw),
                )
            )
            continue
        if obj is None:
            obj = spec.model(created_at=now, updated_at=now, **values)
            to_create.append(obj)
            for key in spec.keys:
                if (k := _key_value(values, key)) is not None:
                    existing[(key, k)] = obj
            results.append(
                RowResult(line, Outcome.CREATED, issues, object_id=obj.pk, data=ctx.original(raw) if issues else None)
            )
            continue
        changes = {}
        for attr in spec.compare:
            new = values.get(attr)
            if attr not in values or (new in (None, "", []) and attr not in ("scale",)):
                continue  # an empty cell never erases what the registry knows
            if getattr(obj, attr) != new:
                changes[attr] = [str(getattr(obj, attr)), str(new)]
                setattr(obj, attr, new)
        if changes:
            obj.updated_at = now
            to_update[obj.pk] = obj
            results.append(RowResult(line, Outcome.UPDATED, issues, object_id=obj.pk, changes=changes))
        else:
            results.append(RowResult(line, Outcome.UNCHANGED, issues, object_id=obj.pk))
    spec.model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        spec.model.objects.bulk_update(list(to_update.values()), [*spec.compare, "updated_at"], batch_size=500)


# --- cooperative members and outlets -------------------------------------------------------------------
# Rows that belong to a cooperative name it by its legal entity number, or by its village code (and its
# name, when the village has more than one cooperative).

_COOP_REF_COLUMNS = [
    Column(
        "coop_legal_number",
        "Nomor Badan Hukum Koperasi",
        ("no badan hukum koperasi", "nomor ahu koperasi", "no ahu", "nomor ahu", "nomor badan hukum", "legal number"),
    ),
    Column(
        "coop_region_code",
        "Kode Desa Koperasi",
        ("kode desa", "kode kelurahan", "kode wilayah", "village code", "cooperative village code"),
    ),
    Column("coop_name", "Nama Koperasi", ("koperasi", "cooperative", "cooperative name", "nama kopdes")),
]


def _clean_coop_ref(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    legal = _text_field(fields, "coop_legal_number", 60)
    issues: list[v.Issue] = []
    village = ""
    if fields.get("coop_region_code") not in (None, ""):
        checked = v.check_village(fields.get("coop_region_code"), ctx.regions)
        issues += checked.issues
        village = checked.value or ""
    name = _text_field(fields, "coop_name", 200)
    if not legal and not village and not fields.get("coop_id") and not any(i.is_error for i in issues):
        issues.append(
            v.Issue(
                "cooperative.missing",
                _("Name the cooperative: its legal entity number, or its village code (and its name)."),
                field="coop_legal_number",
            )
        )
    key = (matching.name_key(name) or name.lower()) if name else ""
    coop_id = fields.get("coop_id")  # the API names the cooperative by its id (in its path)
    return {"coop_legal_number": legal, "coop_region_code": village, "coop_name_key": key, "coop_id": coop_id}, issues


def _resolve_cooperatives(
    ctx: Context, pending: list[tuple[int, list[Any], dict[str, Any], list[v.Issue]]], results: list[RowResult]
) -> dict[int, Cooperative]:
    """Each row's cooperative (by line); a row whose cooperative is unknown, ambiguous or outside the
    user's area is rejected into `results` and left out."""
    legal_numbers = {values["coop_legal_number"] for _, _, values, _ in pending if values["coop_legal_number"]}
    villages = {values["coop_region_code"] for _, _, values, _ in pending if values["coop_region_code"]}
    ids = {values["coop_id"] for _, _, values, _ in pending if values.get("coop_id")}
    by_id = {c.pk: c for c in Cooperative.objects.filter(pk__in=ids)} if ids else {}
    by_legal: dict[str, Cooperative] = {}
    by_village: dict[str, list[Cooperative]] = {}
    if legal_numbers:
        by_legal = {c.legal_number: c for c in Cooperative.objects.filter(legal_number__in=legal_numbers)}
    if villages:
        for coop in Cooperative.objects.filter(region_code__in=villages).order_by("name"):
            by_village.setdefault(coop.region_code, []).append(coop)
    found: dict[int, Cooperative] = {}
    for line, raw, values, _issues_of_row in pending:
        legal, village, key = values["coop_legal_number"], values["coop_region_code"], values["coop_name_key"]
        coop, problem = None, None
        if values.get("coop_id"):
            coop = by_id.get(values["coop_id"])
            if coop is None:
                problem = v.Issue("cooperative.not_found", _("No such cooperative."), field="coop_id")
        elif legal:
            coop = by_legal.get(legal)
            if coop is None:
                problem = v.Issue(
                    "cooperative.not_found",
                    _("No cooperative has legal entity number %(number)s.") % {"number": legal},
                    field="coop_legal_number",
                )
        else:
            candidates = by_village.get(village, [])
            if key:
                candidates = [c for c in candidates if c.name_key == key]
            if len(candidates) == 1:
                coop = candidates[0]
            elif not candidates:
                problem = v.Issue(
                    "cooperative.not_found",
                    _("No such cooperative in village %(code)s.") % {"code": village},
                    field="coop_name" if key else "coop_region_code",
                )
            else:
                problem = v.Issue(
                    "cooperative.ambiguous",
                    _("Village %(code)s has %(count)s cooperatives: add the cooperative's name or legal entity number.")
                    % {"code": village, "count": len(candidates)},
                    field="coop_name",
                )
        if coop is not None and not ctx.scope.contains(coop.region_code):
            # Found by the village the user typed: say it is outside their area. Found by a number or
            # an id: as if unknown (the existence of another area's cooperative is not revealed).
            problem = (
                _in_scope(ctx, village)[0]
                if village and not legal and not values.get("coop_id")
                else v.Issue("cooperative.not_found", _("No such cooperative."), field="coop_legal_number")
            )
            coop = None
        if coop is None:
            results.append(RowResult(line, Outcome.REJECTED, [problem], data=ctx.original(raw)))
        else:
            found[line] = coop
    return found


MEMBER_ROLES = {
    "anggota": "MEMBER",
    "member": "MEMBER",
    "ketua": "CHAIR",
    "chair": "CHAIR",
    "wakil ketua": "CHAIR",
    "sekretaris": "SECRETARY",
    "secretary": "SECRETARY",
    "bendahara": "TREASURER",
    "treasurer": "TREASURER",
    "pengawas": "SUPERVISOR",
    "ketua pengawas": "SUPERVISOR",
    "anggota pengawas": "SUPERVISOR",
    "supervisor": "SUPERVISOR",
}


def _clean_member(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_coop_ref(ctx, fields)
    nik = v.check_nik(fields.get("nik"), ctx.regions, today=ctx.today)
    name = v.check_name(fields.get("name"))
    phone = v.check_phone(fields.get("phone"))
    joined = v.check_date(fields.get("joined_date"), field_name="joined_date", label=_("Joining date"), today=ctx.today)
    term_end = v.check_date(
        fields.get("term_end"), field_name="term_end", label=_("End of term"), today=ctx.today, past=False
    )
    role_text = _words(fields.get("role"))
    role = MEMBER_ROLES.get(role_text) if role_text else None  # empty: MEMBER when made, kept when known
    if role_text and role is None:
        issues.append(
            v.Issue(
                "member.role",
                _("Role %(text)s is not anggota, ketua, sekretaris, bendahara or pengawas.") % {"text": role_text},
                field="role",
            )
        )
    issues += _issues(nik, name, phone, joined, term_end)
    values |= {
        "nik": nik.value,
        "name": name.value,
        "name_key": matching.name_key(name.value) if name.value else "",
        "phone": phone.value or "",
        "role": role,
        "joined_date": joined.value,
        "term_end": term_end.value,
    }
    return values, issues


def _flush_members(
    ctx: Context,
    spec: OrgSpec,
    pending: list[tuple[int, list[Any], dict[str, Any], list[v.Issue]]],
    results: list[RowResult],
) -> None:
    """Members are persons of the registry, matched by NIK (a NIK not yet registered makes a person with
    the birth date and sex the NIK encodes, in the cooperative's village). A member of a village
    cooperative registered in another village is kept with a warning: KDMP/KKMP members live there."""
    now = ctx.now
    coops = _resolve_cooperatives(ctx, pending, results)
    persons = {p.nik: p for p in Person.objects.filter(nik__in=[values["nik"] for _, _, values, _ in pending])}
    survivors = {
        p.pk: p for p in Person.objects.filter(pk__in=[p.merged_into_id for p in persons.values() if p.merged_into_id])
    }
    memberships = {
        (m.cooperative_id, m.person_id): m
        for m in CooperativeMember.objects.filter(
            cooperative_id__in={c.pk for c in coops.values()}, person_id__in=[p.pk for p in persons.values()]
        )
    }
    # Where each not yet registered NIK would be made, for the duplicate matcher: its block and facts.
    unknown: dict[int, tuple[str, v.NikFacts]] = {}
    for line, _raw, values, _checked in pending:
        if (coop := coops.get(line)) is not None and values["nik"] not in persons:
            facts = v.nik_facts(values["nik"], today=ctx.today)
            unknown[line] = (matching.block_key(coop.region_code, facts.birth_date), facts)
    blocks = _blocks({key for key, _ in unknown.values()})
    new_people: list[Person] = []
    new_members: list[CooperativeMember] = []
    changed: list[CooperativeMember] = []
    candidates: list[DuplicateCandidate] = []
    village_kinds = {Cooperative.Kind.KDMP.value, Cooperative.Kind.KKMP.value}
    for line, raw, values, row_issues in pending:
        coop = coops.get(line)
        if coop is None:
            continue
        issues = list(row_issues)
        person = persons.get(values["nik"])
        if person is not None and person.merged_into_id:
            person = survivors.get(person.merged_into_id, person)
        visible = person is not None and ctx.scope.contains(person.region_code)
        if person is not None and matching.name_score(person.name_key, values["name_key"]) < 80:
            # The registered name is told only to a user who may read that person.
            issues.append(
                v.Issue(
                    "nik.conflict",
                    _("NIK %(nik)s is already registered to %(name)s.")
                    % {"nik": mask_nik(values["nik"]), "name": person.name}
                    if visible
                    else _("NIK %(nik)s is registered under another name.") % {"nik": mask_nik(values["nik"])},
                    field="nik",
                )
            )
            results.append(RowResult(line, Outcome.REJECTED, issues, data=ctx.original(raw)))
            continue
        held = False
        if person is None:
            block_key, facts = unknown[line]
            found = _probable_duplicate(blocks, block_key=block_key, sex=facts.sex, name_key=values["name_key"])
            person = Person(
                nik=values["nik"],
                name=values["name"],
                name_key=values["name_key"],
                block_key=block_key,
                birth_date=facts.birth_date,
                sex=facts.sex,
                region_code=coop.region_code,
                phone=values["phone"],
                review=Person.Review.POSSIBLE_DUPLICATE if found else Person.Review.NONE,
                created_at=now,
                updated_at=now,
            )
            persons[person.nik] = person
            new_people.append(person)
            names, entries = blocks.setdefault((block_key, facts.sex), ([], []))
            names.append(person.name_key)
            entries.append((person.pk, None, person.name, person.nik))
            if found:
                match, verdict = found
                held = True
                issues.append(_duplicate_issue(match, verdict))
                candidates.append(
                    DuplicateCandidate(
                        existing_id=match[0],
                        candidate=person,
                        score=verdict.score,
                        reason=verdict.reason,
                        region_code=coop.region_code,
                        created_at=now,
                    )
                )
        elif coop.kind in village_kinds and person.region_code != coop.region_code:
            issues.append(
                v.Issue(
                    "member.domicile",
                    _("%(name)s is registered in village %(home)s, not in the cooperative's village %(village)s.")
                    % {"name": person.name, "home": person.region_code, "village": coop.region_code}
                    if visible
                    else _("%(name)s is registered outside your area, not in the cooperative's village %(village)s.")
                    % {"name": values["name"], "village": coop.region_code},
                    v.WARNING,
                    "nik",
                )
            )
        member = memberships.get((coop.pk, person.pk))
        if member is None:
            member = CooperativeMember(
                cooperative=coop,
                person=person,
                role=values["role"] or CooperativeMember.Role.MEMBER,
                joined_date=values["joined_date"],
                term_end=values["term_end"],
            )
            memberships[(coop.pk, person.pk)] = member
            new_members.append(member)
            results.append(
                RowResult(
                    line,
                    Outcome.HELD if held else Outcome.CREATED,
                    issues,
                    object_id=person.pk,
                    data=ctx.original(raw) if issues else None,
                )
            )
            continue
        changes = {}
        for attr in ("role", "joined_date", "term_end"):
            new = values[attr]
            if new is not None and getattr(member, attr) != new:  # an empty cell never erases
                changes[f"member.{attr}"] = [str(getattr(member, attr) or ""), str(new)]
                setattr(member, attr, new)
        if changes:
            if member.pk is not None:  # one made earlier in this chunk is written with its latest values
                changed.append(member)
            results.append(RowResult(line, Outcome.UPDATED, issues, object_id=person.pk, changes=changes))
        else:
            results.append(RowResult(line, Outcome.UNCHANGED, issues, object_id=person.pk))
    Person.objects.bulk_create(new_people, batch_size=1000)
    DuplicateCandidate.objects.bulk_create(candidates, batch_size=1000)
    CooperativeMember.objects.bulk_create(new_members, batch_size=1000)
    if changed:
        CooperativeMember.objects.bulk_update(changed, ["role", "joined_date", "term_end"], batch_size=500)


OUTLET_KINDS = {
    "sembako": "SEMBAKO",
    "gerai sembako": "SEMBAKO",
    "apotek": "APOTEK",
    "apotek desa": "APOTEK",
    "klinik": "KLINIK",
    "klinik desa": "KLINIK",
    "simpan pinjam": "SIMPAN_PINJAM",
    "unit simpan pinjam": "SIMPAN_PINJAM",
    "kantor koperasi": "KANTOR",
    "kantor": "KANTOR",
    "pergudangan": "GUDANG",
    "gudang": "GUDANG",
    "cold storage": "GUDANG",
    "logistik": "LOGISTIK",
    "distribusi": "LOGISTIK",
}


def _clean_outlet(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_coop_ref(ctx, fields)
    name = v.check_name(fields.get("name"), label=_("Outlet name"))
    kind_text = _words(fields.get("kind"))
    kind = OUTLET_KINDS.get(kind_text, "") if kind_text else ""  # empty: SEMBAKO when made, kept when known
    if kind_text and not kind:  # the standard units have names; a cooperative may add its own
        kind = "LAINNYA"
        issues.append(
            v.Issue(
                "outlet.kind",
                _("Outlet kind %(text)s is not a standard unit; kept as other.") % {"text": kind_text},
                v.WARNING,
                "kind",
            )
        )
    active = fields.get("is_active")
    issues += name.issues
    values |= {
        "name": name.value,
        "name_key": (matching.name_key(name.value) or name.value.lower()) if name.value else "",
        "kind": kind,
        "address": _text_field(fields, "address", 300),
        "is_active": None if active in (None, "") else _yes(active) or str(active).strip().lower() == "aktif",
    }
    return values, issues


def _flush_outlets(
    ctx: Context,
    spec: OrgSpec,
    pending: list[tuple[int, list[Any], dict[str, Any], list[v.Issue]]],
    results: list[RowResult],
) -> None:
    """An outlet is known by its cooperative and its name (normalised); it sits in the cooperative's village."""
    now = ctx.now
    coops = _resolve_cooperatives(ctx, pending, results)
    existing = {
        (o.cooperative_id, matching.name_key(o.name) or o.name.lower()): o
        for o in Outlet.objects.filter(cooperative_id__in={c.pk for c in coops.values()})
    }
    to_create: list[Outlet] = []
    created: set[Any] = set()
    to_update: dict[Any, Outlet] = {}
    for line, raw, values, issues in pending:
        coop = coops.get(line)
        if coop is None:
            continue
        outlet = existing.get((coop.pk, values["name_key"]))
        if outlet is None:
            outlet = Outlet(
                cooperative=coop,
                name=values["name"],
                kind=values["kind"] or "SEMBAKO",
                address=values["address"],
                is_active=values["is_active"] is not False,
                region_code=coop.region_code,
                created_at=now,
                updated_at=now,
            )
            existing[(coop.pk, values["name_key"])] = outlet
            to_create.append(outlet)
            created.add(outlet.pk)
            results.append(
                RowResult(
                    line, Outcome.CREATED, issues, object_id=outlet.pk, data=ctx.original(raw) if issues else None
                )
            )
            continue
        changes = {}
        for attr in ("name", "kind", "address", "is_active"):
            new = values[attr]
            if new in (None, ""):
                continue  # an empty cell never erases what the registry knows
            if getattr(outlet, attr) != new:
                changes[attr] = [str(getattr(outlet, attr)), str(new)]
                setattr(outlet, attr, new)
        if changes:
            outlet.updated_at = now
            if outlet.pk not in created:
                to_update[outlet.pk] = outlet
            results.append(RowResult(line, Outcome.UPDATED, issues, object_id=outlet.pk, changes=changes))
        else:
            results.append(RowResult(line, Outcome.UNCHANGED, issues, object_id=outlet.pk))
    Outlet.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        Outlet.objects.bulk_update(list(to_update.values()), ["name", "kind", "address", "is_active", "updated_at"])


_MEMBER_COLUMNS = [
    *_COOP_REF_COLUMNS,
    Column("nik", "NIK", ("nomor induk kependudukan", "no ktp", "nik anggota"), required=True),
    Column("name", "Nama Lengkap", ("nama", "nama anggota", "name", "full name"), required=True),
    Column("role", "Jabatan", ("peran", "role", "kedudukan", "status keanggotaan")),
    Column("joined_date", "Tanggal Masuk", ("tgl masuk", "tanggal bergabung", "tanggal menjadi anggota", "joined")),
    Column("term_end", "Akhir Masa Jabatan", ("masa jabatan berakhir", "akhir jabatan", "term end")),
    Column("phone", "No HP", ("nomor hp", "hp", "telepon", "no telp", "phone")),
]
_OUTLET_COLUMNS = [
    *_COOP_REF_COLUMNS,
    Column("name", "Nama Gerai", ("gerai", "nama unit", "outlet", "outlet name", "nama outlet"), required=True),
    Column("kind", "Jenis Gerai", ("jenis", "jenis unit", "unit usaha", "kind")),
    Column("address", "Alamat", ("alamat gerai", "address")),
    Column("is_active", "Aktif", ("status", "active")),
]
ORG_SPECS[ImportBatch.Kind.MEMBERS] = OrgSpec(
    model=CooperativeMember, columns=_MEMBER_COLUMNS, clean=_clean_member, keys=(), compare=(), flush=_flush_members
)
ORG_SPECS[ImportBatch.Kind.OUTLETS] = OrgSpec(
    model=Outlet, columns=_OUTLET_COLUMNS, clean=_clean_outlet, keys=(), compare=(), flush=_flush_outlets
)


# --- the run -------------------------------------------------------------------------------------------


PARALLEL_FROM_ROWS = 20_000


_IMPORT_GC_THRESHOLD = (100_000, 50, 1000)  # see _fewer_collections


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run a bulk import with the cyclic garbage collector passing less often over what it holds.

    An import makes millions of small objects and keeps thousands alive at any moment (a chunk's
    rows and lookups); the collector's default pace spent a quarter of a 1,000,000-row import's CPU
    walking them (measured: 25.2 s → 19.0 s for 300,000 rows). What exists before is frozen (never
    walked), and the youngest generation is collected every 100,000 allocations instead of 700:
    cycles are still freed, just later. The old settings come back afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_IMPORT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


_DONE, _FAILED = "__done__", "__failed__"
_READERS: weakref.WeakSet = weakref.WeakSet()  # readers alive, killed at exit (see _kill_readers)


@atexit.register  # runs before multiprocessing's own exit handler, which would wait on a reader for ever
def _kill_readers() -> None:
    """A reader ignores SIGTERM (its parent decides when it stops): if its generator was never closed,
    kill it here rather than let multiprocessing's exit handler SIGTERM it and wait for ever."""
    for process in list(_READERS):
        if process.is_alive():
            process.kill()
            process.join(timeout=10)


def _in_second_process(produce: Callable[[], Any]) -> Any:
    """Run the generator `produce` in a forked child and yield its items here, in order.

    The child only reads the file and validates (no database: it must never touch the connection it
    inherited, so it leaves with os._exit and runs no finalizers). A bounded queue keeps memory flat.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=8)
    parent = os.getpid()
    put = queue.put

    def orphaned() -> None:
        """Leave if the parent died (SIGKILL): nobody reads, and a full pipe would hold this for ever."""
        while os.getppid() == parent:
            threading.Event().wait(1)
        os._exit(1)

    def child() -> None:
        code = 0
        # Stopping is the parent's to decide (SIGTERM to the worker, Ctrl+C to the whole terminal's
        # group): it kills this process when it no longer needs it, or dies, which `orphaned` sees.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=orphaned, name="import-reader-orphaned", daemon=True).start()
        gc.freeze()  # the same pace as the parent's (see _fewer_collections); this process ends with os._exit
        gc.set_threshold(*_IMPORT_GC_THRESHOLD)
        try:
            batch: list[Any] = []
            for item in produce():
                batch.append(item)
                if len(batch) >= 1000:
                    put(batch)
                    batch = []
            put(batch)
            put(_DONE)
        except TableError as exc:  # its class too: the refusal's code (import.too_many_rows, …) is kept
            put((_FAILED, type(exc), exc.message))
        except BaseException as exc:  # reported to the parent, which raises it
            put((_FAILED, None, f"{type(exc).__name__}: {exc}"))
            code = 1
        finally:
            queue.close()
            queue.join_thread()
            os._exit(code)

    process = context.Process(target=child, daemon=True)
    process.start()
    _READERS.add(process)
    try:
        while True:
            try:
                item = queue.get(timeout=0.5)
            except Empty:
                if stop_requested():
                    raise Stopped() from None
                if not process.is_alive():
                    raise RuntimeError(f"import reader ended without answering (exit {process.exitcode})") from None
                continue
            if item == _DONE:
                return
            if isinstance(item, tuple) and item and item[0] == _FAILED:
                raise item[1](item[2]) if item[1] else RuntimeError(f"import reader failed: {item[2]}")
            yield from item
    finally:
        if process.is_alive():
            process.kill()  # it ignores SIGTERM
        process.join(timeout=10)


class _ChunkWriter:
    """Writes chunks in file order, each in one transaction with the batch's progress marker.

    Pipelined (PostgreSQL, outside a caller's transaction), a thread with its own connection writes
    and commits a chunk while the caller matches the next one: the server's inserts, index upkeep and
    commit no longer wait on Python, nor Python on them. At most one chunk waits for the thread.
    Otherwise each chunk is written here, at once.
    """

    def __init__(self, *, pipelined: bool) -> None:
        self.pipelined = pipelined
        self.committed = 0  # the last chunk committed (its writes visible to every connection)
        self._error: BaseException | None = None
        if pipelined:
            self._queue: queue.Queue = queue.Queue(maxsize=1)
            self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
            self._thread.start()

    def put(self, seq: int, write: Callable[[], None]) -> None:
        if not self.pipelined:
            write()
            self.committed = seq
            return
        while True:
            self._raise_if_failed()
            try:
                self._queue.put((seq, write), timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self, *, quietly: bool = False) -> None:
        """Wait for every chunk put so far to be committed; raise what stopped the thread, if anything
        (not `quietly`: the caller is already raising its own)."""
        if not self.pipelined:
            return
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None and not quietly:
            raise self._error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
        if not self._thread.is_alive():
            raise RuntimeError("the import's writer stopped")

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                seq, write = item
                write()
                self.committed = seq
        except BaseException as exc:  # raised again in the matching thread
            self._error = exc
        finally:
            connection.close()  # this thread's own connection


def columns_for(kind: str) -> list[Column]:
    return HOUSEHOLD_COLUMNS if kind == ImportBatch.Kind.HOUSEHOLDS else ORG_SPECS[kind].columns


def _count_lines(path: Path) -> int:
    """Rows in a CSV (for the progress bar); 0 for a workbook, whose size shows as it is read."""
    with open(path, "rb") as fh:
        if fh.read(2) == b"PK":
            return 0
        fh.seek(0)
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1, 0)


def import_run(
    batch: ImportBatch,
    *,
    occurred_at: datetime,
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
    pipelined: bool | None = None,
) -> dict[str, int]:
    """Process a batch from where it stopped; returns the count of each outcome over the whole file.

    With `parallel` (default: for files of PARALLEL_FROM_ROWS rows or more on a machine with two
    cores), a forked process reads and validates rows while this one matches and writes them.
    Households are `pipelined` where they can be (PostgreSQL, not inside a caller's transaction; see
    _ChunkWriter): one chunk is written while the next is matched.
    """
    with _fewer_collections():
        return _import_run(batch, occurred_at, progress, parallel, pipelined)


def _import_run(batch, occurred_at, progress, parallel, pipelined) -> dict[str, int]:
    report = progress or (lambda done, total, message: None)
    now = occurred_at
    path = Path(batch.file.path)
    try:
        table = open_table(path, batch.original_name, columns_for(batch.kind))
    except TableError as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, error=exc.message, error_code=exc.code, finished_at=now
        )
        batch.status, batch.error, batch.error_code = ImportBatch.Status.FAILED, exc.message, exc.code
        raise
    ctx = Context(
        source=batch.original_name,
        regions=v.RegionIndex.load(),
        scope=RegionScope(batch.scope_region_code),
        today=timezone.localdate(now),
        now=now,
        original=table.original,
    )
    total = _count_lines(path)
    batch.headers = table.headers
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, total_rows=total, headers=table.headers
    )
    done = 0
    results: list[RowResult] = []
    pending: list[Any] = []
    pending_keys: set[Any] = set()
    # A NIK seen twice in one chunk waits for the next one, so the first row lands before the second
    # is matched against it. batch.last_line then stops before the first row still waiting, and a
    # rerun skips the lines after it that were already written.
    waiting: list[PersonRecord] = []
    last_line = batch.last_line
    written = set(ImportRow.objects.filter(batch=batch, line__gt=last_line).order_by().values_list("line", flat=True))
    is_households = batch.kind == ImportBatch.Kind.HOUSEHOLDS
    spec = None if is_households else ORG_SPECS[batch.kind]

    chunks = 0
    can_pipeline = is_households and connection.vendor == "postgresql" and not connection.in_atomic_block
    writer = _ChunkWriter(pipelined=can_pipeline and pipelined is not False)
    unseen: collections.deque[tuple[int, _Unseen]] = collections.deque()  # chunks not yet known committed

    def take(record: Any) -> None:
        if not is_households:
            pending.append(record)
        elif record.nik in pending_keys:
            waiting.append(record)
        else:
            pending.append(record)
            pending_keys.add(record.nik)

    def outcome_rows() -> tuple[list[tuple], int]:
        """The chunk's outcomes as rows, in line order, and where a rerun would start after it."""
        nonlocal last_line
        results.sort(key=lambda r: r.line)
        last_line = max(last_line, results[-1].line)
        if waiting:
            last_line = min(last_line, min(r.line for r in waiting) - 1)
        return [r.as_tuple(batch.pk) for r in results], last_line

    def write_chunk(seq: int, write: Callable[[], tuple[list[tuple], int]]) -> None:
        """`write` writes the chunk and says its outcome rows and marker, which commit with it."""
        with transaction.atomic():
            commit_without_waiting()  # the chunk and batch.last_line land together or not at all
            rows, marker = write()
            bulk_insert(ImportRow, _ROW_FIELDS, rows)
            ImportBatch.objects.filter(pk=batch.pk).update(last_line=marker)
        if seq & (seq - 1) == 0:  # after chunk 1, 2, 4, 8, …: statistics keep up with the growth
            analyze(Person, Household, DtsenSnapshot)  # the tables the next chunks look up

    def flush() -> None:
        nonlocal results, pending, pending_keys, waiting, chunks
        if not pending and not results:
            return
        chunks += 1
        if is_households:
            committed = writer.committed  # read before the lookups: the chunks it names, they see
            while unseen and unseen[0][0] <= committed:
                unseen.popleft()
            writes, wrote = _match_households(ctx, pending, results, [u for _, u in unseen], remember=writer.pipelined)
            if wrote is not None:
                unseen.append((chunks, wrote))
            done_rows = outcome_rows()

            def write() -> tuple[list[tuple], int]:
                _write_households(writes)
                return done_rows

            writer.put(chunks, partial(write_chunk, chunks, write))
        else:  # cooperatives, enterprises, BUMDes, members, outlets: matched and written in one go

            def write() -> tuple[list[tuple], int]:
                (spec.flush or _flush_orgs)(ctx, spec, pending, results)
                return outcome_rows()

            write_chunk(chunks, write)
        carried, results, pending, pending_keys, waiting = waiting, [], [], set(), []
        for record in carried:
            take(record)

    def clean(line: int, fields: dict[str, Any], values: list[Any]) -> Any:
        if is_households:
            return _clean_person(ctx, line, fields, values)
        values_clean, issues = spec.clean(ctx, fields)
        if any(i.is_error for i in issues):
            return RowResult(line, Outcome.REJECTED, issues, data=ctx.original(values))
        return (line, values, values_clean, issues)

    def cleaned_rows():
        for line, fields, values in table.rows:
            # Lines written by an earlier, interrupted run are counted but not cleaned again.
            yield line, (None if line <= batch.last_line or line in written else clean(line, fields, values))

    if parallel is None:
        parallel = total >= PARALLEL_FROM_ROWS and (os.cpu_count() or 1) > 1
    rows = _in_second_process(cleaned_rows) if parallel else cleaned_rows()
    try:
        for _line, cleaned in rows:
            if stop_requested():  # the worker is stopping: what is written stays, a rerun resumes after it
                raise Stopped()
            done += 1
            if cleaned is None:
                continue
            if isinstance(cleaned, RowResult):
                results.append(cleaned)
            else:
                take(cleaned)
            if len(pending) + len(results) >= CHUNK:
                flush()
                report(done, max(total, done), batch.original_name)
        while pending or results:  # the last chunk, and any rows still waiting behind it
            flush()
        writer.close()
    except TableError as exc:  # a row deep in the file broke the format: what came before is kept
        while pending or results:
            flush()
        writer.close()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, error=exc.message, error_code=exc.code, finished_at=timezone.now()
        )
        batch.status, batch.error, batch.error_code = ImportBatch.Status.FAILED, exc.message, exc.code
        raise
    except Stopped:
        writer.close()  # the chunks handed to the writer are committed; the rows after them wait
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.QUEUED)
        batch.status = ImportBatch.Status.QUEUED
        raise
    except BaseException:
        writer.close(quietly=True)  # what was matched before is still written: chunks stay whole
        raise
    counts = dict(ImportRow.objects.filter(batch=batch).values_list("outcome").annotate(n=Count("id")))
    summary = {o.value: counts.get(o.value, 0) for o in Outcome}
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE, counts=summary, finished_at=timezone.now(), total_rows=done
    )
    report(done, done, batch.original_name)
    return summary


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
