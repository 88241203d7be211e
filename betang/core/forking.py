"""Run a function in several forked processes at once, each with its own database connections: the
concurrency tests (many payments on one card) and the benchmarks (many cashiers at once) use it."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable

from django.db import connections


def _own_connections() -> None:
    """Forget the connections inherited from the parent (without closing them: that would end the
    parent's session too), so that this process opens its own."""
    from asgiref.local import Local

    connections._connections = Local(connections.thread_critical)


def _call(fn: Callable[[int], object], index: int, results) -> None:
    _own_connections()
    try:
        outcome = fn(index)
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {getattr(exc, 'code', exc)}"
    finally:
        results.put((index, outcome))
        results.close()
        results.join_thread()  # the outcome is in the pipe before the process ends
        connections.close_all()  # this process's own connection
        os._exit(0)  # no test-runner teardown in the child


def at_once(fn: Callable[[int], object], count: int) -> list[object]:
    """Call fn(0) … fn(count - 1), each in its own forked process, all at once; their outcomes by index."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_call, args=(fn, i, results)) for i in range(count)]
    for w in workers:
        w.start()
    outcomes = dict(results.get(timeout=600) for _ in workers)
    for w in workers:
        w.join(timeout=60)
    return [outcomes[i] for i in range(count)]
