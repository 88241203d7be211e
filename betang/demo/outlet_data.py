"""Demo of the outlets: every demo outlet sells the same dozen sembako items (and cigarettes, which no
card pays for) with stock received; the cashier's cooperative gets an outlet if it had none, and
past sales (by Huma Betang card and in cash) made through the point-of-sale service itself."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from betang.accounts.models import User
from betang.aid.models import Anomaly, Cycle, Program, ReconciliationException
from betang.aid.services.distribution import distribution_fold, distribution_refresh
from betang.aid.services.payments import PaymentError
from betang.aid.services.reconciliation import reconcile
from betang.aid.services.settlements import NothingToSettle, settlement_mark_paid, settlements_issue
from betang.core import clock
from betang.outlets.models import Item, Stock, StockMove
from betang.outlets.services.sales import LineIn, sale_complete
from betang.outlets.services.stock import OutletError
from betang.registry.models import CooperativeStaff, Outlet

OTHER_SELLING = 12  # outlets of the cashier's regency with past sales besides the cashier's own
CATALOGUE = [  # code, name, unit, goods category, price
    ("8990001", "Beras Medium 5 kg", "karung", "BERAS", 72_000),
    ("8990002", "Beras Premium 5 kg", "karung", "BERAS", 79_000),
    ("8990003", "Telur Ayam 1 kg", "kg", "TELUR", 29_000),
    ("8990004", "Minyak Goreng 1 liter", "botol", "MINYAK_GORENG", 18_000),
    ("8990005", "Gula Pasir 1 kg", "kg", "GULA", 18_500),
    ("8990006", "Ikan Asin 250 g", "bungkus", "LAUK_PAUK", 15_000),
    ("8990007", "Tempe", "papan", "PROTEIN_NABATI", 6_000),
    ("8990008", "Sayur Bayam", "ikat", "SAYUR", 4_000),
    ("8990009", "Mi Instan", "bungkus", "PANGAN_LAIN", 3_500),
    ("8990010", "Sabun Mandi", "batang", "NON_PANGAN", 4_500),
    ("8990011", "Deterjen 800 g", "bungkus", "NON_PANGAN", 21_000),
    ("8990012", "Rokok Kretek 12", "bungkus", "ROKOK", 28_000),
]


@dataclass(frozen=True)
class OutletDemoResult:
    outlets: int
    items: int
    sales: int
    card_sales: int
    skipped: bool
    cashier_outlet: str
    selling: int = 0  # outlets with past sales


def _cashier_outlet(cashier: User, occurred_at: datetime) -> Outlet | None:
    staff = CooperativeStaff.objects.filter(user=cashier).select_related("cooperative").first()
    if staff is None:
        return None
    coop = staff.cooperative
    outlet = Outlet.objects.filter(cooperative=coop, is_active=True).order_by("name").first()
    if outlet is None:
        outlet = Outlet.objects.create(
            cooperative=coop,
            region_code=coop.region_code,
            name=f"Gerai Sembako {coop.name}",
            kind="SEMBAKO",
            created_at=occurred_at,
            updated_at=occurred_at,
        )
    return outlet


def _stock_up(outlets: list[Outlet], rng: random.Random, occurred_at: datetime, plenty: set[Any]) -> int:
    """The catalogue in each outlet's cooperative, and a delivery of each item to each outlet."""
    items, stock, moves = [], [], []
    for outlet in outlets:
        for code, name, unit, category, price in CATALOGUE:
            item = Item(
                cooperative_id=outlet.cooperative_id,
                region_code=outlet.region_code,
                code=code,
                name=name,
                unit=unit,
                category=category,
                price=price,
                created_at=occurred_at,
                updated_at=occurred_at,
            )
            items.append(item)
            quantity = 2_000 if outlet.pk in plenty else rng.randint(5, 120)
            stock.append(Stock(outlet=outlet, item=item, quantity=quantity, low_at=10))
            moves.append(
                StockMove(
                    outlet=outlet,
                    item=item,
                    kind=StockMove.Kind.RECEIVE,
                    quantity=quantity,
                    after=quantity,
                    reference="SJ-DEMO-001",
                    occurred_at=occurred_at - timedelta(days=7),
                    recorded_at=occurred_at,
                )
            )
    with transaction.atomic():
        Item.objects.bulk_create(items, batch_size=2000)
        Stock.objects.bulk_create(stock, batch_size=2000)
        StockMove.objects.bulk_create(moves, batch_size=2000)
    return len(items)


def build_outlets(
    *,
    occurred_at: datetime,
    var_dir: Path,
    cashier: str = "kasir.kapuas",
    supervisor: str = "pengurus.kapuas",
    sales: int = 1_000,
    province: str = "62",
) -> OutletDemoResult:
    rng = random.Random(62)  # noqa: S311 - demo data, not secrets
    cashier_user = User.objects.get(username=cashier)
    outlet = _cashier_outlet(cashier_user, occurred_at)
    if Item.objects.filter(region_code__startswith=province + ".").exists():
        return OutletDemoResult(
            Outlet.objects.filter(region_code__startswith=province + ".").count(),
            Item.objects.filter(region_code__startswith=province + ".").count(),
            0,
            0,
            skipped=True,
            cashier_outlet=outlet.name if outlet else "",
        )
    outlets = list(Outlet.objects.filter(region_code__startswith=province + ".", is_active=True))
    others = _neighbours(outlet, outlets)
    items = _stock_up(outlets, rng, occurred_at, {o.pk for o in [outlet, *others] if o is not None})
    made = by_card = 0
    if outlet is not None:
        made, by_card = _past_sales(
            outlet, [cashier_user, User.objects.get(username=supervisor)], var_dir, rng, sales, occurred_at
        )
    for other in others:  # the regency's other outlets sell too, each with its own cashier
        more, more_by_card = _past_sales(
            other, [_cashier_of(other, occurred_at)], var_dir, rng, sales // 5, occurred_at
        )
        made, by_card = made + more, by_card + more_by_card
    if outlet is not None:
        burst = _burst(outlet, cashier_user, var_dir, occurred_at)
        made, by_card = made + burst, by_card + burst
    return OutletDemoResult(
        len(outlets),
        items,
        made,
        by_card,
        skipped=False,
        cashier_outlet=outlet.name if outlet else "",
        selling=1 + len(others) if outlet else 0,
    )


def _burst(outlet: Outlet, cashier: User, var_dir: Path, now: datetime) -> int:
    """Something for the anomaly list, two days ago at the cashier's outlet: one card of the village
    paying three times within six minutes, and one card from another district of the regency."""
    cards_file = var_dir / "demo-cards.csv"
    if not cards_file.exists():
        return 0
    with open(cards_file, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    own = next((row for row in reversed(rows) if row["village_code"] == outlet.region_code), None)  # least used
    away = next(
        (
            row
            for row in rows
            if row["village_code"].startswith(outlet.region_code[:6])
            and row["village_code"][:8] != outlet.region_code[:8]
        ),
        None,
    )
    cheapest = Item.objects.filter(cooperative_id=outlet.cooperative_id, category__in=["BERAS", "TELUR", "GULA"])
    rice = cheapest.order_by("price", "code").first()
    if rice is None:
        return 0
    start = (now - timedelta(days=2)).replace(hour=3, minute=0, second=0, microsecond=0)  # 10.00 WIB
    sales = [(own, start + timedelta(minutes=3 * n)) for n in range(3) if own] + ([(away, start)] if away else [])
    made = 0
    for n, (card, at) in enumerate(sales):
        try:
            sale_complete(
                outlet=outlet,
                cashier=cashier,
                lines=[LineIn(rice.pk, 1)],
                key=f"demo:{outlet.pk}:pattern:{n}",
                occurred_at=at,
                recorded_at=now,
                card_number=card["card_number"],
                pin=card["pin"],
            )
            made += 1
        except (OutletError, PaymentError):
            continue
    return made


def _neighbours(outlet: Outlet | None, outlets: list[Outlet]) -> list[Outlet]:
    """Up to OTHER_SELLING outlets of the cashier's regency besides its own, nearest by village code."""
    if outlet is None:
        return []
    regency = outlet.region_code[:5] + "."
    same = [o for o in outlets if o.region_code.startswith(regency) and o.pk != outlet.pk]
    same.sort(key=lambda o: (o.region_code[:8] != outlet.region_code[:8], o.region_code, o.name))
    return same[:OTHER_SELLING]


def _cashier_of(outlet: Outlet, occurred_at: datetime) -> User:
    """A cashier for an outlet's past sales (no password: the demo signs in as kasir.kapuas only)."""
    username = f"kasir.{outlet.region_code.replace('.', '')}.{str(outlet.pk)[-4:]}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role="CASHIER", scope_region_code=outlet.region_code, first_name="Kasir")
        user.set_unusable_password()
        user.save()
        CooperativeStaff.objects.create(user=user, cooperative_id=outlet.cooperative_id, since=occurred_at)
    return user


def _past_sales(
    outlet: Outlet, staff: list[User], var_dir: Path, rng: random.Random, count: int, now: datetime
) -> tuple[int, int]:
    """Sales of the last five days at an outlet, through the point-of-sale service: about half by the
    card of a household of the village or, with few there, of the district (its PIN from the demo's
    card list), the rest cash."""
    cards_file = var_dir / "demo-cards.csv"
    cards = []
    if cards_file.exists():
        with open(cards_file, encoding="utf-8") as fh:
            rows = [row for row in csv.DictReader(fh) if row["village_code"].startswith(outlet.region_code[:8])]
        rows.sort(key=lambda row: row["village_code"] != outlet.region_code)  # the village's own first
        cards = [(row["card_number"], row["pin"]) for row in rows[:300]]
    items = list(Item.objects.filter(cooperative_id=outlet.cooperative_id).order_by("code"))
    made = by_card = 0
    for n in range(count):
        basket = rng.sample(items, rng.randint(1, 4))
        lines = [LineIn(item.pk, rng.randint(1, 2)) for item in basket]
        # Within a shop's day (08.00–17.59 local time) of one of the last five days.
        day = timezone.localdate(now) - timedelta(days=rng.randint(1, 5))
        at = clock.day_start(day) + timedelta(hours=8 + rng.randint(0, 9), minutes=rng.randint(0, 59))
        card = cards[n % len(cards)] if cards and rng.random() < 0.5 and n < 2 * len(cards) else None
        try:
            sale_complete(
                outlet=outlet,
                cashier=staff[n % len(staff)],
                lines=lines,
                key=f"demo:{outlet.pk}:{n}",
                occurred_at=at,
                recorded_at=now,
                card_number=card[0] if card else "",
                pin=card[1] if card else "",
            )
        except (OutletError, PaymentError):
            continue  # a basket the card cannot pay (cigarettes only, an empty pocket): not sold
        made += 1
        by_card += card is not None
    return made, by_card


def settle(*, occurred_at: datetime, program_code: str = "khbs", maker: str = "dinas.kalteng") -> tuple[int, int]:
    """Two rounds of statements, as a province settles weekly: the card payments up to three days ago,
    paid by transfer, then those up to yesterday, left for an officer to pay: (issued, paid)."""
    program = Program.objects.filter(code=program_code).first()
    if program is None:
        return 0, 0
    officer = User.objects.get(username=maker)
    today = timezone.localdate(occurred_at)
    issued = paid = 0
    for days_back, pay in ((3, True), (1, False)):
        try:
            made = settlements_issue(
                program=program, up_to=today - timedelta(days=days_back), actor=officer, occurred_at=occurred_at
            )
        except NothingToSettle:
            continue
        issued += len(made)
        for statement in made if pay else []:
            paid += 1
            settlement_mark_paid(
                settlement=statement,
                bank_reference=f"SP2D-DEMO-{paid:04d}",
                paid_date=today,
                actor=officer,
                occurred_at=occurred_at,
                recorded_at=occurred_at,
            )
    return issued, paid


def distribution_and_reconciliation(*, now) -> tuple[int, int, int]:
    """The distribution view's tallies built from every payment so far, and each credited cycle
    reconciled (its differences listed as exceptions): every page has something real at once."""
    # Counted as a running platform counts them (the fold also flags anomalies); households, cards
    # and credit counted once.
    distribution_fold()
    nodes = sum(distribution_refresh(program, now=now) for program in Program.objects.all())
    for cycle in Cycle.objects.filter(status=Cycle.Status.CREDITED).select_related("program"):
        reconcile(cycle, now=now)
    return (
        nodes,
        ReconciliationException.objects.filter(status=ReconciliationException.Status.OPEN).count(),
        Anomaly.objects.filter(status=Anomaly.Status.OPEN).count(),
    )
