"""The import's hot path asks the database a fixed number of times per chunk, whatever the chunk's size:
a chunk of households is looked up, matched row by row in memory, and written set-based."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from betang.registry.imports.run import import_run
from betang.registry.models import ImportBatch
from tests.registry.conftest import csv_bytes, outcomes

pytestmark = pytest.mark.django_db

_LETTERS = "bcdfghjklmnprstw"


def _person(i: int, *, serial: int = 1, typo: bool = False, phone: str = "") -> list[str]:
    """Person `i` of a synthetic village: their own birth date (so their own duplicate block), a NIK
    that encodes it, two persons to a family card (head and spouse), a decile."""
    born = date(1950, 1, 1) + timedelta(days=3 * i)
    female = i % 2 == 1
    day = born.day + 40 if female else born.day
    nik = f"620301{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    name = "Warga " + "".join(_LETTERS[int(d)] for d in f"{i:04d}") + ("i" if typo else "a")
    kk = f"62030199{i // 2:08d}"
    relation = "Istri" if female else "Kepala Keluarga"
    return [nik, name, born.strftime("%d-%m-%Y"), "P" if female else "L", kk, relation, "62.03.01.1006", "", phone, "2"]


@pytest.fixture
def statements(new_batch, now):
    """The statements an import of `rows` runs, bulk updates' batches apart (a bulk update writes at
    most a few hundred rows a statement, fewer on SQLite: their number grows by design)."""

    def count(rows: list[list[str]], *, name: str) -> int:
        batch = new_batch(csv_bytes(rows), name=name)
        with CaptureQueriesContext(connection) as queries:
            import_run(batch, occurred_at=now, parallel=False)
        return sum(1 for q in queries.captured_queries if "CASE WHEN" not in q["sql"])

    return count


def _imports(statements, first: int, n: int) -> dict[str, int]:
    """Statements of three imports of n rows (one chunk each): all new; half known and unchanged and
    half new, every other one a probable duplicate of someone known; all known with a new phone."""
    people = range(first, first + n)
    known = [_person(i) for i in people[: n // 2]]
    newcomers = [_person(i, serial=2, typo=True) if i % 2 else _person(i + n) for i in people[n // 2 :]]
    return {
        "new": statements([_person(i) for i in people], name=f"new-{n}.csv"),
        "mixed": statements(known + newcomers, name=f"mixed-{n}.csv"),
        "updated": statements([_person(i, phone="0812345678") for i in people], name=f"updated-{n}.csv"),
    }


def test_a_chunk_of_500_households_takes_as_many_statements_as_a_chunk_of_50(statements):
    assert _imports(statements, 0, 50) == _imports(statements, 1000, 500)


def test_the_counted_imports_reach_every_outcome_of_the_hot_path(statements):
    _imports(statements, 0, 8)
    assert sorted(outcomes(ImportBatch.objects.get(original_name="new-8.csv")).values()) == ["CREATED"] * 8
    mixed = sorted(outcomes(ImportBatch.objects.get(original_name="mixed-8.csv")).values())
    assert mixed == ["CREATED", "CREATED", "HELD", "HELD", "UNCHANGED", "UNCHANGED", "UNCHANGED", "UNCHANGED"]
    assert sorted(outcomes(ImportBatch.objects.get(original_name="updated-8.csv")).values()) == ["UPDATED"] * 8
