"""The benchmarks still run, at tiny sizes, on the database this suite runs on: a change that breaks
a benchmark (a new column its bare-SQL floor must write, a new access rule its load generator must
meet) fails here rather than at the next `make bench`. No figure is asserted: timing is for `make bench`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "BENCH_AID_PAYMENTS": "20",
    "BENCH_OUTLET_SALES": "20",
    "BENCH_CREDIT_HOUSEHOLDS": "300",
    "BENCH_HTTP_REQUESTS": "40",
    "BENCH_REGISTRY_ROWS": "2000",
    "BENCH_DISTRIBUTION_PAYMENTS": "3000",
    "BENCH_DISTRIBUTION_READS": "10",
    "BENCH_FUND_LOANS": "200",
    "BENCH_EXPORT_HOUSEHOLDS": "300",
    "BENCH_PG_DB": "betang_bench_tiny",  # not the database of a `make bench` that may be running
}


@pytest.mark.parametrize("module", ["aid", "outlets", "registry", "distribution", "fund", "exports"])
def test_the_benchmark_runs(module):
    database = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "bench", module],
        cwd=ROOT,
        env=os.environ | TINY | {"BENCH_DATABASES": database},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Betang benchmarks" in done.stdout
