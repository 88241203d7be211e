"""`betang worker`: runs background tasks (imports, region loads, cycle credits) from the database queue.

django-tasks' database worker, with two things added. On SIGTERM or Ctrl+C it asks the running task to
stop (betang.core.stopping): a resumable task (an import) stops at its next row, its written chunks
whole, and is queued again, the same task, for the next worker; other tasks still finish first. And a
resumable task left RUNNING by a worker of this machine that died without that (SIGKILL, the OOM killer,
a power cut) is queued again when a worker starts; django-tasks itself never takes a RUNNING task back.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Command as DbWorker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from betang.core.stopping import Stopped, stop_request, stop_reset

logger = logging.getLogger("betang.worker")

# Only tasks that resume where they stopped (their runs are idempotent) are queued again after a crash.
RESUMABLE_TASKS = ("betang.registry.tasks.import_run_task",)


def _here() -> str:
    """host:boot:pid-namespace: a worker id starting with it names a process a worker here can look for."""

    def read(path: str, how) -> str:
        try:
            return how(path)
        except OSError:
            return "-"

    boot = read("/proc/sys/kernel/random/boot_id", lambda p: Path(p).read_text().strip()[:8])
    namespace = read("/proc/self/ns/pid", lambda p: "".join(c for c in os.readlink(p) if c.isdigit()))
    return f"{socket.gethostname()[:30]}:{boot}:{namespace}"


def _worker_id() -> str:
    """<here>:pid, so that a later worker here can tell whether this one still runs (at most 64 chars)."""
    return f"{_here()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _queue_again(result: DBTaskResult) -> bool:
    return bool(
        DBTaskResult.objects.filter(pk=result.pk, status="RUNNING").update(
            status="READY", started_at=None, finished_at=None
        )
    )


def _gone(worker_id: str, here: str) -> bool:
    """Whether the worker of this id is certainly not running: it ran on this host before the machine
    last started, or in this boot and process namespace under a pid that no longer exists. (A worker of
    another host, or of another container of this host, might still run: it is left be.)"""
    host, boot, namespace = here.split(":")
    parts = worker_id.split(":")
    if len(parts) != 4 or parts[0] != host or "-" in (boot, namespace, parts[1]) or not parts[3].isdigit():
        return False
    if parts[1] != boot:
        return True  # an earlier boot of this machine: every process of it has ended
    return parts[2] == namespace and not _alive(int(parts[3]))


def reclaim_orphans() -> list[str]:
    """Queue again the resumable tasks left RUNNING by a worker that is gone (see _gone)."""
    here = _here()
    reclaimed = []
    for result in DBTaskResult.objects.filter(status="RUNNING", task_path__in=RESUMABLE_TASKS):
        if _gone((result.worker_ids or [""])[-1], here) and _queue_again(result):
            reclaimed.append(str(result.pk))
    return reclaimed


class _Worker(Worker):
    current_task = ""

    def shutdown(self, signum, frame) -> None:
        stop_request()  # the running task, if it can, stops at its next safe point
        if not self.running and self.running_task and self.current_task in RESUMABLE_TASKS:
            # A second signal (Ctrl+C in a terminal, then `betang serve`'s SIGTERM) does not force
            # out a task that is already stopping at its next row: it would only race its requeue.
            return
        super().shutdown(signum, frame)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task = db_task_result.task_path
        failed = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            # Stopped where a rerun resumes (or forced out by a second signal: a resumable task's chunk
            # is one transaction, rolled back): queued again, the same task.
            forced = isinstance(exc, SystemExit | KeyboardInterrupt) and db_task_result.task_path in RESUMABLE_TASKS
            if isinstance(exc, Stopped) or forced:
                _queue_again(db_task_result)
                logger.warning("Task id=%s stopped; queued again", db_task_result.id)
            else:
                failed(exc)

        db_task_result.set_failed = set_failed
        super().run_task(db_task_result)


class Command(BaseCommand):
    help = "Run queued background tasks; --batch runs what is queued now and exits."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="process the queue, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")

    def handle(self, *args, batch, interval, **options):
        stop_reset()
        DbWorker(stdout=self.stdout).configure_logging(options["verbosity"])  # its loggers, at our verbosity
        for task_id in reclaim_orphans():
            logger.warning("Task id=%s was left running by a worker that died; queued again", task_id)
        worker = _Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=_worker_id(),
            excluded_queue_names=[],
        )
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for number, handler in previous.items():  # a test calling this keeps its own handlers
                signal.signal(number, handler)
