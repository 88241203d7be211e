"""`betang import {households,cooperatives,enterprises,bumdes} FILE`: import a CSV or XLSX in the terminal."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from betang.accounts.models import User
from betang.core import clock
from betang.registry.imports.run import import_run
from betang.registry.imports.tabular import TableError
from betang.registry.models import ImportBatch, ImportRow
from betang.registry.services.exports import rejected_rows_write
from betang.registry.services.imports import import_batch_create


class Command(BaseCommand):
    help = "Import registry rows from a CSV or XLSX file; every row gets an outcome."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportBatch.Kind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", help="import as this user (their area limits the rows)")
        parser.add_argument("--rejects", type=Path, help="write the rejected rows with reasons to this XLSX")

    def handle(self, *args, kind, file, username=None, rejects=None, **options):
        console = Console(file=self.stdout, highlight=False)
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"no user {username!r}")
        now = clock.now()
        with open(file, "rb") as fh:
            batch = import_batch_create(
                kind=kind,
                file=File(fh, name=file.name),
                original_name=file.name,
                actor=actor,
                occurred_at=now,
                queue=False,
            )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal or options["verbosity"] == 0,
        ) as bar:
            job = bar.add_task(file.name, total=None)
            try:
                counts = import_run(
                    batch,
                    occurred_at=now,
                    progress=lambda done, total, message: bar.update(job, completed=done, total=total),
                )
            except TableError as exc:
                raise CommandError(f"{file.name} could not be read: {exc.message}") from None
        table = Table("outcome", "rows", title=f"Import {batch.pk}")
        for outcome, label in ImportRow.Outcome.choices:
            table.add_row(str(label), str(counts.get(outcome, 0)))
        console.print(table)
        if counts.get(ImportRow.Outcome.REJECTED) and rejects:
            # Full NIKs and KKs: this is run by an operator on the server, who already holds the uploaded
            # file itself, and the rejects must go back to the office to be fixed and imported again.
            # Pages mask them for roles without `registry.full_nik` (`import_rejects_view`).
            rejected_rows_write(rejects, batch, full=True)
            console.print(f"Rejected rows, each with its reason: {rejects}")
