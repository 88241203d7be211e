"""The distribution fold is set-based: folding payments (or voids) runs the same statements whether
there are 5 of them or 50, so a query added per payment fails here."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from betang.aid.contracts import BasketLine
from betang.aid.models import Anomaly, Tally
from betang.aid.services import distribution
from betang.aid.services.payments import card_pay, card_payment_void
from tests.aid.conftest import PIN
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

APART = distribution.RAPID_WINDOW + timedelta(minutes=1)  # no burst: the anomaly check finds nothing to write


def pay(world, count: int, *, first: int) -> list:
    """`count` payments of Rp1.000 by the world's card, alternately at its home cooperative and the
    neighbouring one (same district: not far), each APART from the one before."""
    made = []
    for n in range(first, first + count):
        made.append(
            card_pay(
                card_number=world.card.number,
                pin=PIN,
                cooperative_id=(world.coop_a if n % 2 else world.coop_b).pk,
                basket=[BasketLine("BERAS", 1_000, "Beras")],
                key=f"fold-{n}",
                occurred_at=NOW + n * APART,
                recorded_at=NOW + n * APART,
            )
        )
    return made


def fold() -> tuple[distribution.Folded, list[str]]:
    """Fold what is pending, and each statement it ran. A batch sent with executemany is captured once
    as `N times: …`: it counts N times here, so a statement per payment cannot hide in a batch."""
    with CaptureQueriesContext(connection) as queries:
        folded = distribution.distribution_fold()
    statements = []
    for query in queries.captured_queries:
        times, batched, sql = query["sql"].partition(" times: ")
        statements += [sql] * int(times) if batched and times.isdigit() else [query["sql"]]
    return folded, statements


def province(world) -> tuple[int, int]:
    row = Tally.objects.get(program=world.program, level=Tally.Level.PROVINCE, code="62")
    return row.redeemed_count, row.redeemed_amount


def test_folding_50_payments_runs_the_statements_of_folding_5(world):
    pay(world, 5, first=0)
    five, five_sql = fold()
    pay(world, 50, first=5)
    fifty, fifty_sql = fold()
    assert (five.payments, fifty.payments) == (5, 50)  # each fold took all that was new
    assert province(world) == (55, 55_000)
    assert not Anomaly.objects.exists()
    assert len(fifty_sql) == len(five_sql), "\n".join(fifty_sql)


def test_folding_50_voids_runs_the_statements_of_folding_5(world):
    payments = pay(world, 55, first=0)
    assert fold()[0].payments == 55

    def void(made) -> None:
        for payment in made:
            card_payment_void(redemption_id=payment.redemption_id, actor=world.maker, occurred_at=NOW, recorded_at=NOW)

    void(payments[:5])
    five, five_sql = fold()
    void(payments[5:])
    fifty, fifty_sql = fold()
    assert (five.voids, fifty.voids) == (5, 50)
    assert province(world) == (0, 0)
    assert len(fifty_sql) == len(five_sql), "\n".join(fifty_sql)
