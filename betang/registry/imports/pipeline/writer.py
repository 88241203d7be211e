"""The chunk writer: chunks in file order; on PostgreSQL a thread commits one while the next is matched."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection

if TYPE_CHECKING:
    from betang.registry.imports.household_lookups import _Home, _Member


@dataclass
class _Unseen:
    """What one chunk wrote, as it left it: the pipelined writer commits a chunk while the next one is
    matched on another connection, whose lookups cannot see it yet, so they are read over this."""

    persons: dict[str, _Member]  # by NIK: created or changed
    homes: dict[Any, _Home]  # by id: created or changed (a KK change moves a home to another number)
    snapshots: set[tuple[Any, date]]


class _ChunkWriter:
    """Writes chunks in file order, each in one transaction with the batch's progress marker.

    Pipelined (PostgreSQL, outside a caller's transaction), a thread with its own connection writes
    and commits a chunk while the caller matches the next one: the server's inserts, index upkeep and
    commit no longer wait on Python, nor Python on them. At most one chunk waits for the thread.
    Otherwise each chunk is written here, at once.
    """

    def __init__(self, *, pipelined: bool) -> None:
        self.pipelined = pipelined
        self.committed = 0  # the last chunk committed (its writes visible to every connection)
        self._error: BaseException | None = None
        if pipelined:
            self._queue: queue.Queue = queue.Queue(maxsize=1)
            self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
            self._thread.start()

    def put(self, seq: int, write: Callable[[], None]) -> None:
        if not self.pipelined:
            write()
            self.committed = seq
            return
        while True:
            self._raise_if_failed()
            try:
                self._queue.put((seq, write), timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self, *, quietly: bool = False) -> None:
        """Wait for every chunk put so far to be committed; raise what stopped the thread, if anything
        (not `quietly`: the caller is already raising its own)."""
        if not self.pipelined:
            return
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None and not quietly:
            raise self._error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
        if not self._thread.is_alive():
            raise RuntimeError("the import's writer stopped")

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                seq, write = item
                write()
                self.committed = seq
        except BaseException as exc:  # raised again in the matching thread
            self._error = exc
        finally:
            connection.close()  # this thread's own connection
