"""Fifty wrong PINs sent at once to one card lock it after exactly three."""

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Card
from betang.aid.services.payments import card_pay
from betang.core.forking import at_once
from betang.ledger.models import Entry
from tests.conftest import NOW


@pytest.fixture
def committed_world(transactional_db, committed_regions, request):
    return request.getfixturevalue("world")


def test_fifty_simultaneous_wrong_pins_lock_the_card_after_exactly_three(committed_world):
    number, coop = committed_world.card.number, committed_world.coop_a.pk

    def wrong(i):
        card_pay(
            card_number=number,
            pin=f"{i:06d}" if f"{i:06d}" != "135790" else "000001",
            cooperative_id=coop,
            basket=[BasketLine("BERAS", 10_000)],
            key=f"attempt-{i}",
            occurred_at=NOW,
            recorded_at=NOW,
        )
        return "paid"

    outcomes = at_once(wrong, 50)
    card = Card.objects.get(number=number)
    assert (card.status, card.failed_pin_attempts) == (Card.Status.LOCKED, 3)
    assert sorted(set(outcomes)) == ["CardLocked: aid.card_locked", "WrongPin: aid.wrong_pin"]
    assert outcomes.count("WrongPin: aid.wrong_pin") == 2  # the third wrong PIN answers "locked"
    assert not Entry.objects.filter(kind="aid.card.payment").exists()


def test_the_same_payment_sent_at_once_from_many_processes_pays_once_with_one_answer(committed_world):
    """A POS that times out and retries while the first try still waits for the card: every try
    is answered with the one payment. The basket takes the whole food pocket, so a try that missed
    the first payment would be refused for the balance instead of answered."""
    number, coop = committed_world.card.number, committed_world.coop_a.pk

    def same(i):
        result = card_pay(
            card_number=number,
            pin="135790",
            cooperative_id=coop,
            basket=[BasketLine("BERAS", 150_000, "Beras 10 kg")],
            key="pos-7-0001",
            occurred_at=NOW,
            recorded_at=NOW,
        )
        return (str(result.redemption_id), result.receipt_number, result.replayed)

    outcomes = at_once(same, 8)
    assert len({o[:2] for o in outcomes}) == 1, outcomes
    assert sorted(o[2] for o in outcomes) == [False] + [True] * 7
    assert Entry.objects.filter(kind="aid.card.payment").count() == 1
    assert Card.objects.get(number=number).failed_pin_attempts == 0
