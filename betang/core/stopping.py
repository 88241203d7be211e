"""A stop asked of this process (SIGTERM to `betang worker`): long tasks look between chunks and stop cleanly."""

from __future__ import annotations

import threading

_requested = threading.Event()


class Stopped(Exception):
    """Raised by a resumable task at a safe point once a stop was asked: the worker queues it again."""


def stop_request() -> None:
    """Called from a signal handler: only sets a flag."""
    _requested.set()


def stop_requested() -> bool:
    return _requested.is_set()


def stop_reset() -> None:
    _requested.clear()


def stop_check() -> None:
    """Raise Stopped if a stop was asked (call it where the task's work so far is safely kept)."""
    if _requested.is_set():
        raise Stopped()
