"""The hot paths' statements, counted: a card sale reads the card once (in its payment's first
statement), and neither it nor the card payment asks more of the database as the basket grows. A
new query per line, or a second read of the card, fails here on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from betang.aid.contracts import BasketLine
from betang.aid.models import Card
from betang.aid.services import payments
from tests.aid.conftest import PIN
from tests.conftest import NOW
from tests.outlets.test_services import sell

pytestmark = pytest.mark.django_db

SALE_OWN = (
    6  # the basket read (items, stock locked, an earlier sale, the day's close); sale, lines, stock, moves, audit
)


def statements(run) -> list[str]:
    """The SQL a call runs, savepoints left out (a nested transaction's bookkeeping, not a query)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def pay(shop, key: str, lines: int) -> list[str]:
    basket = [BasketLine("NON_PANGAN", 100, f"Sabun {n}") for n in range(lines)]
    return statements(
        lambda: payments.card_pay(
            card_number=shop.world.card.number,
            pin=PIN,
            cooperative_id=shop.outlet.cooperative_id,
            outlet_id=shop.outlet.pk,
            basket=basket,
            key=key,
            occurred_at=NOW,
            recorded_at=NOW,
        )
    )


def card_reads(sql: list[str]) -> int:
    table = connection.ops.quote_name(Card._meta.db_table)
    return sum(1 for s in sql if s.lstrip().upper().startswith("SELECT") and table in s)


@pytest.mark.parametrize("card_amount", [None, 20_000], ids=["blank amount", "typed amount"])
def test_a_card_sale_runs_its_payment_and_six_statements_reading_the_card_once(shop, card_amount):
    pay(shop, "warm", 1)  # the cooperative's payable account exists from here on, as on any working day
    paid = pay(shop, "p1", 1)
    one = statements(lambda: sell(shop, [(shop.soap, 1)], key="one", card=shop.world.card.number, card_amount=None))
    five = statements(
        lambda: sell(
            shop,
            [(shop.rice, 1), (shop.eggs, 1), (shop.soap, 2), (shop.cigarettes, 1), (shop.soap, 1)],
            key="five",
            card=shop.world.card.number,
            card_amount=card_amount,
            cash=200_000,
        )
    )
    assert len(one) == len(five) == len(paid) + SALE_OWN, "\n".join(five)
    assert card_reads(five) == 1


def test_a_card_payment_asks_the_same_of_the_database_for_one_line_or_ten(shop):
    pay(shop, "warm", 1)
    assert len(pay(shop, "p1", 1)) == len(pay(shop, "p10", 10))


def test_a_cash_sale_runs_six_statements_whatever_its_basket(shop):
    one = statements(lambda: sell(shop, [(shop.soap, 1)], key="c1"))
    four = statements(lambda: sell(shop, [(shop.rice, 1), (shop.eggs, 1), (shop.soap, 1), (shop.soap, 1)], key="c4"))
    assert len(one) == len(four) == SALE_OWN, "\n".join(four)  # no card: the sale's own statements only
