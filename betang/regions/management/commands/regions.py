"""`betang regions load`: load or refresh the reference geography, all-or-nothing, idempotent."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from betang.core import clock
from betang.regions.services import RegionFileError, regions_load


class Command(BaseCommand):
    help = "Region reference data (idn-area-data, ODbL)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load all provinces, regencies, districts and villages")
        load.add_argument("--source", type=Path, default=None, help="folder with the four CSV(.gz) files")

    def handle(self, *args, action, source=None, **options):
        console = Console(file=self.stdout, highlight=False, force_terminal=False if not self.stdout.isatty() else None)
        quiet = options["verbosity"] == 0
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=quiet or not console.is_terminal,
        ) as bar:
            job = bar.add_task("regions", total=None)

            def report(done: int, total: int, message: str) -> None:
                bar.update(job, completed=done, total=total, description=message)

            try:
                result = regions_load(occurred_at=clock.now(), source_dir=source, progress=report)
            except RegionFileError as exc:
                raise CommandError(f"Region data refused, nothing was changed: {exc.message}") from None
        if quiet:
            return
        table = Table("level", "created", "updated", "retired", "unchanged", title="Regions")
        for level, c in result.counts.items():
            table.add_row(level, str(c.created), str(c.updated), str(c.retired), str(c.unchanged))
        console.print(table)
        if result.changed:
            console.print("Region data loaded.")
        else:
            console.print("Region data already up to date: no change.")
