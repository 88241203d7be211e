"""The import's forked reader never outlives the import: killed with it, or leaving when its parent dies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.web.test_worker import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # an exited child not yet reaped by whoever adopted it is not running


def _import_then(end: str) -> subprocess.CompletedProcess:
    """A process that starts a reader on an endless file, takes one row, prints the reader's pid, then `end`s."""
    script = (
        textwrap.dedent(
            """
        import multiprocessing, os, signal, sys
        import django
        django.setup()
        from betang.registry.imports.pipeline.reader import _in_second_process

        def produce():  # an endless file: the reader fills the queue and waits on it
            n = 0
            while True:
                n += 1
                yield n

        rows = _in_second_process(produce)
        next(rows)
        print(multiprocessing.active_children()[0].pid, flush=True)
        """
        )
        + end
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_reader_leaves_when_the_import_is_killed():
    done = _import_then("os.kill(os.getpid(), signal.SIGKILL)\n")  # SIGKILL, or the OOM killer
    assert done.returncode == -9, done.stderr
    reader = int(done.stdout.split()[0])
    wait_for(lambda: not _running(reader), seconds=30, what="the orphaned reader has left")


def test_a_process_leaving_with_its_reader_still_open_does_not_wait_on_it_for_ever():
    # The reader ignores SIGTERM; multiprocessing's exit handler would SIGTERM it and wait (timeout: 120 s).
    done = _import_then("sys.exit(3)\n")
    assert done.returncode == 3, done.stderr
    reader = int(done.stdout.split()[0])
    wait_for(lambda: not _running(reader), seconds=30, what="the reader has left")
