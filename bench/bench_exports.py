"""A province's household export, as the task worker makes it: BENCH_EXPORT_HOUSEHOLDS households
(default 200,000; 1 to 6 members each, 3.5 on average) written to XLSX through `registry.exports`
(masked and full), beside openpyxl's write-only floor for the same cells in the same run: one bare SQL
query of the same columns in the same order, appended as plain values to a write-only workbook (the
writer `core.spreadsheet` replaced). Goal: 30 s."""

from __future__ import annotations

import os
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook

from bench.harness import Result, Timer
from betang.core.bulk import bulk_insert
from betang.core.ids import new_id
from betang.registry import selectors
from betang.registry.models import Household, Person
from betang.registry.services import exports

HOUSEHOLDS = int(os.environ.get("BENCH_EXPORT_HOUSEHOLDS", "200000"))
PROVINCE = "66"  # not a real province: nothing else in the bench database lives there
RELATIONS = ("HEAD", "SPOUSE", "CHILD", "CHILD", "CHILD", "PARENT")


def _load() -> int:
    """The households and their members, written set-based (the export is measured, not the import)."""
    rng = random.Random(66)
    now = timezone.now()
    households, persons = [], []
    for n in range(HOUSEHOLDS):
        household = new_id()
        village = f"{PROVINCE}.{1 + n % 14:02d}.{1 + n // 14 % 20:02d}.{1001 + n // 280 % 30}"
        kk = f"66{n:014d}"
        households.append((household, village, now, now, kk, f"Jl. Tjilik Riwut km {n % 40}", 1 + n % 10))
        for m in range(1 + n % 6):
            born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 26_000))
            persons.append(
                (new_id(), village, now, now, f"66{n:012d}{m:02d}", f"Warga {n} {m}", f"warga {n} {m}", "x",
                 born, "M" if m % 2 == 0 else "F", household, RELATIONS[m], "+6281234567890" if m == 0 else "")
            )  # fmt: skip
    bulk_insert(Household, ("id", "region_code", "created_at", "updated_at", "kk_number", "address", "latest_decile"),
                households)  # fmt: skip
    person_fields = ("id", "region_code", "created_at", "updated_at", "nik", "name", "name_key", "block_key",
                     "birth_date", "sex", "household", "relation", "phone")  # fmt: skip
    for start in range(0, len(persons), 100_000):
        bulk_insert(Person, person_fields, persons[start : start + 100_000])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Household._meta.db_table}")
            cursor.execute(f"ANALYZE {Person._meta.db_table}")
    return len(persons)


def _floor(path: Path) -> int:
    """The same cells in the same order: one bare query, plain values appended to a write-only workbook."""
    person, household = Person._meta.db_table, Household._meta.db_table
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("floor")
    sheet.append(exports.HOUSEHOLD_EXPORT_HEADERS)
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.kk_number, p.nik, p.name, p.birth_date, p.sex, p.relation, p.region_code, h.address, "
            f"p.phone, h.latest_decile FROM {person} p JOIN {household} h ON h.id = p.household_id "
            f"WHERE p.merged_into_id IS NULL AND h.region_code LIKE %s "
            f"ORDER BY h.region_code, h.kk_number, p.birth_date",
            [f"{PROVINCE}.%"],
        )
        while batch := cursor.fetchmany(5000):
            for row in batch:
                sheet.append(row)
            written += len(batch)
    workbook.save(path)
    return written


def _export(path: Path, *, full: bool) -> int:
    """What `registry.tasks.export_run_task` does for an officer of the province: the search, then the file."""
    officer = get_user_model()(username="bench-export", role="PROVINCIAL_OFFICER", scope_region_code=PROVINCE)
    households = selectors.household_list(scope=officer.region_scope)
    return exports.households_write(path, exports.household_persons(households), full=full)


def _read(*, bare: bool) -> int:
    """Only reading the same rows: by the bare query, or by the export's own queryset."""
    if bare:
        person, household = Person._meta.db_table, Household._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT h.kk_number, p.nik, p.name, p.birth_date, p.sex, p.relation, p.region_code, h.address, "
                f"p.phone, h.latest_decile FROM {person} p JOIN {household} h ON h.id = p.household_id "
                f"WHERE p.merged_into_id IS NULL AND h.region_code LIKE %s "
                f"ORDER BY h.region_code, h.kk_number, p.birth_date",
                [f"{PROVINCE}.%"],
            )
            return sum(len(batch) for batch in iter(lambda: cursor.fetchmany(5000), []))
    officer = get_user_model()(username="bench-export", role="PROVINCIAL_OFFICER", scope_region_code=PROVINCE)
    persons = exports.household_persons(selectors.household_list(scope=officer.region_scope))
    return sum(1 for _ in persons.values_list(*exports._HOUSEHOLD_FIELDS).iterator(chunk_size=5000))


def run() -> list[Result]:
    with Timer() as loaded:
        persons = _load()
    with tempfile.TemporaryDirectory(prefix="betang-bench-export-") as tmp:
        with Timer() as floor:
            floor_rows = _floor(Path(tmp) / "floor.xlsx")
        with Timer() as masked:
            rows = _export(Path(tmp) / "masked.xlsx", full=False)
        size = (Path(tmp) / "masked.xlsx").stat().st_size
        with Timer() as full:
            _export(Path(tmp) / "full.xlsx", full=True)
    with Timer() as bare_read:
        _read(bare=True)
    with Timer() as orm_read:
        _read(bare=False)
    assert rows == floor_rows == persons, (rows, floor_rows, persons)
    label = f"household export, {HOUSEHOLDS:,} households ({persons:,} rows)"
    note = (
        f"{size / 1e6:.1f} MB XLSX; reading the rows alone: {bare_read.seconds:.1f} s bare, "
        f"{orm_read.seconds:.1f} s by the export's queryset; loading took {loaded.seconds:.0f} s; goal 30 s"
    )
    floor_label = "bare SQL + openpyxl write-only, plain values"
    return [
        Result(label, "XLSX, NIK and KK masked", round(masked.seconds, 2), "s", round(floor.seconds, 2), floor_label,
               note),
        Result(label, "XLSX, full identifiers", round(full.seconds, 2), "s", round(floor.seconds, 2), floor_label),
    ]  # fmt: skip
