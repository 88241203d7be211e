"""Demo of the Huma Betang Sejahtera card: Rp200.000 per household per month (Rp150.000 for food,
Rp50.000 for anything), for households of DTSEN decile 1–4 not already in PKH; funded from the APBD,
three monthly cycles (the month before last, closed; last month; this month, the current one),
prepared by the provincial officer and approved by the administrator (maker and checker), each
credited on the first day of its month, before the outlets' past sales spend it; a card for every
enrolled household, its PIN printed on a mailer.

The PINs exist in clear only in var/ (the demo's own folder, never in the repository): a CSV of every
demo card with its PIN, and the PDF of the cashier's village (card sheets, then PIN mailers)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from betang.accounts.models import User
from betang.aid import printing
from betang.aid import selectors as aid_selectors
from betang.aid.models import Card, Cycle, Enrolment, NationalAid, Program
from betang.aid.services.cards import cards_issue
from betang.aid.services.cycles import cycle_approve, cycle_close, cycle_credit, cycle_draft, cycle_submit
from betang.aid.services.programs import PocketSpec, program_create, program_fund
from betang.core import clock
from betang.core.months import add_months
from betang.core.spreadsheet import csv_write
from betang.registry.models import Household

CODE = "khbs"
FOOD = ["BERAS", "TELUR", "MINYAK_GORENG", "GULA", "LAUK_PAUK", "SAYUR"]
MAKER, CHECKER = "dinas.kalteng", "admin"


@dataclass(frozen=True)
class AidDemoResult:
    enrolled: int
    cycles: int
    credited_total: int
    cards: int
    skipped: bool
    sample: list[tuple[str, str, str]]  # (card number, PIN, village) of a few cards in the cashier's village


def build_aid(*, occurred_at: datetime, var_dir: Path, cashier_village: str, province: str = "62") -> AidDemoResult:
    program = Program.objects.filter(code=CODE).first()
    if program is not None:
        cycles = Cycle.objects.filter(program=program)
        return AidDemoResult(
            Enrolment.objects.filter(program=program, status=Enrolment.Status.ACTIVE).count(),
            cycles.count(),
            sum(c.total for c in cycles if c.status in (Cycle.Status.CREDITED, Cycle.Status.CLOSED)),
            Card.objects.filter(region_code__startswith=province + ".").count(),
            skipped=True,
            sample=[],
        )
    maker, checker = User.objects.get(username=MAKER), User.objects.get(username=CHECKER)
    # Three months: the month before last, last month and this one; the program opened a week before.
    first = add_months(timezone.localdate(occurred_at).replace(day=1), -2)
    opened = clock.day_start(first) - timedelta(days=7) + timedelta(hours=9)
    _national_aid(province, as_of=first - timedelta(days=1))
    program = program_create(
        code=CODE,
        name="Huma Betang Sejahtera",
        region_code=province,
        pockets=[
            PocketSpec("FOOD", "Pangan", FOOD, amount_per_household=150_000),
            PocketSpec("GENERAL", "Umum", [], amount_per_household=50_000),
        ],
        eligibility={"max_decile": 4, "exclude": ["PKH"]},  # the whole province (the program's region)
        approvals_required=1,
        extra_approval_above=50_000_000_000,
        occurred_at=opened,
        actor=maker,
    )
    program_fund(
        program=program,
        amount=120_000_000_000,
        reference="SP2D-2026-00417",
        occurred_at=opened,
        recorded_at=occurred_at,
        actor=maker,
    )
    total = 0
    cycles = []
    for month in range(3):
        start = add_months(first, month)
        # Drafted, checked and approved in the last days of the month before; credited at 08.00 WIB
        # on its first day (never later than now), so the cards' statements read in time order.
        credited_at = min(occurred_at, clock.day_start(start) + timedelta(hours=8))
        prepared_at = min(credited_at, clock.day_start(start) - timedelta(days=3) + timedelta(hours=10))
        cycle = cycle_draft(program=program, occurred_at=prepared_at, actor=maker, period_start=start)
        cycle_submit(cycle=cycle, actor=maker, occurred_at=prepared_at)
        cycle_approve(cycle=cycle, actor=checker, occurred_at=prepared_at + timedelta(hours=4))
        cycle_credit(cycle=cycle, occurred_at=credited_at, recorded_at=occurred_at, actor=maker)
        cycle.refresh_from_db()
        total += cycle.total
        cycles.append(cycle)
    # The month before last is reconciled and closed (its window ended where last month's began).
    closed_at = min(occurred_at, clock.day_start(cycles[1].period_start) + timedelta(days=10, hours=9))
    cycle_close(cycle=cycles[0], actor=maker, occurred_at=closed_at, recorded_at=occurred_at)
    enrolled = list(
        Household.objects.filter(enrolments__program=program, enrolments__status=Enrolment.Status.ACTIVE).order_by(
            "region_code", "kk_number"
        )
    )
    issued = cards_issue(households=enrolled, batch=f"{CODE}-demo", occurred_at=occurred_at, actor=maker)
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "demo-cards.csv", "w", newline="", encoding="utf-8") as fh:
        csv_write(
            fh, [("card_number", "pin", "village_code"), *((i.card.number, i.pin, i.card.region_code) for i in issued)]
        )
    local = [i for i in issued if i.card.region_code == cashier_village]
    if local:
        printed = aid_selectors.printed_cards([(i.card, i.pin) for i in local], program)
        (var_dir / "demo-kartu.pdf").write_bytes(
            printing.issue_pack_pdf(printed, title=f"{CODE}-demo", issued_on=occurred_at.date())
        )
    return AidDemoResult(
        len(enrolled),
        len(cycles),
        total,
        len(issued),
        skipped=False,
        sample=[(i.card.number, i.pin, i.card.region_code) for i in local[:5]],
    )


def _national_aid(province: str, *, as_of: date) -> None:
    """About a fifth of the poorest households already receive PKH: the rule leaves them out."""
    rng = random.Random(6203)  # noqa: S311 - reproducible demo data
    poorest = Household.objects.filter(region_code__startswith=province + ".", latest_decile__lte=2).order_by(
        "kk_number"
    )
    rows = [
        NationalAid(household_id=pk, kind=NationalAid.Kind.PKH, as_of_date=as_of, source="Kemensos (demo)")
        for pk in poorest.values_list("id", flat=True)
        if rng.random() < 0.2
    ]
    with transaction.atomic():
        NationalAid.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
