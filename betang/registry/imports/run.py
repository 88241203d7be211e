"""Running an import batch: stream the file, clean rows, match and write them chunk by chunk; a rerun resumes."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from betang.core.bulk import bulk_insert, commit_without_waiting
from betang.core.progress import ProgressCallback
from betang.core.stopping import Stopped, stop_requested
from betang.regions.scope import RegionScope
from betang.registry.imports import validation as v
from betang.registry.imports.household_matching import _match_households
from betang.registry.imports.household_writes import _write_households
from betang.registry.imports.households import PersonRecord, _clean_person
from betang.registry.imports.kinds import ORG_SPECS, columns_for
from betang.registry.imports.organisations import _flush_orgs
from betang.registry.imports.pipeline.reader import _in_second_process
from betang.registry.imports.pipeline.tuning import _fewer_collections, _refresh_statistics
from betang.registry.imports.pipeline.writer import _ChunkWriter, _Unseen
from betang.registry.imports.rows import Context, Outcome, RowResult
from betang.registry.imports.tabular import Table, TableError, open_table
from betang.registry.models import ImportBatch, ImportRow

CHUNK = 5000
PARALLEL_FROM_ROWS = 20_000

_ROW_FIELDS = ["batch", "line", "outcome", "codes", "message", "data", "object_id", "changes"]


def import_run(
    batch: ImportBatch,
    *,
    occurred_at: datetime,
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
    pipelined: bool | None = None,
) -> dict[str, int]:
    """Process a batch from where it stopped; returns the count of each outcome over the whole file.

    With `parallel` (default: for files of PARALLEL_FROM_ROWS rows or more on a machine with two
    cores), a forked process reads and validates rows while this one matches and writes them.
    Households are `pipelined` where they can be (PostgreSQL, not inside a caller's transaction; see
    _ChunkWriter): one chunk is written while the next is matched.
    """
    with _fewer_collections():
        return _import_run(batch, occurred_at, progress, parallel, pipelined)


def _import_run(batch, occurred_at, progress, parallel, pipelined) -> dict[str, int]:
    report = progress or (lambda done, total, message: None)
    path = Path(batch.file.path)
    try:
        table = open_table(path, batch.original_name, columns_for(batch.kind))
    except TableError as exc:
        _failed(batch, exc, finished_at=occurred_at)
        raise
    ctx = _context(batch, table, occurred_at)
    total = _count_lines(path)
    batch.headers = table.headers
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, total_rows=total, headers=table.headers
    )
    run = _Run(batch, ctx, pipelined=pipelined)
    if parallel is None:
        parallel = total >= PARALLEL_FROM_ROWS and (os.cpu_count() or 1) > 1
    rows = _in_second_process(partial(run.cleaned_rows, table)) if parallel else run.cleaned_rows(table)
    done = _run_rows(run, rows, report, total)
    counts = dict(ImportRow.objects.filter(batch=batch).values_list("outcome").annotate(n=Count("id")))
    summary = {o.value: counts.get(o.value, 0) for o in Outcome}
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE, counts=summary, finished_at=timezone.now(), total_rows=done
    )
    report(done, done, batch.original_name)
    return summary


def _context(batch: ImportBatch, table: Table, now: datetime) -> Context:
    return Context(
        source=batch.original_name,
        regions=v.RegionIndex.load(),
        scope=RegionScope(batch.scope_region_code),
        today=timezone.localdate(now),
        now=now,
        original=table.original,
    )


def _count_lines(path: Path) -> int:
    """Rows in a CSV (for the progress bar); 0 for a workbook, whose size shows as it is read."""
    with open(path, "rb") as fh:
        if fh.read(2) == b"PK":
            return 0
        fh.seek(0)
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1, 0)


def _failed(batch: ImportBatch, exc: TableError, *, finished_at: datetime) -> None:
    """The batch failed on a file it cannot read (as a whole, or from a row on): it says why."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED, error=exc.message, error_code=exc.code, finished_at=finished_at
    )
    batch.status, batch.error, batch.error_code = ImportBatch.Status.FAILED, exc.message, exc.code


def _run_rows(run: _Run, rows: Iterable[tuple[int, Any]], report: ProgressCallback, total: int) -> int:
    """Take every row, chunk by chunk; whatever stops the run, the chunks matched are written whole.
    Returns the number of rows read."""
    try:
        done = 0
        for _line, cleaned in rows:
            if stop_requested():  # the worker is stopping: what is written stays, a rerun resumes after it
                raise Stopped()
            done += 1
            if cleaned is None:
                continue
            if isinstance(cleaned, RowResult):
                run.results.append(cleaned)
            else:
                run.take(cleaned)
            if len(run.pending) + len(run.results) >= CHUNK:
                run.flush()
                report(done, max(total, done), run.batch.original_name)
        run.flush_all()  # the last chunk, and any rows still waiting behind it
        run.writer.close()
    except TableError as exc:  # a row deep in the file broke the format: what came before is kept
        run.flush_all()
        run.writer.close()
        _failed(run.batch, exc, finished_at=timezone.now())
        raise
    except Stopped:
        run.writer.close()  # the chunks handed to the writer are committed; the rows after them wait
        ImportBatch.objects.filter(pk=run.batch.pk).update(status=ImportBatch.Status.QUEUED)
        run.batch.status = ImportBatch.Status.QUEUED
        raise
    except BaseException:
        run.writer.close(quietly=True)  # what was matched before is still written: chunks stay whole
        raise
    return done


class _Run:
    """One run of a batch: clean rows are taken in file order into a chunk, which is matched and
    written (with its rows' outcomes and the batch's marker, in one transaction) when full.

    A NIK seen twice in one chunk waits for the next one, so the first row lands before the second
    is matched against it. batch.last_line then stops before the first row still waiting, and a
    rerun skips the lines after it that were already written.
    """

    def __init__(self, batch: ImportBatch, ctx: Context, *, pipelined: bool | None) -> None:
        self.batch, self.ctx = batch, ctx
        self.is_households = batch.kind == ImportBatch.Kind.HOUSEHOLDS
        self.spec = None if self.is_households else ORG_SPECS[batch.kind]
        self.results: list[RowResult] = []
        self.pending: list[Any] = []
        self.pending_keys: set[Any] = set()
        self.waiting: list[PersonRecord] = []
        self.last_line = batch.last_line
        # Read here, in this process: the forked reader never touches the database.
        self.written = set(
            ImportRow.objects.filter(batch=batch, line__gt=batch.last_line).order_by().values_list("line", flat=True)
        )
        self.chunks = 0
        can_pipeline = self.is_households and connection.vendor == "postgresql" and not connection.in_atomic_block
        self.writer = _ChunkWriter(pipelined=can_pipeline and pipelined is not False)
        self.unseen: collections.deque[tuple[int, _Unseen]] = collections.deque()  # chunks not yet known committed

    # --- reading (in the forked reader, when there is one) ---

    def cleaned_rows(self, table: Table) -> Iterator[tuple[int, Any]]:
        """Each line with its clean record, its refusal, or None for a line an earlier run wrote."""
        first, written = self.batch.last_line, self.written
        for line, fields, values in table.rows:
            # Lines written by an earlier, interrupted run are counted but not cleaned again.
            yield line, (None if line <= first or line in written else self.clean(line, fields, values))

    def clean(self, line: int, fields: dict[str, Any], values: list[Any]) -> Any:
        if self.is_households:
            return _clean_person(self.ctx, line, fields, values)
        values_clean, issues = self.spec.clean(self.ctx, fields)
        if any(i.is_error for i in issues):
            return RowResult(line, Outcome.REJECTED, issues, data=self.ctx.original(values))
        return (line, values, values_clean, issues)

    # --- chunking ---

    def take(self, record: Any) -> None:
        if not self.is_households:
            self.pending.append(record)
        elif record.nik in self.pending_keys:
            self.waiting.append(record)
        else:
            self.pending.append(record)
            self.pending_keys.add(record.nik)

    def flush_all(self) -> None:
        while self.pending or self.results:
            self.flush()

    def flush(self) -> None:
        """Match and write the chunk (households: hand it to the writer); rows waiting start the next."""
        if not self.pending and not self.results:
            return
        self.chunks += 1
        if self.is_households:
            self._flush_households()
        else:  # cooperatives, enterprises, BUMDes, members, outlets: matched and written in one go
            self._write_chunk(self.chunks, self._write_orgs)
        carried = self.waiting
        self.results, self.pending, self.pending_keys, self.waiting = [], [], set(), []
        for record in carried:
            self.take(record)

    def _flush_households(self) -> None:
        writer, unseen, seq = self.writer, self.unseen, self.chunks
        committed = writer.committed  # read before the lookups: the chunks it names, they see
        while unseen and unseen[0][0] <= committed:
            unseen.popleft()
        writes, wrote = _match_households(
            self.ctx, self.pending, self.results, [u for _, u in unseen], remember=writer.pipelined
        )
        if wrote is not None:
            unseen.append((seq, wrote))
        done_rows = self._outcome_rows()

        def write() -> tuple[list[tuple], int]:
            _write_households(writes)
            return done_rows

        writer.put(seq, partial(self._write_chunk, seq, write))

    def _write_orgs(self) -> tuple[list[tuple], int]:
        (self.spec.flush or _flush_orgs)(self.ctx, self.spec, self.pending, self.results)
        return self._outcome_rows()

    def _outcome_rows(self) -> tuple[list[tuple], int]:
        """The chunk's outcomes as rows, in line order, and where a rerun would start after it."""
        results = self.results
        results.sort(key=lambda r: r.line)
        self.last_line = max(self.last_line, results[-1].line)
        if self.waiting:
            self.last_line = min(self.last_line, min(r.line for r in self.waiting) - 1)
        return [r.as_tuple(self.batch.pk) for r in results], self.last_line

    def _write_chunk(self, seq: int, write: Callable[[], tuple[list[tuple], int]]) -> None:
        """`write` writes the chunk and says its outcome rows and marker, which commit with it."""
        with transaction.atomic():
            commit_without_waiting()  # the chunk and batch.last_line land together or not at all
            rows, marker = write()
            bulk_insert(ImportRow, _ROW_FIELDS, rows)
            ImportBatch.objects.filter(pk=self.batch.pk).update(last_line=marker)
        _refresh_statistics(seq)
