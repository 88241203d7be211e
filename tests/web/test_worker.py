"""`betang worker` in a real process: SIGTERM stops an import at a chunk, the task waits, a rerun completes it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from bench.registry_gen import generate
from betang.regions.models import Village
from betang.registry.models import ImportBatch, ImportRow, Person
from betang.registry.services.imports import import_batch_create
from betang.registry.tasks import import_run_task
from betang.web.management.commands.worker import _worker_id, reclaim_orphans

ROWS = 60_000  # 12 chunks, read by the forked reader (PARALLEL_FROM_ROWS)


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def betang(*args: str, var_dir: Path, extra_env=None, drop=()) -> subprocess.Popen:
    """`betang ARGS` on the test database, its output (stdout and stderr) in .stdout."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", *drop}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", "DATABASE_URL": database_url()}
    env |= {"BETANG_VAR_DIR": str(var_dir)} | (extra_env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "betang.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signals", [[signal.SIGTERM], [signal.SIGINT, signal.SIGTERM]])  # Ctrl+C, then serve's
def test_sigterm_stops_an_import_at_a_chunk_and_the_next_worker_completes_it(
    committed_regions, tmp_path, settings, now, signals
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's: $BETANG_VAR_DIR/media
    villages = list(Village.objects.filter(code__startswith="62.03").values_list("code", flat=True)[:50])
    source = tmp_path / "rumah-tangga.csv"
    generate(source, rows=ROWS, villages=villages, seed=7, invalid=0.01, duplicates=0.0)
    batch = import_batch_create(
        kind="households",
        file=ContentFile(source.read_bytes(), name="rumah-tangga.csv"),
        original_name="rumah-tangga.csv",
        actor=None,
        occurred_at=now,
        queue=False,
    )
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        task = import_run_task.enqueue(batch_id=str(batch.pk), occurred_at=now.isoformat())

    worker = betang("worker", var_dir=tmp_path)
    try:

        def first_chunk_written() -> bool:
            assert worker.poll() is None, worker.stdout.read()
            return ImportBatch.objects.get(pk=batch.pk).last_line > 0

        wait_for(first_chunk_written, seconds=120, what="the first chunk is written")
        children = descendants(worker.pid)
        assert children, "the forked reader runs beside the worker"
        for number in signals:
            worker.send_signal(number)
        worker.wait(timeout=60)  # generous; it stops at the next row
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    output = worker.stdout.read()
    assert worker.returncode == 0, output
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), seconds=30, what="reader gone")

    stopped = ImportBatch.objects.get(pk=batch.pk)
    assert stopped.status == ImportBatch.Status.QUEUED  # not RUNNING for ever
    assert 0 < stopped.last_line < ROWS + 1
    assert DBTaskResult.objects.get(pk=task.id).status == "READY"  # the same task, queued again
    written = ImportRow.objects.filter(batch=stopped).count()
    assert written < ROWS

    rerun = betang("worker", "--batch", var_dir=tmp_path)
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output

    done = ImportBatch.objects.get(pk=batch.pk)
    assert done.status == ImportBatch.Status.DONE
    assert DBTaskResult.objects.get(pk=task.id).status == "SUCCESSFUL"
    counts = done.counts
    # Every row once: none written twice (it would count UNCHANGED), none lost.
    assert sum(counts.values()) == ROWS
    assert counts["UNCHANGED"] == counts["UPDATED"] == 0
    assert counts["REJECTED"] > 0  # the 1% made invalid
    assert ImportRow.objects.filter(batch=done).count() == ROWS
    assert ImportRow.objects.filter(batch=done).values("line").distinct().count() == ROWS
    assert Person.objects.count() == counts["CREATED"] + counts["HELD"]


@pytest.mark.django_db
def test_a_task_left_running_by_a_killed_worker_of_this_host_is_queued_again():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        orphan = import_run_task.enqueue(batch_id="x", occurred_at="2026-01-01T00:00:00+07:00")
        alive = import_run_task.enqueue(batch_id="y", occurred_at="2026-01-01T00:00:00+07:00")
        elsewhere = import_run_task.enqueue(batch_id="z", occurred_at="2026-01-01T00:00:00+07:00")
        before_reboot = import_run_task.enqueue(batch_id="b", occurred_at="2026-01-01T00:00:00+07:00")
    here = _worker_id().rpartition(":")[0]
    assert here.startswith(socket.gethostname()[:30])
    running = {"status": "RUNNING"}
    DBTaskResult.objects.filter(pk=orphan.id).update(**running, worker_ids=[f"{here}:{dead.pid}"])
    DBTaskResult.objects.filter(pk=alive.id).update(**running, worker_ids=[f"{here}:{os.getpid()}"])
    host, boot, namespace = here.split(":")
    # A worker in another container of this machine with the same host name: its pid means nothing here.
    DBTaskResult.objects.filter(pk=elsewhere.id).update(**running, worker_ids=[f"{here}0:{dead.pid}"])
    # A worker of this host before the machine last started: certainly gone, whatever its pid.
    earlier = f"{host}:{'0' if boot[0] != '0' else '1'}{boot[1:]}:{namespace}:{os.getpid()}"
    DBTaskResult.objects.filter(pk=before_reboot.id).update(**running, worker_ids=[earlier])
    assert sorted(reclaim_orphans()) == sorted([str(orphan.id), str(before_reboot.id)])
    assert DBTaskResult.objects.get(pk=orphan.id).status == "READY"
    assert DBTaskResult.objects.get(pk=before_reboot.id).status == "READY"
    assert DBTaskResult.objects.get(pk=alive.id).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=elsewhere.id).status == "RUNNING"
    assert len(_worker_id()) <= 64
