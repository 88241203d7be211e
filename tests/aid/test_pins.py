"""PINs kept as an online and an offline verifier (aid.pins, docs/adr/0007), and card numbers."""

import hashlib
import hmac
import importlib

import pytest
from django.apps import apps
from django.conf import settings

from betang.aid import pins
from betang.aid.contracts import BasketLine
from betang.aid.models import Card
from betang.aid.services.cards import card_pin_set, cards_issue
from betang.aid.services.payments import WrongPin, card_pay
from tests.aid.conftest import PIN
from tests.conftest import NOW


def earlier_hash(pin: str, salt: str = "00" * 16, iterations: int = 2_000) -> str:
    """A PIN hash as Betang made it before the online verifier (aid.pins until 2026-12): PBKDF2 of
    HMAC(pepper, "betang.aid.pin") + PIN, written out here so that a change to aid.pins cannot move it."""
    pepper = hmac.new(settings.PIN_PEPPER.encode(), b"betang.aid.pin", hashlib.sha256).digest()
    digest = hashlib.pbkdf2_hmac("sha256", pepper + pin.encode(), bytes.fromhex(salt), iterations)
    return f"pbkdf2_sha256_pepper${iterations}${salt}${digest.hex()}"


def test_the_online_verifier_checks_the_pin_and_holds_neither_it_nor_the_same_text_twice():
    one, two = pins.pin_hash(PIN), pins.pin_hash(PIN)
    assert one.startswith("hmac_sha256$")
    assert one != two
    assert pins.pin_matches(PIN, one)
    assert pins.pin_matches(PIN, two)
    assert not pins.pin_matches("135791", one)
    assert PIN not in one


def test_the_offline_verifier_checks_the_pin_and_is_another_text():
    offline = pins.pin_offline_hash(PIN)
    assert offline.startswith("pbkdf2_sha256_pepper$2000$")
    assert pins.pin_matches(PIN, offline)
    assert not pins.pin_matches("135791", offline)
    assert offline.split("$")[-1] != pins.pin_hash(PIN, salt=offline.split("$")[2]).split("$")[-1]


def test_both_verifiers_are_keyed_a_pepper_of_another_server_verifies_neither(settings):
    online, offline = pins.pin_hash(PIN), pins.pin_offline_hash(PIN)
    settings.PIN_PEPPER = "another server's pepper"
    assert not pins.pin_matches(PIN, online)
    assert not pins.pin_matches(PIN, offline)


def test_an_outpost_is_given_a_key_that_is_not_the_online_ones():
    # What an outpost carries (the offline key) must not make the online verifiers searchable.
    mac = pins.pin_hash(PIN, salt="ab" * 16).split("$")[-1]
    with_offline_key = hmac.new(pins.offline_key(), bytes.fromhex("ab" * 16) + PIN.encode(), hashlib.sha256)
    assert with_offline_key.hexdigest() != mac


def test_a_hash_made_before_the_online_verifier_still_verifies_and_is_outdated():
    earlier = earlier_hash(PIN, salt="5a" * 16)
    assert pins.pin_matches(PIN, earlier)
    assert not pins.pin_matches("135791", earlier)
    assert pins.pin_offline_hash(PIN, salt="5a" * 16) == earlier  # the offline verifier is the same hash
    assert pins.pin_outdated(earlier)
    assert not pins.pin_outdated(pins.pin_hash(PIN))


@pytest.mark.parametrize(
    "stored",
    ["", "x", "hmac_sha256$zz$00", "hmac_sha256$abcd", "pbkdf2_sha256_pepper$many$00$00", "md5$00$00"],
)
def test_a_stored_text_that_is_no_verifier_matches_nothing(stored):
    assert not pins.pin_matches(PIN, stored)


@pytest.mark.parametrize("pin", ["", "13579", "1357900", "13579a", "١٣٥٧٩٠", None])
def test_only_six_ascii_digits_are_a_pin(pin):
    assert not pins.pin_is_well_formed(pin)
    assert not pins.pin_matches(pin, pins.pin_hash(PIN))


def test_card_numbers_carry_a_luhn_check_digit():
    assert pins.luhn_valid("4539578763621486")  # a well-known valid test number
    assert not pins.luhn_valid("4539578763621487")
    numbers = {pins.card_number_new() for _ in range(200)}
    assert len(numbers) == 200
    assert all(n.startswith("62") and pins.luhn_valid(n) for n in numbers)


@pytest.mark.django_db
def test_a_new_pin_gets_both_verifiers(world):
    card = Card.objects.get(pk=world.card.pk)  # its PIN set by card_pin_set
    assert pins.pin_matches(PIN, card.pin_hash)
    assert not pins.pin_outdated(card.pin_hash)
    assert pins.pin_matches(PIN, card.pin_offline_hash)
    assert card.pin_offline_hash.startswith("pbkdf2_sha256_pepper$")
    card_pin_set(card=card, pin="246802", actor=world.maker, occurred_at=NOW)
    card.refresh_from_db()
    assert pins.pin_matches("246802", card.pin_hash)
    assert pins.pin_matches("246802", card.pin_offline_hash)
    assert not pins.pin_matches(PIN, card.pin_hash)
    assert not pins.pin_matches(PIN, card.pin_offline_hash)


@pytest.mark.django_db
def test_a_card_issued_in_a_batch_has_both_verifiers_of_its_mailer_pin(world):
    Card.objects.all().delete()
    issued = cards_issue(households=world.poor, batch="b2", occurred_at=NOW, actor=world.maker)
    assert len(issued) == 3
    for one in issued:
        card = Card.objects.get(pk=one.card.pk)
        assert pins.pin_matches(one.pin, card.pin_hash)
        assert pins.pin_matches(one.pin, card.pin_offline_hash)
        assert card.pin_hash != card.pin_offline_hash


def pay(world, pin, key):
    return card_pay(
        card_number=world.card.number,
        pin=pin,
        cooperative_id=world.coop_a.pk,
        basket=[BasketLine("BERAS", 1_000, "Beras")],
        key=key,
        occurred_at=NOW,
        recorded_at=NOW,
    )


@pytest.mark.django_db
def test_a_card_with_an_earlier_hash_pays_and_its_online_verifier_is_made_anew(world):
    earlier = earlier_hash(PIN)
    Card.objects.filter(pk=world.card.pk).update(pin_hash=earlier, pin_offline_hash=earlier)
    with pytest.raises(WrongPin):
        pay(world, "000000", "wrong")
    assert Card.objects.get(pk=world.card.pk).pin_hash == earlier  # a wrong PIN makes nothing anew
    pay(world, PIN, "right")
    card = Card.objects.get(pk=world.card.pk)
    assert card.pin_hash.startswith("hmac_sha256$")
    assert pins.pin_matches(PIN, card.pin_hash)
    assert card.pin_offline_hash == earlier
    assert card.failed_pin_attempts == 0
    pay(world, PIN, "again")  # and the new verifier is the one checked from now on


@pytest.mark.django_db
def test_the_migration_keeps_the_earlier_hashes_as_offline_verifiers(world):
    earlier = earlier_hash(PIN)
    Card.objects.filter(pk=world.card.pk).update(pin_hash=earlier, pin_offline_hash="")
    online = Card.objects.exclude(pk=world.card.pk).values_list("pk", "pin_offline_hash")
    before = dict(online)
    migration = importlib.import_module("betang.aid.migrations.0013_card_offline_pin_hash")
    migration.offline_from_earlier(apps, None)
    assert Card.objects.get(pk=world.card.pk).pin_offline_hash == earlier
    assert dict(online) == before  # cards with an online verifier keep their offline one
