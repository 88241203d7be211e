"""`betang ledger verify`: check the ledger's invariants; exit 1 naming what broke."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from betang.ledger.verify import ledger_verify


class Command(BaseCommand):
    help = "The double-entry ledger."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the five invariants; exit status 1 if any is broken")

    def handle(self, *args, action, **options):
        console = Console(file=self.stdout, highlight=False, width=120)
        started = time.perf_counter()
        checks = ledger_verify()
        seconds = time.perf_counter() - started
        table = Table("#", "invariant", "checked", "result", title="Ledger verification")
        for check in checks:
            table.add_row(str(check.number), check.name, f"{check.checked:,}", "ok" if check.ok else "BROKEN")
        console.print(table)
        broken = [c for c in checks if not c.ok]
        for check in broken:
            console.print(f"Invariant {check.number} broken — {check.name}:")
            for problem in check.problems:
                console.print(f"  - {problem}")
        console.print(f"{'Ledger is consistent' if not broken else 'LEDGER IS INCONSISTENT'} ({seconds:.2f} s).")
        if broken:
            sys.exit(1)
