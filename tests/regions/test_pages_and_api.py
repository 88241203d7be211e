"""Region browser and village search, in pages and API, inside and outside the user's scope."""

import pytest
from django.urls import reverse

from betang.accounts.services import token_create


def test_national_user_drills_down_from_provinces_to_villages(client, national_admin):
    client.force_login(national_admin)
    page = client.get(reverse("regions:browser")).content.decode()
    assert "Kalimantan Tengah" in page
    assert "Kalimantan Selatan" in page
    page = client.get(reverse("regions:detail", args=["62"])).content.decode()
    assert "Kabupaten Kapuas" in page
    assert "Kota Palangkaraya" in page
    page = client.get(reverse("regions:detail", args=["62.03"])).content.decode()
    assert "Kecamatan" in page  # Indonesian by default
    district = client.get(reverse("regions:detail", args=["62.03.01"]))
    assert district.status_code == 200
    assert "62.03.01.1006" in district.content.decode()


def test_scoped_officer_starts_at_their_province_and_sees_only_their_regency(client, kapuas_officer):
    client.force_login(kapuas_officer)
    response = client.get(reverse("regions:browser"))
    assert response.status_code == 302
    assert response.url == reverse("regions:detail", args=["62"])
    page = client.get(response.url).content.decode()
    assert "Kabupaten Kapuas" in page
    assert "Kota Palangkaraya" not in page


@pytest.mark.parametrize("code", ["62.71", "62.71.01", "62.71.01.1001", "63", "63.01"])
def test_out_of_scope_region_pages_are_404(client, kapuas_officer, code):
    client.force_login(kapuas_officer)
    assert client.get(reverse("regions:detail", args=[code])).status_code == 404


@pytest.mark.parametrize("code", ["62.71", "62.71.01.1001", "63"])
def test_out_of_scope_regions_are_404_in_the_api_too(client, kapuas_officer, code):
    client.force_login(kapuas_officer)
    response = client.get(f"/api/v1/regions/{code}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Region not found.", "details": None}


def test_search_finds_villages_by_part_of_name_and_by_code(client, national_admin):
    client.force_login(national_admin)
    by_name = client.get(reverse("regions:search"), {"q": "sei pasah"}).content.decode()
    assert "Sei Pasah" in by_name
    by_code = client.get(reverse("regions:search"), {"q": "6203021005"}).content.decode()
    assert "62.03.02.1005" in by_code
    partial = client.get(reverse("regions:search"), {"q": "pasah"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Sei Pasah" in partial.content.decode()


def test_search_stays_inside_scope(client, palangkaraya_officer):
    client.force_login(palangkaraya_officer)
    page = client.get(reverse("regions:search"), {"q": "sei pasah"}).content.decode()
    assert "Sei Pasah" not in page  # a Kapuas village
    api = client.get("/api/v1/regions/villages", {"q": "sei pasah"}).json()
    assert api == []
    own = client.get("/api/v1/regions/villages", {"q": "62.71.01"}).json()
    assert own
    assert all(v["code"].startswith("62.71.01.") for v in own)


def test_api_region_detail_with_a_machine_token(client, kapuas_officer, now):
    issued = token_create(user=kapuas_officer, name="uji", actor=kapuas_officer, occurred_at=now)
    response = client.get("/api/v1/regions/62.03", headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Kabupaten Kapuas"
    assert body["level"] == "regency"
    assert body["ancestors"] == [{"code": "62", "name": "Kalimantan Tengah", "level": "province"}]
    assert {c["level"] for c in body["children"]} == {"district"}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("regions:browser"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    api = client.get("/api/v1/regions/62")
    assert api.status_code == 401
    assert api.json()["code"] == "unauthenticated"


def test_only_administrators_may_reload_regions(client, kapuas_officer):
    client.force_login(kapuas_officer)
    assert client.post(reverse("regions:load")).status_code == 403


def test_a_village_page_shows_what_the_apps_know_of_it(client, kapuas_officer, make_user):
    from betang.registry.models import Cooperative, Household
    from tests.conftest import NOW

    Cooperative.objects.create(
        name="KDMP Murung Keramat", name_key="kdmp murung keramat", kind="KDMP", region_code="62.03.01.1006",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    Household.objects.create(kk_number="6203010101200001", region_code="62.03.01.1006", created_at=NOW, updated_at=NOW)
    client.force_login(kapuas_officer)
    page = client.get("/wilayah/62.03.01.1006/").content.decode()
    figures = page.split('data-testid="region-figures"', 1)[1].split("</div>\n", 1)[0]
    assert "rumah tangga terdata" in figures
    assert "koperasi" in figures
    assert "/pendataan/koperasi/?village=62.03.01.1006" in figures
    district = client.get("/wilayah/62.03.01/").content.decode()
    assert 'href="/wilayah/62.03.01.1006/"' in district  # villages are links now
    buyer = make_user(role="PROCUREMENT_BUYER", scope="62", username="pembeli")
    client.force_login(buyer)
    assert "rumah tangga terdata" not in client.get("/wilayah/62.03.01.1006/").content.decode()
