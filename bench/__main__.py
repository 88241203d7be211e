"""`python -m bench`: run every bench_*.py on SQLite and PostgreSQL, print a table, write JSON."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = os.environ.get("BENCH_PG_DB", "betang_bench")  # dropped and made anew by every run


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(ROOT / "bench")]) if m.name.startswith("bench_"))


def _worker(selected: list[str]) -> None:
    """Inside one database: migrate, run the benchmarks, print JSON lines."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection

    for name in selected:
        module = importlib.import_module(f"bench.{name}")
        for result in module.run():
            print("RESULT " + json.dumps({"database": connection.vendor, "module": name} | result.as_dict()))


def _fresh_postgres() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        return True
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable, skipping it: {exc}", file=sys.stderr)
        return False


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--worker":
        _worker(argv[1:])
        return 0
    selected = [m for m in _modules() if not argv or any(a in m for a in argv)]
    runs = []
    wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    with tempfile.TemporaryDirectory(prefix="betang-bench-") as tmp:
        if "sqlite" in wanted:
            runs.append(("sqlite", {"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "BETANG_VAR_DIR": tmp}))
        if "postgresql" in wanted and _fresh_postgres():
            runs.append(("postgresql", {"DATABASE_URL": f"{PG_ADMIN_URL}/{PG_DB}", "BETANG_VAR_DIR": tmp}))
        results = []
        for label, extra in runs:
            env = os.environ | extra | {"DJANGO_SETTINGS_MODULE": "config.settings.base"}
            proc = subprocess.run(
                [sys.executable, "-m", "bench", "--worker", *selected],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(proc.stdout[-4000:], proc.stderr[-4000:], file=sys.stderr)
                print(f"benchmarks failed on {label}", file=sys.stderr)
                return 1
            results += [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    table = Table(title="Betang benchmarks")
    for col in ("database", "benchmark", "metric", "value", "baseline", "× baseline"):
        table.add_column(col, justify="right" if col in {"value", "baseline", "× baseline"} else "left")
    for r in results:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "—"
        baseline = f"{r['baseline']:.3f} {r['unit']} ({r['baseline_label']})" if r["baseline"] is not None else "—"
        table.add_row(r["database"], r["benchmark"], r["metric"], f"{r['value']:.3f} {r['unit']}", baseline, ratio)
    console = Console(width=170)
    console.print(table)
    for r in results:
        if r.get("note"):
            console.print(f"  {r['database']} · {r['benchmark']} · {r['metric']}: {r['note']}", highlight=False)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "results": results}, indent=2))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
