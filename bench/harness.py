"""What a benchmark returns, timing helpers, and a fresh database per run."""

from __future__ import annotations

import os
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
