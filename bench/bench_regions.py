"""Regions: loading all 83,762 villages (vs bare executemany) and village search p50/p95 (vs raw SQL)."""

from __future__ import annotations

import csv
import gzip
import random

from django.db import connection, transaction
from django.utils import timezone

from bench.harness import Result, Timer, percentile
from betang.regions.models import District, Province, Regency, Village
from betang.regions.scope import RegionScope
from betang.regions.selectors import village_search
from betang.regions.services import DATA_DIR, regions_load

QUERIES = 1000


def _raw_rows():
    rows = {}
    for stem in ("provinces", "regencies", "districts", "villages"):
        with gzip.open(DATA_DIR / f"{stem}.csv.gz", "rt", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            rows[stem] = list(reader)
    return rows


def _clear():
    with transaction.atomic():
        Village.objects.all().delete()
        District.objects.all().delete()
        Regency.objects.all().delete()
        Province.objects.all().delete()


def _bare_load() -> float:
    """The floor: read the same files and executemany the same rows in one transaction, no checks."""
    with Timer() as t:
        rows = _raw_rows()
        kind_village = {"1": "KELURAHAN", "2": "DESA", "3": "DESA_ADAT"}
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO regions_province (code, name, is_active) VALUES (%s, %s, TRUE)", rows["provinces"]
            )
            cur.executemany(
                "INSERT INTO regions_regency (code, province_id, name, is_active, kind) VALUES (%s, %s, %s, TRUE, %s)",
                [(*r, "KOTA" if r[2].startswith("Kota ") else "KABUPATEN") for r in rows["regencies"]],
            )
            cur.executemany(
                "INSERT INTO regions_district (code, regency_id, name, is_active) VALUES (%s, %s, %s, TRUE)",
                rows["districts"],
            )
            cur.executemany(
                "INSERT INTO regions_village (code, district_id, name, is_active, kind) VALUES (%s, %s, %s, TRUE, %s)",
                [(*r, kind_village[r[0][9]]) for r in rows["villages"]],
            )
    return t.seconds


def _queries(rng: random.Random) -> list[str]:
    names = list(Village.objects.values_list("name", flat=True))
    codes = list(Village.objects.values_list("code", flat=True))
    queries = []
    for i in range(QUERIES):
        if i % 4 == 3:  # a quarter by code prefix, as officers type them
            code = rng.choice(codes)
            queries.append(code[: rng.choice([5, 8, 13])])
        else:
            name = rng.choice(names)
            size = rng.randint(3, min(8, len(name)))
            start = rng.randint(0, len(name) - size)
            queries.append(name[start : start + size])
    return queries


def run() -> list[Result]:
    now = timezone.now()
    results = []
    _clear()
    bare = _bare_load()
    _clear()
    with Timer() as first:
        regions_load(occurred_at=now)
    with Timer() as second:
        again = regions_load(occurred_at=now)
    assert not again.changed
    floor = "bare executemany"
    results.append(Result("regions load (83,762 villages)", "first load", first.seconds, "s", bare, floor))
    results.append(Result("regions load (83,762 villages)", "second run (no change)", second.seconds, "s", bare, floor))

    rng = random.Random(20261121)
    queries = _queries(rng)
    scope = RegionScope("")
    service_ms = []
    for q in queries:
        with Timer() as t:
            list(village_search(query=q, scope=scope))
        service_ms.append(t.seconds * 1000)
    raw_ms = []
    # The same predicate the ORM writes on each database (SQLite's LIKE is already case-blind).
    name_sql = (
        "SELECT code, name FROM regions_village WHERE UPPER(name::text) LIKE UPPER(%s) ORDER BY name LIMIT 20"
        if connection.vendor == "postgresql"
        else "SELECT code, name FROM regions_village WHERE name LIKE %s ORDER BY name LIMIT 20"
    )
    with connection.cursor() as cur:
        for q in queries:
            with Timer() as t:
                if q[0].isdigit():
                    cur.execute(
                        "SELECT code, name FROM regions_village WHERE code >= %s AND code < %s ORDER BY code LIMIT 20",
                        [q, q + ":"],
                    )
                else:
                    cur.execute(name_sql, ["%" + q + "%"])
                cur.fetchall()
            raw_ms.append(t.seconds * 1000)
    label = f"village search ({QUERIES} random queries)"
    for pct in (50, 95):
        results.append(
            Result(label, f"p{pct}", percentile(service_ms, pct), "ms", percentile(raw_ms, pct), "raw SQL LIKE")
        )
    return results
