"""Scope on writes: an officer of one regency can neither take over nor change another regency's
household, person or organisation, by the API or by an import, and a refusal never names whose it is."""

import pytest

from betang.core.models import AuditEvent
from betang.registry.models import Cooperative, Enterprise, Household, Person
from tests.registry.conftest import csv_bytes, outcomes, reasons
from tests.registry.test_import_orgs import COOP_HEADERS
from tests.registry.test_pages_api_scope import PALANGKARAYA_FAMILY

pytestmark = pytest.mark.django_db

DEWI_NIK = PALANGKARAYA_FAMILY[0][0]

# Dewi's NIK and name, a new KK and a village of Kapuas: the takeover the attack tried.
TAKEOVER = {
    "nik": DEWI_NIK,
    "name": "Dewi Lestari",
    "birth_date": "15-06-1985",
    "sex": "P",
    "kk": "6203010101990001",
    "region_code": "62.03.01.1006",
    "relation": "kepala keluarga",
}


@pytest.fixture
def palangkaraya(run_import, palangkaraya_officer):
    run_import(csv_bytes(PALANGKARAYA_FAMILY), actor=palangkaraya_officer)
    return Household.objects.get(region_code__startswith="62.71.")


def _state(household):
    """What another area must never be able to change: the household and its people, as stored."""
    household.refresh_from_db()
    people = list(Person.objects.filter(household=household).values_list("nik", "name", "region_code", "household"))
    return household.kk_number, household.region_code, household.address, household.latest_decile, people


def test_another_regencys_household_head_cannot_be_moved_by_the_api(
    client, kapuas_officer, palangkaraya_officer, palangkaraya
):
    before = _state(palangkaraya)
    client.force_login(kapuas_officer)
    response = client.post("/api/v1/registry/persons", TAKEOVER, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["outcome"] == "REJECTED"
    assert [i["code"] for i in body["issues"]] == ["nik.out_of_scope"]
    assert _state(palangkaraya) == before
    assert not AuditEvent.objects.filter(event__startswith="registry.households.").exists()
    # The Kapuas officer still cannot read the family; the Palangkaraya officer still can.
    assert client.get(f"/api/v1/registry/households/{palangkaraya.pk}").status_code == 404
    client.force_login(palangkaraya_officer)
    assert client.get(f"/api/v1/registry/households/{palangkaraya.pk}").status_code == 200


def test_a_refusal_under_another_name_does_not_name_the_registered_person(client, kapuas_officer, palangkaraya):
    client.force_login(kapuas_officer)
    response = client.post(
        "/api/v1/registry/persons", TAKEOVER | {"name": "Siapa Saja"}, content_type="application/json"
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert [i["code"] for i in response.json()["issues"]] == ["nik.out_of_scope"]
    assert "Dewi" not in text
    assert "Lestari" not in text
    assert "62.71" not in text


def test_another_regencys_kk_cannot_be_joined_or_moved(client, kapuas_officer, palangkaraya):
    before = _state(palangkaraya)
    client.force_login(kapuas_officer)
    newcomer = TAKEOVER | {"nik": "6203014707900004", "name": "Rina Wati", "birth_date": "07-07-1990"}
    response = client.post(
        "/api/v1/registry/persons",
        newcomer | {"kk": palangkaraya.kk_number, "relation": "anak"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [i["code"] for i in response.json()["issues"]] == ["kk.out_of_scope"]
    assert _state(palangkaraya) == before
    assert not Person.objects.filter(nik="6203014707900004").exists()


def test_the_import_path_refuses_the_same_takeover_and_keeps_the_good_rows(run_import, kapuas_officer, palangkaraya):
    before = _state(palangkaraya)
    rows = [
        [DEWI_NIK, "Dewi Lestari", "15/06/1985", "P", "6203010101990001", "Kepala Keluarga", "62.03.01.1006"],
        [DEWI_NIK, "Orang Lain", "15/06/1985", "P", "6203010101990001", "Kepala Keluarga", "62.03.01.1006"],
        ["6203014707900004", "Rina Wati", "07/07/1990", "P", palangkaraya.kk_number, "Anak", "62.03.01.1006"],
        ["6203011203800003", "Budi Santoso", "12/03/1980", "L", "6203010101200001", "Kepala Keluarga", "62.03.01.1006"],
    ]
    headers = ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "No KK", "Hubungan Keluarga", "Kode Desa"]
    batch, _ = run_import(csv_bytes(rows, headers=headers), actor=kapuas_officer)
    assert outcomes(batch) == {2: "REJECTED", 3: "REJECTED", 4: "REJECTED", 5: "CREATED"}
    assert reasons(batch) == {2: "nik.out_of_scope", 3: "nik.out_of_scope", 4: "kk.out_of_scope"}
    messages = " ".join(batch.rows.values_list("message", flat=True))
    assert "Dewi" not in messages
    assert _state(palangkaraya) == before


def test_a_name_conflict_inside_ones_area_masks_the_nik(run_import, kapuas_officer):
    family = [
        ["6203011203800003", "Budi Santoso", "12/03/1980", "L", "6203010101200001", "Kepala Keluarga", "62.03.01.1006"]
    ]
    headers = ["NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "No KK", "Hubungan Keluarga", "Kode Desa"]
    run_import(csv_bytes(family, headers=headers), actor=kapuas_officer)
    family[0][1] = "Joko Widodo"
    batch, _ = run_import(csv_bytes(family, headers=headers), actor=kapuas_officer)
    row = batch.rows.get()
    assert row.codes == "nik.conflict"
    assert "Budi Santoso" in row.message  # the officer may read Budi: told whose NIK it is
    assert "6203011203800003" not in row.message  # but not the full number, in a page anyone with the batch sees


def test_another_regencys_cooperative_and_enterprise_are_not_updated_through_their_numbers(
    run_import, kapuas_officer, palangkaraya_officer
):
    legal = "AHU-0077.AH.01.29.TAHUN 2025"
    coop_row = ["KDMP Bukit Tunggal", "KDMP", "62.71.01.1001", legal, "", "", "", ""]
    run_import(csv_bytes([coop_row], headers=COOP_HEADERS), kind="cooperatives", actor=palangkaraya_officer)
    enterprise_headers = ["Nama Usaha", "NIB", "Kode Desa"]
    run_import(
        csv_bytes([["Kripik Pisang Bu Dewi", "9120009876543", "62.71.01.1001"]], headers=enterprise_headers),
        kind="enterprises",
        actor=palangkaraya_officer,
    )
    stolen = ["Koperasi Ambil Alih", "KDMP", "62.03.01.1006", legal, "", "", "", ""]
    batch, _ = run_import(csv_bytes([stolen], headers=COOP_HEADERS), kind="cooperatives", actor=kapuas_officer)
    assert reasons(batch) == {2: "registry.out_of_scope"}
    assert "Bukit Tunggal" not in batch.rows.get().message
    coop = Cooperative.objects.get(legal_number=legal)
    assert (coop.name, coop.region_code) == ("KDMP Bukit Tunggal", "62.71.01.1001")

    batch, _ = run_import(
        csv_bytes([["Usaha Lain", "9120009876543", "62.03.01.1006"]], headers=enterprise_headers),
        kind="enterprises",
        actor=kapuas_officer,
    )
    assert reasons(batch) == {2: "registry.out_of_scope"}
    enterprise = Enterprise.objects.get(nib="9120009876543")
    assert (enterprise.name, enterprise.region_code) == ("Kripik Pisang Bu Dewi", "62.71.01.1001")


def test_a_national_administrator_still_updates_anywhere(client, national_admin, palangkaraya):
    client.force_login(national_admin)
    response = client.post("/api/v1/registry/persons", TAKEOVER, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["outcome"] == "UPDATED"
