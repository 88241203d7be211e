"""`betang fund schedule`: the repayment schedule of a loan, from its terms (a simulator: nothing is
written). `--format json` for machines, `--format table` for people."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from betang.core import clock
from betang.core.money import format_rupiah
from betang.fund.models import Fund
from betang.fund.schedules import GraceInterest, Method, ScheduleError, Terms, schedule, totals
from betang.fund.selectors import portfolio_summary
from betang.fund.services.portfolio import portfolio_run, portfolio_run_queue


def _rate(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (e.g. 6 or 6.5)") from None


class Command(BaseCommand):
    help = "The revolving fund."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        simulate = sub.add_parser("schedule", help="print a loan's repayment schedule (nothing is written)")
        simulate.add_argument("--amount", type=int, required=True, help="rupiah lent, e.g. 250000000")
        simulate.add_argument("--annual-rate", type=_rate, required=True, help="percent a year, e.g. 6")
        simulate.add_argument("--months", type=int, required=True, help="instalments in all, grace included")
        simulate.add_argument("--grace", type=int, default=0, help="months of grace within --months")
        simulate.add_argument("--method", choices=[m.value for m in Method], default=Method.ANNUITY.value)
        simulate.add_argument(
            "--capitalise", action="store_true", help="add the grace months' interest to the principal instead"
        )
        simulate.add_argument("--start", type=date.fromisoformat, help="disbursement date (default today)")
        simulate.add_argument("--format", choices=["table", "json"], default="table")
        nightly = sub.add_parser("portfolio", help="class every active loan by days past due (the nightly run)")
        nightly.add_argument("--fund", help="one fund's code (default: every fund)")
        nightly.add_argument("--as-of", type=date.fromisoformat, help="the day to class on (default today)")
        nightly.add_argument(
            "--enqueue", action="store_true", help="queue it for the task worker instead of running it here"
        )

    def handle(self, *args, action, **options):
        if action == "portfolio":
            return self._portfolio(options)
        terms = Terms(
            amount=options["amount"],
            annual_rate=options["annual_rate"],
            months=options["months"],
            method=Method(options["method"]),
            start=options["start"] or timezone.localdate(),
            grace=options["grace"],
            grace_interest=GraceInterest.CAPITALISE if options["capitalise"] else GraceInterest.PAY,
        )
        try:
            lines = schedule(terms)
        except ScheduleError as exc:
            raise CommandError(str(exc)) from None
        sums = totals(lines)
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "terms": {
                            "amount": terms.amount,
                            "annual_rate": str(terms.annual_rate),
                            "months": terms.months,
                            "grace": terms.grace,
                            "grace_interest": terms.grace_interest.value,
                            "method": terms.method.value,
                            "start": terms.start.isoformat(),
                        },
                        "instalments": [line.as_dict() for line in lines],
                        "totals": sums,
                    },
                    indent=2,
                )
            )
            return
        console = Console(file=self.stdout, highlight=False, width=120)
        table = Table(
            "#", "due", "principal", "interest", "total", "outstanding",
            title=f"{terms.method.value} · {format_rupiah(terms.amount)} · {terms.annual_rate}% a year · "
            f"{terms.months} months, {terms.grace} of grace{' (capitalised)' if terms.capitalise_grace else ''}",
        )  # fmt: skip
        for line in lines:
            table.add_row(
                f"{line.number}{' (grace)' if line.grace else ''}",
                line.due.isoformat(),
                format_rupiah(line.principal),
                format_rupiah(line.interest) + (f" (+{format_rupiah(line.capitalised)} capitalised)" if line.capitalised else ""),
                format_rupiah(line.total),
                format_rupiah(line.outstanding),
            )  # fmt: skip
        table.add_row(
            "",
            "total",
            format_rupiah(sums["principal"]),
            format_rupiah(sums["interest"]),
            format_rupiah(sums["total"]),
            "",
        )
        console.print(table)

    def _portfolio(self, options):
        """Run from cron each night (e.g. `5 0 * * * betang fund portfolio --enqueue`, for the worker)."""
        as_of = options["as_of"] or timezone.localdate()
        funds = Fund.objects.order_by("code")
        if options["fund"]:
            funds = funds.filter(code=options["fund"])
            if not funds.exists():
                raise CommandError(f"no fund {options['fund']!r}")
        console = Console(file=self.stdout, highlight=False, width=120)
        if options["enqueue"]:
            for fund in funds:
                portfolio_run_queue(
                    fund=fund,
                    as_of=as_of,
                    actor=None,
                    then=lambda task_id, code=fund.code: console.print(f"{code}: queued as task {task_id}"),
                )
            return
        table = Table(
            "fund",
            "loans",
            "outstanding",
            "PAR 30",
            "PAR 90",
            "problem loans",
            title=f"Portfolio on {as_of.isoformat()}",
        )
        for fund in funds:
            portfolio_run(fund=fund, as_of=as_of, actor=None, occurred_at=clock.now())
            s = portfolio_summary(fund)
            percent = lambda v: f"{v:.1f}%" if v is not None else "—"  # noqa: E731
            table.add_row(fund.code, f"{s.loans:,}", format_rupiah(s.outstanding), percent(s.par_percent(30)),
                          percent(s.par_percent(90)), percent(s.problem_percent))  # fmt: skip
        console.print(table)
