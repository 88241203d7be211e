"""`betang serve`: the web server (gunicorn + whitenoise) and, by default, a task worker beside it."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Betang on HTTP with gunicorn, with a background worker unless --no-worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address:port (default %(default)s)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args, bind, workers, threads, no_worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "betang.cli", "worker"])
        self.stdout.write(f"Betang ({settings.ROLE}) at http://{bind}/  — Ctrl+C stops it.")
        cmd = [
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
        ]
        try:
            subprocess.run(cmd, check=False)  # noqa: S603 - fixed argument list
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
