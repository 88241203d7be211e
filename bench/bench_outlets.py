"""The outlet's point of sale: a full sale through the service (basket priced, stock locked and moved,
card payment, sale and lines written) beside the card payment alone through aid's service, both one
at a time on the same database in the same run, and a cash sale (no card) beside them."""

from __future__ import annotations

import os
import random

from django.utils import timezone

from bench import aid_world
from bench.harness import Result, Timer
from betang.aid.contracts import BasketLine
from betang.aid.services.cards import cards_issue
from betang.aid.services.cycles import cycle_credit
from betang.aid.services.payments import card_pay
from betang.outlets.services.sales import LineIn, sale_complete
from betang.outlets.services.stock import item_create, stock_receive
from betang.registry.models import Household, Outlet

SALES = int(os.environ.get("BENCH_OUTLET_SALES", "2000"))
CARDS = 2_000
PROVINCE = "64"  # its own households, apart from the aid benchmark's


def _shop():
    world = aid_world.build(households=CARDS, villages=20, province=PROVINCE)
    cycle = aid_world.approved_cycle(world)
    now = timezone.now()
    cycle_credit(cycle=cycle, occurred_at=now, recorded_at=now)
    issued = cards_issue(
        households=list(Household.objects.filter(region_code__startswith=PROVINCE + ".")),
        batch="bench",
        occurred_at=now,
        actor=world.maker,
    )
    coop = world.cooperatives[0]
    outlet = Outlet.objects.create(
        cooperative=coop, name="Gerai Bench", region_code=coop.region_code, created_at=now, updated_at=now
    )
    items = []
    for code, name, category, price in [
        ("1", "Beras 1 kg", "BERAS", 1_000),
        ("2", "Telur", "TELUR", 500),
        ("3", "Sabun", "NON_PANGAN", 300),
    ]:
        item = item_create(
            outlet=outlet, code=code, name=name, unit="pcs", category=category, price=price, actor=None, occurred_at=now
        )
        stock_receive(
            outlet=outlet,
            item=item,
            quantity=10 * SALES,
            reference="bench",
            actor=None,
            occurred_at=now,
            recorded_at=now,
        )
        items.append(item)
    return world, outlet, items, [(i.card.number, i.pin) for i in issued]


def run() -> list[Result]:
    world, outlet, items, cards = _shop()
    rng = random.Random(5)
    cashier = world.maker
    with Timer() as paid:
        for n in range(SALES):
            number, pin = cards[rng.randrange(len(cards))]
            now = timezone.now()
            card_pay(
                card_number=number,
                pin=pin,
                cooperative_id=outlet.cooperative_id,
                outlet_id=outlet.pk,
                basket=[
                    BasketLine("BERAS", 1_000, "Beras"),
                    BasketLine("TELUR", 500, "Telur"),
                    BasketLine("NON_PANGAN", 300, "Sabun"),
                ],
                key=f"bench:pay:{n}",
                occurred_at=now,
                recorded_at=now,
            )
    basket = [LineIn(item.pk, 1) for item in items]
    with Timer() as sold:
        for n in range(SALES):
            number, pin = cards[rng.randrange(len(cards))]
            now = timezone.now()
            sale_complete(
                outlet=outlet,
                cashier=cashier,
                lines=basket,
                key=f"bench:sale:{n}",
                occurred_at=now,
                recorded_at=now,
                card_number=number,
                pin=pin,
            )
    with Timer() as cash:
        for n in range(SALES):
            now = timezone.now()
            sale_complete(
                outlet=outlet, cashier=cashier, lines=basket, key=f"bench:cash:{n}", occurred_at=now, recorded_at=now
            )
    payments, sales, cash_sales = SALES / paid.seconds, SALES / sold.seconds, SALES / cash.seconds
    label = "outlet sale, one at a time (3 lines)"
    return [
        Result(
            label,
            "full sale by card (stock, card payment, sale)",
            sales,
            "sales/s",
            payments,
            "card payment alone (aid service)",
            f"a cash sale of the same basket (no card): {cash_sales:,.0f} sales/s",
        )
    ]
