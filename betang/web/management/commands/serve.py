"""`betang serve`: the web server (gunicorn + whitenoise) and, by default, a task worker beside it.

SIGTERM (systemd, CI, `kill`) stops it as Ctrl+C does: gunicorn and the worker are asked to stop (the
worker puts a running import back in the queue at its next row), and are killed if they have not within
STOP_SECONDS. gunicorn's control socket lives in the var directory, not in the user's home.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

STOP_SECONDS = 30  # gunicorn's graceful timeout is 5 s; a worker stops an import at its next row
_UNIX_SOCKET_PATH_MAX = 104  # sun_path is 108 bytes on Linux, 104 on the BSDs


def gunicorn_command(*, bind: str, workers: int, threads: int) -> list[str]:
    control = settings.VAR_DIR / "gunicorn.ctl"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
        # Access and error lines with NIK, KK and card numbers masked (a search typed into a URL).
        "--logger-class",
        "betang.web.gunicorn_logging.MaskingLogger",
        # The socket `gunicornc` talks to, beside the database; a var path too long for a socket: none.
        *(
            ["--control-socket", str(control)]
            if len(str(control).encode()) < _UNIX_SOCKET_PATH_MAX
            else ["--no-control-socket"]
        ),
    ]


class Command(BaseCommand):
    help = "Serve Betang on HTTP with gunicorn, with a background worker unless --no-worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address:port (default %(default)s)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args, bind, workers, threads, no_worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        stopping: list[int] = []

        def stop(signum, frame) -> None:
            stopping.append(signum)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        children: list[subprocess.Popen] = []
        try:
            if not no_worker:
                children.append(subprocess.Popen([sys.executable, "-m", "betang.cli", "worker"]))
            server = subprocess.Popen(gunicorn_command(bind=bind, workers=workers, threads=threads))  # noqa: S603
            children.append(server)
            self.stdout.write(f"Betang ({settings.ROLE}) at http://{bind}/  — Ctrl+C stops it.")
            self.stdout.flush()
            while not stopping and server.poll() is None:
                time.sleep(0.2)
        finally:
            _stop(children)
            for number, handler in previous.items():
                signal.signal(number, handler)
        if not stopping and server.returncode:  # gunicorn ended on its own (the port taken, …)
            sys.exit(server.returncode)


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child still running, then SIGKILL to any still running after STOP_SECONDS."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
