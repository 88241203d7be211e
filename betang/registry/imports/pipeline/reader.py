"""The forked reader: a child process reads and cleans the file's rows while its parent matches and writes them."""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import multiprocessing.util  # its exit handler registered before _kill_readers, so run after it
import os
import signal
import threading
import weakref
from collections.abc import Callable, Iterator
from queue import Empty
from typing import Any

from betang.core.stopping import Stopped, stop_requested
from betang.registry.imports.pipeline.tuning import _IMPORT_GC_THRESHOLD
from betang.registry.imports.tabular import TableError

_DONE, _FAILED = "__done__", "__failed__"
_READERS: weakref.WeakSet = weakref.WeakSet()  # readers alive, killed at exit (see _kill_readers)


@atexit.register  # runs before multiprocessing's own exit handler, which would wait on a reader for ever
def _kill_readers() -> None:
    """A reader ignores SIGTERM (its parent decides when it stops): if its generator was never closed,
    kill it here rather than let multiprocessing's exit handler SIGTERM it and wait for ever."""
    for process in list(_READERS):
        if process.is_alive():
            process.kill()
            process.join(timeout=10)


def _in_second_process(produce: Callable[[], Any]) -> Any:
    """Run the generator `produce` in a forked child and yield its items here, in order.

    The child only reads the file and validates (no database: it must never touch the connection it
    inherited, so it leaves with os._exit and runs no finalizers). A bounded queue keeps memory flat.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=8)
    process = context.Process(target=_read, args=(produce, queue, os.getpid()), daemon=True)
    process.start()
    _READERS.add(process)
    try:
        yield from _received(queue, process)
    finally:
        if process.is_alive():
            process.kill()  # it ignores SIGTERM
        process.join(timeout=10)


def _received(queue: Any, process: Any) -> Iterator[Any]:
    """The items the reader sends, in order, until it is done; what stopped it is raised here."""
    while True:
        try:
            item = queue.get(timeout=0.5)
        except Empty:
            if stop_requested():
                raise Stopped() from None
            if not process.is_alive():
                raise RuntimeError(f"import reader ended without answering (exit {process.exitcode})") from None
            continue
        if item == _DONE:
            return
        if isinstance(item, tuple) and item and item[0] == _FAILED:
            raise item[1](item[2]) if item[1] else RuntimeError(f"import reader failed: {item[2]}")
        yield from item


def _read(produce: Callable[[], Any], queue: Any, parent: int) -> None:
    """The child: send `produce`'s items in batches of 1,000, then _DONE (or what failed), and leave."""
    code = 0
    # Stopping is the parent's to decide (SIGTERM to the worker, Ctrl+C to the whole terminal's
    # group): it kills this process when it no longer needs it, or dies, which `_orphaned` sees.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphaned, args=(parent,), name="import-reader-orphaned", daemon=True).start()
    gc.freeze()  # the same pace as the parent's (see _fewer_collections); this process ends with os._exit
    gc.set_threshold(*_IMPORT_GC_THRESHOLD)
    put = queue.put
    try:
        batch: list[Any] = []
        for item in produce():
            batch.append(item)
            if len(batch) >= 1000:
                put(batch)
                batch = []
        put(batch)
        put(_DONE)
    except TableError as exc:  # its class too: the refusal's code (import.too_many_rows, …) is kept
        put((_FAILED, type(exc), exc.message))
    except BaseException as exc:  # reported to the parent, which raises it
        put((_FAILED, None, f"{type(exc).__name__}: {exc}"))
        code = 1
    finally:
        queue.close()
        queue.join_thread()
        os._exit(code)


def _orphaned(parent: int) -> None:
    """Leave if the parent died (SIGKILL): nobody reads, and a full pipe would hold this for ever."""
    while os.getppid() == parent:
        threading.Event().wait(1)
    os._exit(1)
