"""The beneficiary's balance page (/saldo/): card number and PIN, no sign-in; wrong PINs count towards
the card's lock; a client address gets a limited number of attempts."""

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Card
from betang.aid.services.payments import card_pay, card_payment_void, card_statement
from betang.core.models import Throttle
from tests.aid.conftest import PIN
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _pay(world, amount, key):
    return card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=world.coop_a.pk,
        basket=[BasketLine("BERAS", amount, "Beras 5 kg")],
        key=key,
        occurred_at=NOW,
        recorded_at=NOW,
    )


def test_the_statement_shows_balances_and_every_movement_of_the_household(world):
    paid = _pay(world, 70_000, "b1")
    _pay(world, 20_000, "b2")
    card_payment_void(redemption_id=paid.redemption_id, actor=world.maker, occurred_at=NOW, recorded_at=NOW)
    statement = card_statement(card_number=world.card.number, pin=PIN)
    assert statement.last4 == world.card.number[-4:]
    assert {b.code: b.balance for b in statement.balances} == {"FOOD": 130_000, "GENERAL": 50_000}
    assert [(m.what, m.amount) for m in statement.movements] == [
        ("void", 70_000),
        ("payment", -20_000),
        ("payment", -70_000),
        ("credit", 200_000),
    ]
    void, _second, first, credit = statement.movements
    assert void.cooperative == first.cooperative == "KDMP Sei Pasah"
    assert void.receipt == first.receipt == paid.receipt_number
    assert credit.pockets == {"Pangan": 150_000, "Umum": 50_000}
    assert credit.program == "Huma Betang Sejahtera"


def test_the_page_shows_the_balance_for_the_right_pin_and_keeps_nothing_sensitive(client, world):
    _pay(world, 25_000, "b1")
    page = client.get("/saldo/")
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    answer = client.post(
        "/saldo/", {"card": " ".join([world.card.number[i : i + 4] for i in range(0, 16, 4)]), "pin": PIN}
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    assert "Rp125.000" in html
    assert "Rp50.000" in html
    assert "KDMP Sei Pasah" in html
    assert "−Rp25.000" in html.replace("-Rp", "−Rp")
    assert PIN not in html
    assert world.card.number not in html
    assert world.poor[0].members.first().nik not in html


def test_wrong_pins_are_counted_and_the_third_locks_the_card(client, world):
    first = client.post("/saldo/", {"card": world.card.number, "pin": "000000"})
    assert first.status_code == 401
    assert "2" in first.content.decode()
    assert 'data-testid="balance-error"' in first.content.decode()
    client.post("/saldo/", {"card": world.card.number, "pin": "000001"})
    third = client.post("/saldo/", {"card": world.card.number, "pin": "000002"})
    assert Card.objects.get(pk=world.card.pk).status == Card.Status.LOCKED
    assert third.status_code == 422
    right = client.post("/saldo/", {"card": world.card.number, "pin": PIN})
    assert right.status_code == 422
    assert "Rp" not in right.content.decode().split("balance-error")[1][:200]


def test_a_right_pin_clears_the_count_of_wrong_ones(client, world):
    client.post("/saldo/", {"card": world.card.number, "pin": "000000"})
    client.post("/saldo/", {"card": world.card.number, "pin": PIN})
    assert Card.objects.get(pk=world.card.pk).failed_pin_attempts == 0


def test_one_address_gets_ten_attempts_per_window_whatever_the_cards(client, world):
    for n in range(10):
        answer = client.post("/saldo/", {"card": "4000000000000002", "pin": f"{n:06d}"}, REMOTE_ADDR="10.0.0.7")
        assert answer.status_code in (400, 404)  # a number that is no card: told, and counted
    refused = client.post("/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="10.0.0.7")
    assert refused.status_code == 429
    assert "Rp" not in refused.content.decode().split("balance-error")[1][:300]
    assert Card.objects.get(pk=world.card.pk).failed_pin_attempts == 0  # never reached the card
    other = client.post("/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 200
    assert Throttle.objects.get(key="aid.balance:10.0.0.7").hits == 11


def test_the_window_ends(world):
    from datetime import timedelta

    from betang.core.throttle import throttle_hit

    hits = [throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW) for _ in range(3)]
    assert hits[:2] == [0, 0]
    assert 899 <= hits[2] <= 901
    assert throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW + timedelta(minutes=14)) > 0
    assert throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW + timedelta(minutes=15)) == 0
