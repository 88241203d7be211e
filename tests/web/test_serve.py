"""`betang serve` in a real process: SIGTERM stops gunicorn and the worker; identifiers never reach its logs."""

from __future__ import annotations

import os
import signal
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.web.test_worker import betang, descendants, wait_for

NIK = "6271031203800003"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback http
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def answers(url: str) -> bool:
    try:
        return get(url) == 200
    except OSError:
        return False


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_gunicorn_and_the_worker_and_logs_mask_identifiers(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    serve = betang(
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        var_dir=tmp_path,
        extra_env={"HOME": str(home)},
        drop=("XDG_RUNTIME_DIR",),
    )
    base = f"http://127.0.0.1:{port}"
    children: set[int] = set()
    try:
        wait_for(lambda: serve.poll() is None and answers(f"{base}/api/v1/health"), seconds=120, what="health")
        assert get(f"{base}/api/v1/health?q={NIK}") == 200  # a NIK in the query string: gunicorn's access log
        assert get(f"{base}/rumah-tangga/{NIK}/tidak-ada/") == 404  # in the path: Django's "Not Found" warning
        assert (tmp_path / "gunicorn.ctl").exists()  # the control socket, in the var directory
        assert not (home / ".gunicorn").exists()
        wait_for(lambda: len(descendants(serve.pid)) >= 4, seconds=30, what="gunicorn, its 2 workers, the worker")
        children = descendants(serve.pid)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    finally:
        if serve.poll() is None:  # a failing run leaves nothing serving behind it
            for pid in descendants(serve.pid):
                os.kill(pid, signal.SIGKILL)
            serve.kill()
            serve.wait()
    output = serve.stdout.read()
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), seconds=30, what="children gone")
    wait_for(lambda: not port_open(port), seconds=30, what="the port closed")
    assert "GET /api/v1/health?q=6271********0003" in output
    assert "Not Found: /rumah-tangga/6271********0003/tidak-ada/" in output
    assert NIK not in output
