"""The payment API over HTTP on PostgreSQL: gunicorn serving Betang (production settings, behind what
would be the TLS proxy), a closed-loop load generator on loopback, and pgbench's simple-update on the
same server in the same run."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from bench import loadgen
from bench.harness import Result, percentile
from betang.accounts.services import token_create
from betang.registry.models import CooperativeStaff

REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "6000"))
CONNECTIONS = 16
WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "2"))  # as `betang serve`: two processes of four threads
THREADS = 4
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _pgbench() -> float | None:
    """pgbench's built-in simple-update, 8 clients for 15 s, on its own database of the same server."""
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    if not Path(binary).exists():
        return None
    params = connection.get_connection_params()
    conninfo = ["-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432)]
    conninfo += ["-U", str(params.get("user") or "postgres")]
    with psycopg.connect(host=conninfo[1], port=conninfo[3], user=conninfo[5], dbname="postgres", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS betang_pgbench WITH (FORCE)")
        c.execute("CREATE DATABASE betang_pgbench")
    subprocess.run([binary, *conninfo, "-i", "-q", "-s", "10", "betang_pgbench"], check=True, capture_output=True)
    done = subprocess.run(
        [binary, *conninfo, "-b", "simple-update", "-c", "8", "-j", "2", "-T", "15", "betang_pgbench"],
        check=True,
        capture_output=True,
        text=True,
    )
    with psycopg.connect(host=conninfo[1], port=conninfo[3], user=conninfo[5], dbname="postgres", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS betang_pgbench WITH (FORCE)")
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    return float(found.group(1)) if found else None


def http_results(world, cards: list[tuple[str, str]]) -> list[Result]:
    cooperative = world.cooperatives[0]
    cashier = get_user_model().objects.create(
        username="kasir.bench", role="CASHIER", scope_region_code=cooperative.region_code
    )
    # The bench's villages are synthetic (no region rows), so the binding is written as plain setup data.
    CooperativeStaff.objects.create(user=cashier, cooperative=cooperative, since=timezone.now())
    secret = token_create(user=cashier, name="bench POS", actor=None, occurred_at=timezone.now()).secret
    port = _free_port()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "BETANG_ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            # Each worker holds at most its share of the keep-alive connections: with gunicorn's
            # default (1,000) the first workers to accept took them all and the others idled.
            "--worker-connections",
            str(-(-CONNECTIONS // WORKERS)),
            "--keep-alive",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port)
        headers = {
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",  # as the TLS proxy in front of gunicorn says
        }

        def requests(count: int, tag: str):
            for n in range(count):
                number, pin = cards[n % len(cards)]
                body = json.dumps(
                    {
                        "card_number": number,
                        "pin": pin,
                        "cooperative_id": str(cooperative.pk),
                        "basket": [{"category": "BERAS", "amount": 1000, "description": "Beras 1 kg"}],
                    }
                ).encode()
                yield loadgen.post("/api/v1/aid/payments", body, headers | {"Idempotency-Key": f"{tag}-{n}"})

        loadgen.run("127.0.0.1", port, requests(200, "warm"), connections=CONNECTIONS)  # workers warm up
        load = loadgen.run("127.0.0.1", port, requests(REQUESTS, "http"), connections=CONNECTIONS)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = load.statuses.get(200, 0) + load.statuses.get(201, 0)
    if ok != REQUESTS:
        raise RuntimeError(f"payments over HTTP failed: {load.statuses}")
    rate = REQUESTS / load.seconds
    tps = _pgbench()
    label = f"card payment over HTTP ({WORKERS}×{THREADS} gunicorn workers, {CONNECTIONS} connections)"
    ms = [s * 1000 for s in load.latencies]
    return [
        Result(label, "payments per second", rate, "payments/s", tps, "pgbench simple-update tps"),
        Result(label, "latency p50", percentile(ms, 50), "ms"),
        Result(label, "latency p99", percentile(ms, 99), "ms"),
    ]
