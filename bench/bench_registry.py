"""Registry import at scale: 1,000,000 person rows end to end (vs a bare load of the same rows),
deduplication quality on the seeded duplicates, and the cost of checking 10,000 new rows against
registries of 100,000 and 1,000,000 persons. Rows: BENCH_REGISTRY_ROWS (default 1,000,000)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from bench.harness import Result, Timer, drop_tables, shadow_tables
from bench.registry_gen import HEADERS
from betang.regions.models import Village
from betang.regions.services import regions_load
from betang.registry.models import (
    DtsenSnapshot,
    DuplicateCandidate,
    Household,
    HouseholdKk,
    ImportBatch,
    ImportRow,
    Person,
)

ROWS = int(os.environ.get("BENCH_REGISTRY_ROWS", "1000000"))
CHECK_ROWS = 10_000


def _clear_registry() -> None:
    """Back to empty tables between runs: TRUNCATE on PostgreSQL (a DELETE would leave the next
    import a bloated table and indexes to insert into), DELETE on SQLite."""
    models = (DuplicateCandidate, ImportRow, ImportBatch, DtsenSnapshot, HouseholdKk, Person, Household)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in models) + " CASCADE")
        return
    with transaction.atomic():
        for model in models:
            model.objects.all().delete()


def _import(path: Path) -> tuple[float, int]:
    """`betang import households FILE` in its own process: wall seconds and that process's peak memory (KiB)."""
    with Timer() as t:
        done = subprocess.run(
            [sys.executable, "-m", "bench.run_import", str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.base"},
        )
    peak = next(int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("PEAK_KIB"))
    return t.seconds, peak


@dataclass
class _Labels:
    exact: dict[int, int]
    typo: dict[int, int]


def _generate(
    path: Path, rows: int, seed: int, villages: Path, invalid: float = 0.02, duplicates: float = 0.01
) -> _Labels:
    """The file, made in a separate process (see registry_gen.main), and its labels."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.registry_gen",
            str(path),
            str(rows),
            str(seed),
            str(invalid),
            str(duplicates),
            str(villages),
        ],
        check=True,
    )
    raw = json.loads(Path(str(path) + ".labels.json").read_text())
    return _Labels({int(k): v for k, v in raw["exact"].items()}, {int(k): v for k, v in raw["typo"].items()})


def _bare_load(path: Path) -> float:
    """The floor: parse the same CSV and COPY (PostgreSQL) / executemany (SQLite) it into a plain table."""
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw_persons")
        cur.execute("CREATE TABLE bench_raw_persons (" + ", ".join(f"c{i} TEXT" for i in range(len(HEADERS))) + ")")
    with Timer() as t, transaction.atomic(), connection.cursor() as cur, open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        columns = ", ".join(f"c{i}" for i in range(len(HEADERS)))
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY bench_raw_persons ({columns}) FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("%s" for _ in HEADERS)
            cur.executemany(f"INSERT INTO bench_raw_persons ({columns}) VALUES ({placeholders})", reader)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_raw_persons")
    return t.seconds


_WRITTEN = (Household, Person, HouseholdKk, DtsenSnapshot, ImportRow)  # in the order they may be written


def _write_floor() -> tuple[float, int]:
    """The cost of storing what the import stored, and nothing else: every row the import wrote to
    its five tables, copied by one `INSERT … SELECT` per table into empty copies carrying the same
    keys and indexes (no foreign keys), in one transaction. No parsing, validation or matching: the
    floor any import of this schema pays on this machine. Returns seconds and the rows copied."""
    names = shadow_tables(_WRITTEN)
    rows = 0
    with Timer() as t, transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL synchronous_commit = off")  # as the import's chunks commit
        for table, copy in names.items():
            cur.execute(f"INSERT INTO {copy} SELECT * FROM {table}")
            rows += cur.rowcount
    drop_tables(names)
    return t.seconds, rows


def _quality(labels) -> tuple[float, float]:
    batch = ImportBatch.objects.latest("created_at")
    outcome = dict(ImportRow.objects.filter(batch=batch).values_list("line", "outcome"))
    object_of = dict(ImportRow.objects.filter(batch=batch).values_list("line", "object_id"))
    pairs = dict(DuplicateCandidate.objects.values_list("candidate_id", "existing_id"))
    found = 0
    for line, original in labels.exact.items():
        found += outcome.get(line) == "UNCHANGED" and object_of.get(line) == object_of.get(original)
    held_right = 0
    for line, original in labels.typo.items():
        held_right += outcome.get(line) == "HELD" and pairs.get(object_of.get(line)) == object_of.get(original)
    held_total = sum(1 for o in outcome.values() if o == "HELD")
    recall = (found + held_right) / max(1, len(labels.exact) + len(labels.typo))
    precision = held_right / max(1, held_total)
    return recall * 100, precision * 100


def run() -> list[Result]:
    regions_load(occurred_at=timezone.now())
    villages = list(Village.objects.filter(is_active=True).values_list("code", flat=True))
    results: list[Result] = []
    label = f"registry import ({ROWS:,} person rows)"
    with tempfile.TemporaryDirectory(prefix="betang-registry-") as tmp:
        big, small, new = Path(tmp) / "persons.csv", Path(tmp) / "persons-100k.csv", Path(tmp) / "new-10k.csv"
        villages_file = Path(tmp) / "villages.txt"
        villages_file.write_text("\n".join(villages))
        labels = _generate(big, ROWS, 1, villages_file)
        _generate(small, min(100_000, ROWS), 2, villages_file)
        _generate(new, CHECK_ROWS, 3, villages_file, invalid=0.0, duplicates=0.0)

        # Checking 10,000 new rows against a registry of 100,000 …
        _import(small)
        check_small, _ = _import(new)
        _clear_registry()

        bare = _bare_load(big)
        seconds, peak_kib = _import(big)
        persons = Person.objects.count()
        results.append(Result(label, "end to end", seconds, "s", bare, "bare COPY/executemany"))
        results.append(Result(label, "rows per second", ROWS / seconds, "rows/s", ROWS / bare, "bare load rows/s"))
        results.append(Result(label, "peak memory of the import process", peak_kib / 1024, "MiB"))
        floor, floor_rows = _write_floor()
        results.append(
            Result(
                label,
                "storing the rows it wrote, alone",
                floor,
                "s",
                bare,
                "bare COPY/executemany",
                note=f"{floor_rows:,} rows into empty copies of the five tables with their indexes, set-based, "
                f"no parsing or checks; the import took {seconds / floor:.1f}× this",
            )
        )
        recall, precision = _quality(labels)
        results.append(
            Result(
                "dedup quality on seeded duplicates",
                "recall",
                recall,
                "%",
                note=f"{len(labels.exact)} exact + {len(labels.typo)} typo duplicates",
            )
        )
        results.append(Result("dedup quality on seeded duplicates", "precision", precision, "%"))

        # … and against the full registry.
        check_big, _ = _import(new)
        results.append(
            Result(
                f"check {CHECK_ROWS:,} new rows for duplicates",
                f"against {persons:,} persons",
                check_big,
                "s",
                check_small,
                "same against 100,000",
            )
        )
    return results
