"""The beneficiary's balance page (/saldo/): card number and PIN, no sign-in; wrong PINs count towards
nothing (a stranger cannot lock a card from here); a client address and a card number each get a
limited number of attempts."""

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


def test_wrong_pins_here_neither_lock_the_card_nor_tell_a_stranger_anything(client, world):
    for n in range(3):
        wrong = client.post("/saldo/", {"card": world.card.number, "pin": f"00000{n}"})
        assert wrong.status_code == 401
    card = Card.objects.get(pk=world.card.pk)
    assert (card.status, card.failed_pin_attempts) == ("ACTIVE", 0)  # a stranger cannot lock it
    unknown = client.post("/saldo/", {"card": "4000000000000002", "pin": PIN})
    message = 'data-testid="balance-error">'
    assert unknown.status_code == 401
    assert unknown.content.decode().split(message)[1][:80] == wrong.content.decode().split(message)[1][:80]
    assert client.post("/saldo/", {"card": world.card.number, "pin": PIN}).status_code == 200


def test_the_cards_state_is_told_only_with_the_right_pin(client, world):
    from betang.aid.services.cards import card_block

    card_block(card=world.card, reason="hilang", actor=world.maker, occurred_at=NOW)
    assert client.post("/saldo/", {"card": world.card.number, "pin": "000000"}).status_code == 401
    blocked = client.post("/saldo/", {"card": world.card.number, "pin": PIN})
    assert blocked.status_code == 422
    assert "Rp150.000" not in blocked.content.decode()


def test_a_card_number_gets_five_tries_an_hour_from_any_address(client, world):
    for n in range(5):
        client.post("/saldo/", {"card": world.card.number, "pin": f"00000{n}"}, REMOTE_ADDR=f"10.0.1.{n}")
    refused = client.post("/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="10.0.2.1")
    assert refused.status_code == 429
    assert "Rp150.000" not in refused.content.decode()
    assert not Throttle.objects.filter(key__contains=world.card.number).exists()  # kept hashed


def test_one_address_gets_ten_attempts_per_window_whatever_the_cards(client, world):
    for n in range(10):
        answer = client.post("/saldo/", {"card": f"40000000000000{n:02d}", "pin": "000000"}, REMOTE_ADDR="10.0.0.7")
        assert answer.status_code in (400, 401)  # numbers that are no card: told, and counted
    refused = client.post("/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="10.0.0.7")
    assert refused.status_code == 429
    assert "Rp150.000" not in refused.content.decode()
    other = client.post("/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 200
    assert Throttle.objects.get(key="aid.balance:10.0.0.7").hits == 11


def test_behind_a_proxy_the_address_it_saw_counts_not_what_the_client_wrote(client, world, settings):
    settings.PROXY_HOPS = 1
    for n in range(10):  # each claims another address in the header it sends; nginx appends the real one
        client.post(
            "/saldo/",
            {"card": f"40000000000000{n:02d}", "pin": "000000"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9",
        )
    refused = client.post(
        "/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert refused.status_code == 429
    neighbour = client.post(
        "/saldo/", {"card": world.card.number, "pin": PIN}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10"
    )
    assert neighbour.status_code == 200  # another client behind the same proxy is not shut out


def test_the_window_ends(world):
    from datetime import timedelta

    from betang.core.throttle import throttle_hit

    hits = [throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW) for _ in range(3)]
    assert hits[:2] == [0, 0]
    assert 899 <= hits[2] <= 901
    assert throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW + timedelta(minutes=14)) > 0
    assert throttle_hit("k", limit=2, window=timedelta(minutes=15), now=NOW + timedelta(minutes=15)) == 0


def test_movements_read_in_the_order_they_happened_not_the_order_they_were_recorded(client, world):
    """A payment recorded late (an outpost syncing, a correction) sorts where it happened."""
    from datetime import timedelta

    late = card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=world.coop_a.pk,
        basket=[BasketLine("BERAS", 30_000, "Beras")],
        key="later",
        occurred_at=NOW + timedelta(days=2),
        recorded_at=NOW + timedelta(days=2),
    )
    early = card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=world.coop_a.pk,
        basket=[BasketLine("BERAS", 10_000, "Beras")],
        key="synced-late",
        occurred_at=NOW + timedelta(days=1),
        recorded_at=NOW + timedelta(days=3),
    )
    statement = card_statement(card_number=world.card.number, pin=PIN, counted=False)
    assert [m.amount for m in statement.movements] == [-30_000, -10_000, 200_000]
    assert [m.occurred_at for m in statement.movements] == sorted(
        (m.occurred_at for m in statement.movements), reverse=True
    )
    assert late.receipt_number != early.receipt_number
    page = client.get("/saldo/").content.decode()
    note = page.split('data-testid="pin-note">', 1)[1].split("</p>", 1)[0]
    assert "tidak mengunci" in note  # the truth here: wrong PINs on this page lock nothing
