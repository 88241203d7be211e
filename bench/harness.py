"""What a benchmark returns, timing helpers, and a fresh database per run."""

from __future__ import annotations

import os
import re
import statistics
import time
from dataclasses import asdict, dataclass


@dataclass
class Result:
    benchmark: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None  # the raw floor measured in the same run, same unit
    baseline_label: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio}


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(pct) - 1]


def database_label() -> str:
    from django.db import connection

    return connection.vendor


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def shadow_tables(models) -> dict[str, str]:
    """Empty copies of the tables (same columns, keys and indexes, no triggers): what the floor writes."""
    from django.db import connection

    names = {}
    with connection.cursor() as cursor:
        for model in models:
            table, shadow = model._meta.db_table, f"bench_{model._meta.db_table}"
            cursor.execute(f"DROP TABLE IF EXISTS {shadow}")
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE {shadow} (LIKE {table} INCLUDING ALL)")
            else:
                cursor.execute(
                    "SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND type IN ('table', 'index') "
                    "AND sql IS NOT NULL",
                    [table],
                )
                for _kind, sql in sorted(cursor.fetchall(), key=lambda r: r[0] != "table"):  # the table first
                    sql = re.sub(r'INDEX "([^"]+)"', r'INDEX "bench_\1"', sql).replace(f'"{table}"', f'"{shadow}"')
                    # No foreign keys, as PostgreSQL's LIKE copies none.
                    sql = re.sub(r' REFERENCES "[^"]+" \("[^"]+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", sql)
                    cursor.execute(sql)
            names[table] = shadow
    return names


def drop_tables(names: dict[str, str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for shadow in names.values():
            cursor.execute(f"DROP TABLE {shadow}")
