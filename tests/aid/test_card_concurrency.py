"""Several processes paying from the same two cards at once, through the card payment service (card
lock, PIN, pockets, ledger): no pocket overdrawn, no payment lost or invented, one redemption each.

BETANG_STRESS_ATTEMPTS sets the attempts (default 2,000; `make stress` runs 100,000).
"""

import os

import pytest

from betang.aid import posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Redemption
from betang.aid.services.cards import card_pin_set
from betang.aid.services.payments import InsufficientBalance, card_pay
from betang.aid.services.programs import program_fund
from betang.ledger.models import Account
from betang.ledger.services import debit_credit, journal_post
from tests.aid.conftest import PIN
from tests.conftest import NOW
from tests.ledger import concurrency

ATTEMPTS = int(os.environ.get("BETANG_STRESS_ATTEMPTS", "2000"))


@pytest.fixture
def hot_cards(transactional_db, committed_regions, request):
    """The world's card and a second one, both with PIN; their food pockets topped up to about half
    of what the attempts (1 to 20,000 rupiah each) ask, so that they run dry while others pay."""
    world = request.getfixturevalue("world")
    second = Card.objects.get(household=world.poor[1])
    card_pin_set(card=second, pin=PIN, actor=world.maker, occurred_at=NOW)
    top_up = ATTEMPTS * 10_000 // 4
    program_fund(program=world.program, amount=2 * top_up, reference="stress", occurred_at=NOW, recorded_at=NOW)
    wallets = []
    for card in (world.card, second):
        keys = [posting.wallet_key(world.program.code, card.household_id, code) for code in ("FOOD", "GENERAL")]
        ids = dict(Account.objects.filter(key__in=keys).values_list("key", "id"))
        wallets += [ids[k] for k in keys]
        journal_post(
            key=f"stress:top-up:{card.pk}",
            kind="test.top_up",
            legs=debit_credit(top_up, source=world.program.budget_account_id, target=ids[keys[0]]),
            occurred_at=NOW,
            recorded_at=NOW,
        )
    return world, [world.card.number, second.number], wallets


def test_many_processes_paying_from_two_cards_never_overdraw_a_pocket_nor_lose_a_payment(hot_cards):
    world, numbers, wallets = hot_cards
    cooperative = world.coop_a.pk

    def pay(key, number, amount):
        card_pay(
            card_number=number,
            pin=PIN,
            cooperative_id=cooperative,
            basket=[BasketLine("BERAS", amount, "Beras")],  # the food pocket, then the general one
            key=key,
            occurred_at=NOW,
            recorded_at=NOW,
        )

    outcome = concurrency.run(
        pay,
        wallets=wallets,
        targets=numbers,
        refusals=(InsufficientBalance,),
        kind="aid.card.payment",
        key_prefix="aid:pay:",
        attempts=ATTEMPTS,
    )
    print(outcome)  # shown with -s, e.g. by `make stress`
    concurrency.assert_sound_and_spent(outcome, wallets)
    assert Redemption.objects.count() == outcome.paid
