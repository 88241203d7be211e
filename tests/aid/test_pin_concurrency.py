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
