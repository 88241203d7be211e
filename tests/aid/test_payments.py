"""The card payment service: an eligible basket pays; each refusal has a stable code and posts nothing."""

import pytest
from django.db import connection

from betang.aid import posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Redemption
from betang.aid.services.cards import card_block, card_replace, card_unlock
from betang.aid.services.payments import (
    _POCKETS,
    BadBasket,
    CardBlocked,
    CardLocked,
    CardReplaced,
    CardUnknown,
    CooperativeUnknown,
    InsufficientBalance,
    ItemNotEligible,
    KeyReused,
    NotEnrolled,
    WrongPin,
    card_balance,
    card_pay,
    card_payment_void,
)
from betang.ledger import selectors as ledger_selectors
from betang.ledger.models import Entry
from betang.ledger.verify import ledger_verify
from betang.registry.models import Household
from tests.aid.conftest import PIN
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

RICE_AND_SOAP = [BasketLine("BERAS", 70_000, "Beras 5 kg"), BasketLine("NON_PANGAN", 12_000, "Sabun")]


def pay(world, basket, *, key="k1", pin=PIN, number=None, cooperative=None):
    return card_pay(
        card_number=number or world.card.number,
        pin=pin,
        cooperative_id=(cooperative or world.coop_a).pk,
        basket=basket,
        key=key,
        occurred_at=NOW,
        recorded_at=NOW,
    )


def balances(world, pin=PIN):
    return {b.code: b.balance for b in card_balance(card_number=world.card.number, pin=pin)}


def payments() -> int:
    return Entry.objects.filter(kind="aid.card.payment").count()


def test_an_eligible_basket_is_paid_from_the_right_pockets(world):
    assert balances(world) == {"FOOD": 150_000, "GENERAL": 50_000}
    result = pay(world, RICE_AND_SOAP)
    assert result.amount == 82_000
    assert result.pockets == {"FOOD": 70_000, "GENERAL": 12_000}  # rice from food, soap from general
    assert {b.code: b.balance for b in result.balances} == {"FOOD": 80_000, "GENERAL": 38_000}
    assert balances(world) == {"FOOD": 80_000, "GENERAL": 38_000}
    redemption = Redemption.objects.get()
    assert redemption.cooperative_id == world.coop_a.pk
    assert redemption.receipt_number == result.receipt_number
    assert all(c.ok for c in ledger_verify())


def test_food_beyond_the_food_pocket_spills_into_the_general_pocket(world):
    result = pay(world, [BasketLine("BERAS", 170_000)])
    assert result.pockets == {"FOOD": 150_000, "GENERAL": 20_000}


@pytest.mark.parametrize(
    ("basket", "error"),
    [
        ([BasketLine("BERAS", 150_001), BasketLine("NON_PANGAN", 50_000)], InsufficientBalance),
        ([BasketLine("BERAS", 250_000)], InsufficientBalance),
        ([], BadBasket),
        ([BasketLine("BERAS", 0)], BadBasket),
    ],
)
def test_a_basket_beyond_the_balance_is_refused(world, basket, error):
    with pytest.raises(error):
        pay(world, basket)
    assert payments() == 0


def test_tobacco_is_never_paid_even_by_the_general_pocket(world):
    with pytest.raises(ItemNotEligible) as refused:
        pay(world, [BasketLine("ROKOK", 20_000, "Rokok filter")])
    assert refused.value.details["category"] == "ROKOK"
    assert payments() == 0
    world.program.excluded_categories = []  # a program may decide otherwise (none of ours does)
    world.program.save(update_fields=["excluded_categories"])
    _POCKETS.clear()
    assert pay(world, [BasketLine("ROKOK", 20_000)]).pockets == {"GENERAL": 20_000}


def test_an_ineligible_item_is_refused_when_no_pocket_admits_it(world, make_user):
    from betang.aid.models import Pocket

    Pocket.objects.filter(code="GENERAL").update(categories=["NON_PANGAN"])  # no pocket for tobacco now
    with pytest.raises(ItemNotEligible) as refused:
        pay(world, [BasketLine("BERAS", 10_000), BasketLine("ROKOK", 25_000, "Rokok")])
    assert refused.value.code == "aid.item_not_eligible"
    assert refused.value.details["category"] == "ROKOK"
    assert payments() == 0


def test_a_wrong_pin_is_refused_and_counted_and_three_lock_the_card(world):
    for left in (2, 1):
        with pytest.raises(WrongPin) as refused:
            pay(world, RICE_AND_SOAP, pin="000000", key=f"bad-{left}")
        assert refused.value.details == {"attempts_left": left}
    with pytest.raises(CardLocked):
        pay(world, RICE_AND_SOAP, pin="000000", key="bad-0")
    with pytest.raises(CardLocked):  # the right PIN no longer helps
        pay(world, RICE_AND_SOAP, key="good")
    assert payments() == 0
    card_unlock(card=world.card, actor=world.maker, occurred_at=NOW)
    assert pay(world, RICE_AND_SOAP, key="good").amount == 82_000


def test_a_right_pin_clears_earlier_wrong_ones(world):
    with pytest.raises(WrongPin):
        pay(world, RICE_AND_SOAP, pin="000000", key="bad")
    pay(world, RICE_AND_SOAP, key="good")
    world.card.refresh_from_db()
    assert world.card.failed_pin_attempts == 0


def test_a_blocked_card_is_refused_at_once(world):
    card_block(card=world.card, reason="hilang", actor=world.maker, occurred_at=NOW)
    with pytest.raises(CardBlocked) as refused:
        pay(world, RICE_AND_SOAP)
    assert refused.value.code == "aid.card_blocked"
    assert payments() == 0


def test_a_replaced_card_stops_and_the_new_one_reaches_the_same_balance(world):
    pay(world, RICE_AND_SOAP, key="before")
    issued = card_replace(card=world.card, actor=world.maker, occurred_at=NOW)
    with pytest.raises(CardReplaced):
        pay(world, RICE_AND_SOAP, key="old-card")
    result = pay(world, [BasketLine("BERAS", 10_000)], key="new-card", number=issued.card.number, pin=issued.pin)
    assert {b.code: b.balance for b in result.balances} == {"FOOD": 70_000, "GENERAL": 38_000}
    assert Card.objects.get(pk=issued.card.pk).replaces_id == world.card.pk


def test_an_unknown_card_and_an_ended_enrolment_are_refused(world):
    from betang.aid.models import Enrolment

    with pytest.raises(CardUnknown):
        pay(world, RICE_AND_SOAP, number="6200000000000000")
    Enrolment.objects.filter(household=world.poor[0]).update(status=Enrolment.Status.ENDED)
    with pytest.raises(NotEnrolled):
        pay(world, RICE_AND_SOAP)
    assert payments() == 0


def test_an_unknown_cooperative_is_refused_and_nothing_posted(world):
    class Gone:
        pk = "01890000-0000-7000-8000-000000000000"

    with pytest.raises(CooperativeUnknown) as refused:
        pay(world, RICE_AND_SOAP, cooperative=Gone)
    assert (refused.value.code, refused.value.http_status) == ("aid.cooperative_unknown", 404)
    Gone.pk = "not-a-cooperative"
    with pytest.raises(CooperativeUnknown):
        pay(world, RICE_AND_SOAP, cooperative=Gone)
    assert payments() == 0
    assert not Redemption.objects.exists()


def test_another_cooperative_may_redeem_and_is_owed_the_money(world):
    from betang.ledger import selectors as ledger

    result = pay(world, RICE_AND_SOAP, cooperative=world.coop_b)  # the home cooperative is in village A
    redemption = Redemption.objects.get(pk=result.redemption_id)
    assert (redemption.cooperative_id, redemption.region_code) == (world.coop_b.pk, world.coop_b.region_code)
    owed = ledger.accounts_by_key([f"aid:khbs:payable:{world.coop_b.pk}"])
    assert ledger.account_balance(next(iter(owed.values()))[0]) == 82_000


def test_the_same_key_five_times_pays_once_with_the_same_answer(world):
    answers = [pay(world, RICE_AND_SOAP, key="pos-1-0001") for _ in range(5)]
    assert len({(a.redemption_id, a.receipt_number, a.amount) for a in answers}) == 1
    assert [a.replayed for a in answers] == [False, True, True, True, True]
    assert payments() == 1
    assert balances(world) == {"FOOD": 80_000, "GENERAL": 38_000}


def test_the_same_key_with_another_basket_is_refused(world):
    pay(world, RICE_AND_SOAP, key="pos-1-0002")
    with pytest.raises(KeyReused) as refused:
        pay(world, [BasketLine("BERAS", 1_000)], key="pos-1-0002")
    assert refused.value.http_status == 409
    assert payments() == 1


def test_a_void_posts_a_reversal_and_gives_the_money_back(world):
    result = pay(world, RICE_AND_SOAP)
    redemption = card_payment_void(
        redemption_id=result.redemption_id, actor=world.maker, occurred_at=NOW, recorded_at=NOW
    )
    assert redemption.status == Redemption.Status.VOIDED
    assert Entry.objects.get(pk=redemption.void_entry_id).reverses_id == redemption.entry_id
    assert balances(world) == {"FOOD": 150_000, "GENERAL": 50_000}
    card_payment_void(redemption_id=result.redemption_id, actor=world.maker, occurred_at=NOW, recorded_at=NOW)
    assert Entry.objects.filter(reverses__isnull=False).count() == 1
    assert all(c.ok for c in ledger_verify())


def test_a_balance_check_needs_the_pin(world):
    with pytest.raises(WrongPin):
        balances(world, pin="999999")
    world.card.refresh_from_db()
    assert world.card.failed_pin_attempts == 1


def test_the_keys_a_payment_builds_in_sql_are_the_ledgers_keys(world):
    """The payment's first statement finds wallets and payables by keys it builds in SQL: on both
    databases they must be the keys the accounts were opened with, else every pocket reads empty."""
    table = connection.ops.quote_name(Household._meta.db_table)
    wallet = posting.wallet_key_sql("%s", "h.id", "%s")
    payable = posting.payable_key_sql("%s", "%s")
    for household in world.poor:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {wallet}, {payable} FROM {table} AS h WHERE h.id = %s",
                [
                    "khbs",
                    "FOOD",
                    "khbs",
                    str(world.coop_a.pk),
                    Household._meta.pk.get_db_prep_value(household.pk, connection),
                ],
            )
            wallet_key, payable_key = cursor.fetchone()
        assert wallet_key == posting.wallet_key("khbs", household.pk, "FOOD")
        assert ledger_selectors.accounts_by_key([wallet_key])  # opened by the credit under that key
        assert payable_key == posting.payable_key("khbs", world.coop_a.pk)


def test_a_receipt_number_carries_the_local_day(world):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    just_after_midnight = datetime(2026, 11, 21, 0, 30, tzinfo=ZoneInfo("Asia/Jakarta"))  # 20 Nov in UTC
    paid = card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=world.coop_a.pk,
        key="midnight",
        basket=[BasketLine("BERAS", 1_000)],
        occurred_at=just_after_midnight,
        recorded_at=just_after_midnight,
    )
    assert paid.receipt_number.startswith("261121-")
