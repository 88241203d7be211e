"""The distribution tallies: payments folded into every node above their cooperative (voids taken
off, each counted once), households, cards and credit counted anew, always equal to grouping the
payments themselves; the distribution page reads them, inside the reader's area."""

import random
from collections import Counter, defaultdict

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Redemption, Tally, TallyState
from betang.aid.services import distribution
from betang.aid.services.cards import card_pin_set, card_replace
from betang.aid.services.payments import card_pay, card_payment_void
from tests.aid.conftest import PIN, VILLAGE_A, VILLAGE_B
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def pay(world, amount, *, cooperative, key, card=None):
    return card_pay(
        card_number=(card or world.card).number,
        pin=PIN,
        cooperative_id=cooperative.pk,
        basket=[BasketLine("BERAS", amount, "Beras")],
        key=key,
        occurred_at=NOW,
        recorded_at=NOW,
    )


def void(world, payment):
    card_payment_void(redemption_id=payment.redemption_id, actor=world.maker, occurred_at=NOW, recorded_at=NOW)


def tally(world, level, code):
    row = Tally.objects.filter(program=world.program, level=level, code=str(code)).first()
    return (row.redeemed_count, row.redeemed_amount) if row else (0, 0)


def grouped(world) -> dict[tuple[str, str], tuple[int, int]]:
    """What the tallies must say, grouped from the payments themselves."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in Redemption.objects.filter(program=world.program, status="PAID"):
        for level, code, _parent in distribution.nodes_of(r.cooperative_id, r.region_code):
            sums[(level, code)][0] += 1
            sums[(level, code)][1] += r.amount
    return {k: tuple(v) for k, v in sums.items()}


def tallies(world) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (t.level, t.code): (t.redeemed_count, t.redeemed_amount)
        for t in Tally.objects.filter(program=world.program)
        if t.redeemed_count or t.redeemed_amount
    }


def test_a_payment_is_counted_at_every_level_once_and_its_void_taken_off(world):
    first = pay(world, 20_000, cooperative=world.coop_a, key="d1")
    pay(world, 5_000, cooperative=world.coop_a, key="d2")
    assert Tally.objects.count() == 0  # the payment writes no summary: the fold does
    folded = distribution.distribution_fold()
    assert (folded.payments, folded.voids) == (2, 0)
    for level, code in [("province", "62"), ("regency", "62.03"), ("district", "62.03.01"), ("village", VILLAGE_A)]:
        assert tally(world, level, code) == (2, 25_000)
    assert tally(world, "cooperative", world.coop_a.pk) == (2, 25_000)
    assert tally(world, "cooperative", world.coop_b.pk) == (0, 0)
    assert distribution.distribution_fold().payments == 0  # counted once
    assert tally(world, "province", "62") == (2, 25_000)

    void(world, first)
    assert Redemption.objects.get(pk=first.redemption_id).tally == TallyState.VOID_PENDING
    assert distribution.distribution_fold().voids == 1
    assert tally(world, "village", VILLAGE_A) == (1, 5_000)
    assert distribution.distribution_fold().voids == 0
    assert tally(world, "village", VILLAGE_A) == (1, 5_000)


def test_a_payment_voided_before_it_was_counted_is_never_counted(world):
    payment = pay(world, 20_000, cooperative=world.coop_b, key="d3")
    void(world, payment)
    folded = distribution.distribution_fold()
    assert (folded.payments, folded.voids) == (0, 0)
    assert tally(world, "cooperative", world.coop_b.pk) == (0, 0)
    assert Redemption.objects.get(pk=payment.redemption_id).tally == TallyState.DONE


def test_tallies_always_equal_grouping_the_payments(world):
    """Payments at both cooperatives and voids in random order, folded at random moments and in
    small batches: after each fold the tallies are exactly what a GROUP BY of the payments gives."""
    rng = random.Random(7)  # noqa: S311 - test traffic, not secrets
    made = []
    for i in range(40):
        step = rng.random()
        if step < 0.6 or not made:
            coop = rng.choice([world.coop_a, world.coop_b])
            made.append(pay(world, rng.randint(1, 3) * 1_000, cooperative=coop, key=f"r{i}"))
        elif step < 0.8:
            void(world, made.pop(rng.randrange(len(made))))
        else:
            distribution.distribution_fold(batch=3)
            assert tallies(world) == grouped(world)
    distribution.distribution_fold(batch=3)
    assert tallies(world) == grouped(world)
    assert not Redemption.objects.filter(tally__in=[TallyState.NEW, TallyState.VOID_PENDING]).exists()


def test_households_cards_and_credit_are_counted_at_every_level(world):
    distribution.distribution_refresh(world.program, now=NOW)
    a = Tally.objects.get(program=world.program, level="cooperative", code=str(world.coop_a.pk))
    b = Tally.objects.get(program=world.program, level="cooperative", code=str(world.coop_b.pk))
    province = Tally.objects.get(program=world.program, level="province", code="62")
    # Two poor households at A and one at B, each credited Rp200.000 once, each with a card.
    assert (a.enrolled, a.cards, a.credited) == (2, 2, 400_000)
    assert (b.enrolled, b.cards, b.credited) == (1, 1, 200_000)
    assert (province.enrolled, province.cards, province.credited) == (3, 3, 600_000)
    assert province.refreshed_at == NOW
    assert b.parent == VILLAGE_B
    assert province.parent == ""

    Card.objects.filter(pk=world.card.pk).update(status=Card.Status.BLOCKED)
    distribution.distribution_refresh(world.program, now=NOW)
    assert Tally.objects.get(program=world.program, level="province", code="62").cards == 2


def test_a_rebuild_gives_what_the_fold_gave(world):
    for i, coop in enumerate([world.coop_a, world.coop_b, world.coop_a]):
        pay(world, 3_000 + i, cooperative=coop, key=f"b{i}")
    distribution.distribution_fold()
    distribution.distribution_refresh(world.program, now=NOW)
    before = {(t.level, t.code): t for t in Tally.objects.filter(program=world.program)}
    distribution.distribution_rebuild(world.program, now=NOW)
    after = {(t.level, t.code): t for t in Tally.objects.filter(program=world.program)}
    figures = ("enrolled", "cards", "credited", "redeemed_count", "redeemed_amount", "last_payment_at")
    assert {k: [getattr(t, f) for f in figures] for k, t in before.items()} == {
        k: [getattr(t, f) for f in figures] for k, t in after.items()
    }


def test_the_page_drills_down_to_the_cooperatives_and_flags_one_redeeming_above_its_credit(
    client, world, kapuas_officer, palangkaraya_officer
):
    # Coop B's one household was credited Rp200.000; the card of a household of A spends Rp150.000
    # at B, then B's own household spends there too: B redeems above 150% of its credit.
    pay(world, 150_000, cooperative=world.coop_b, key="far")
    client.force_login(kapuas_officer)
    url = f"/bantuan/program/{world.program.code}/penyaluran/"
    page = client.get(url).content.decode()  # the officer's own regency, Kapuas
    assert 'data-testid="distribution"' in page
    assert "Kapuas" in page
    assert "Rp150.000" in page  # redeemed
    assert "Rp600.000" in page  # credited (the refresh ran)
    assert "25,0%" in page  # realisation, written the Indonesian way
    village = client.get(url, {"wilayah": VILLAGE_B}).content.decode()
    assert "KDMP Anjir" in village
    assert 'data-testid="over-credit"' not in village  # Rp150.000 of Rp200.000
    other = Card.objects.get(household=world.poor[2])
    card_pin_set(card=other, pin=PIN, actor=world.maker, occurred_at=NOW)
    pay(world, 200_000, cooperative=world.coop_b, key="own", card=other)
    partial = client.get(url, {"wilayah": VILLAGE_B}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section")  # the table alone, for htmx to swap
    assert "Rp350.000" in partial
    assert 'data-testid="over-credit"' in partial  # Rp350.000 > 1.5 × Rp200.000
    assert 'hx-trigger="every 5s"' in partial
    assert client.get(url, {"wilayah": "62.71"}).status_code == 404  # outside Kapuas
    assert client.get(url, {"wilayah": "62"}).status_code == 404  # above it
    assert client.get(url, {"wilayah": "nonsense"}).status_code == 404
    client.force_login(palangkaraya_officer)
    assert "Rp350.000" not in client.get(url).content.decode()


def test_counts_are_not_doubled_by_a_household_with_a_replaced_card(world):
    card_replace(card=world.card, actor=world.maker, occurred_at=NOW)
    distribution.distribution_refresh(world.program, now=NOW)
    a = Tally.objects.get(program=world.program, level="cooperative", code=str(world.coop_a.pk))
    assert (a.enrolled, a.cards) == (2, 2)
    assert Counter(Tally.objects.filter(program=world.program).values_list("level", flat=True)) == {
        "province": 1,
        "regency": 1,
        "district": 1,
        "village": 2,
        "cooperative": 2,
    }
