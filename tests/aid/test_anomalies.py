"""Anomaly flags, found as payments are folded into the distribution tallies: many payments on one
card within minutes, and payments far from the household's home cooperative; reviewed with a note."""

from datetime import timedelta

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Anomaly
from betang.aid.services import distribution
from betang.aid.services.payments import card_pay
from betang.core.models import AuditEvent
from tests.aid.conftest import PIN, cooperative
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


def pay(world, amount, *, at, cooperative=None, key):
    return card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=(cooperative or world.coop_a).pk,
        basket=[BasketLine("BERAS", amount, "Beras")],
        key=key,
        occurred_at=at,
        recorded_at=at,
    )


def test_three_payments_on_one_card_within_ten_minutes_are_flagged_once_and_the_burst_followed(world):
    pay(world, 10_000, at=NOW, key="p1")
    pay(world, 10_000, at=NOW + 4 * MINUTE, key="p2")
    assert distribution.distribution_fold().anomalies == 0  # two are a shopper who forgot the eggs
    pay(world, 12_000, at=NOW + 8 * MINUTE, key="p3")
    distribution.distribution_fold()
    flag = Anomaly.objects.get(kind=Anomaly.Kind.RAPID)
    assert (flag.payments, flag.amount, flag.first_at, flag.last_at) == (3, 32_000, NOW, NOW + 8 * MINUTE)
    assert (flag.card_id, flag.cooperative_id, flag.region_code) == (
        world.card.pk,
        world.coop_a.pk,
        world.coop_a.region_code,
    )
    distribution.anomaly_review(anomaly=flag, actor=world.maker, note="Tiga anggota keluarga.", occurred_at=NOW)
    pay(world, 5_000, at=NOW + 9 * MINUTE, key="p4")
    distribution.distribution_fold()
    flag.refresh_from_db()
    assert (Anomaly.objects.count(), flag.payments, flag.amount) == (1, 4, 37_000)
    assert (flag.status, flag.first_at, flag.last_at) == ("OPEN", NOW, NOW + 9 * MINUTE)  # grown: looked at again


def test_payments_further_apart_than_the_window_are_not_flagged(world):
    for n in range(4):
        pay(world, 10_000, at=NOW + n * 11 * MINUTE, key=f"p{n}")
    distribution.distribution_fold()
    assert not Anomaly.objects.exists()


def test_a_payment_outside_the_home_cooperatives_district_is_flagged_per_cooperative_and_day(world):
    far = cooperative("62.03.02.1001", "KDMP Mambulau")  # Kapuas, another district
    pay(world, 10_000, at=NOW, cooperative=world.coop_b, key="near")  # the next village: not far
    pay(world, 20_000, at=NOW, cooperative=far, key="far1")
    distribution.distribution_fold()
    pay(world, 5_000, at=NOW + 2 * 60 * MINUTE, cooperative=far, key="far2")
    distribution.distribution_fold()
    flag = Anomaly.objects.get()
    assert (flag.kind, flag.cooperative_id, flag.home_cooperative_id) == ("FAR", far.pk, world.coop_a.pk)
    assert (flag.payments, flag.amount, flag.region_code) == (2, 25_000, "62.03.02.1001")


def test_each_payment_is_looked_at_once_and_a_rebuild_looks_at_none(world):
    far = cooperative("62.03.02.1001", "KDMP Mambulau")
    pay(world, 20_000, at=NOW, cooperative=far, key="far1")
    distribution.distribution_fold()
    distribution.distribution_fold()
    assert Anomaly.objects.get().payments == 1
    pay(world, 20_000, at=NOW, cooperative=far, key="far2")
    distribution.distribution_rebuild(world.program, now=NOW)  # counts it, as the demo's load does
    distribution.distribution_fold()
    assert Anomaly.objects.get().payments == 1


def test_the_distribution_page_lists_open_anomalies_of_the_area_and_an_officer_reviews_one(
    client, world, kapuas_officer, palangkaraya_officer
):
    far = cooperative("62.03.02.1001", "KDMP Mambulau")
    pay(world, 20_000, at=NOW, cooperative=far, key="far1")
    url = f"/bantuan/program/{world.program.code}/penyaluran/"
    client.force_login(kapuas_officer)
    page = client.get(url).content.decode()  # the fold runs before the page reads
    assert 'data-kind="FAR"' in page
    assert "KDMP Mambulau" in page
    assert "KDMP Sei Pasah" in page
    assert world.card.number not in page  # the last four digits only
    flag = Anomaly.objects.get()
    assert client.get(url, {"wilayah": "62.03.01"}).content.decode().count('data-kind="FAR"') == 0  # another district
    refused = client.post(f"/bantuan/anomali/{flag.pk}/tinjau/", {"note": "  "}, follow=True)
    assert Anomaly.objects.get().status == "OPEN"
    assert "Tuliskan hasil pemeriksaannya" in refused.content.decode()  # the page speaks Indonesian
    client.post(f"/bantuan/anomali/{flag.pk}/tinjau/", {"note": "Visited her daughter; receipt checked."})
    flag.refresh_from_db()
    assert (flag.status, flag.reviewed_by, flag.note) == (
        "REVIEWED",
        kapuas_officer,
        "Visited her daughter; receipt checked.",
    )
    assert AuditEvent.objects.filter(event="aid.anomaly.reviewed", object_id=str(flag.pk)).exists()
    assert 'data-kind="FAR"' not in client.get(url).content.decode()
    client.force_login(palangkaraya_officer)
    assert client.post(f"/bantuan/anomali/{flag.pk}/tinjau/", {"note": "x"}).status_code == 404
