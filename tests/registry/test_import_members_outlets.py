"""Importing a cooperative's members (persons by NIK, with roles and terms) and its outlets (gerai)."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from betang.core.models import AuditEvent
from betang.registry.models import Cooperative, CooperativeMember, ImportBatch, Outlet, Person
from betang.registry.selectors import cooperative_of_staff
from betang.registry.services.staff import NotCooperativeStaff, cooperative_staff_assign
from tests.registry.conftest import FAMILY, csv_bytes, outcomes, reasons

pytestmark = pytest.mark.django_db

COOP_HEADERS = ["Nama Koperasi", "Jenis", "Kode Desa", "Nomor Badan Hukum"]
COOPS = [
    ["KDMP Murung Keramat", "KDMP", "62.03.01.1006", "AHU-0002.AH.01.29.TAHUN 2025"],
    ["Koperasi Nelayan Murung Keramat", "Lainnya", "62.03.01.1006", ""],
    ["KDMP Selat Hilir", "KDMP", "62.03.01.1007", ""],
]
MEMBER_HEADERS = ["Nomor Badan Hukum Koperasi", "Kode Desa Koperasi", "Nama Koperasi", "NIK", "Nama Lengkap", "Jabatan"]


@pytest.fixture
def coops(run_import):
    _, counts = run_import(csv_bytes(COOPS, headers=COOP_HEADERS), kind="cooperatives")
    assert counts["CREATED"] == 3


def test_members_by_nik_join_their_cooperative_with_roles(run_import, coops):
    run_import(csv_bytes(FAMILY))  # Budi and Siti live in 62.03.01.1006
    rows = [
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", FAMILY[0][0], "Budi Santoso", "Ketua"],
        ["", "62.03.01.1007", "", FAMILY[1][0], "Siti Aminah", ""],  # the only cooperative of 1007
        ["", "62.03.01.1006", "KDMP Murung Keramat", "6203014707900004", "Rina Wati", "Bendahara"],  # new person
        ["", "62.03.01.1006", "", "6203014707900005", "Dewi Lestari", ""],  # two cooperatives there
        ["AHU-9999", "", "", "6203014707900006", "Nur Aini", ""],  # unknown legal number
        ["", "", "", "6203014707900007", "Tanpa Koperasi", ""],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", FAMILY[0][0], "Joko Widodo", ""],  # NIK of someone else
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900008", "Yanti", "Bupati"],  # unknown role
    ]
    batch, _ = run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    assert outcomes(batch) == {
        2: "CREATED",
        3: "CREATED",
        4: "CREATED",
        5: "REJECTED",
        6: "REJECTED",
        7: "REJECTED",
        8: "REJECTED",
        9: "REJECTED",
    }
    assert reasons(batch) == {
        3: "member.domicile",  # Siti lives in 1006, Selat Hilir's KDMP is 1007: kept, with a warning
        5: "cooperative.ambiguous",
        6: "cooperative.not_found",
        7: "cooperative.missing",
        8: "nik.conflict",
        9: "member.role",
    }
    budi = CooperativeMember.objects.get(person__nik=FAMILY[0][0])
    assert (budi.cooperative.name, budi.role) == ("KDMP Murung Keramat", "CHAIR")
    rina = Person.objects.get(nik="6203014707900004")  # made from the NIK: born 7 July 1990, a woman
    assert (rina.birth_date.isoformat(), rina.sex, rina.region_code, rina.household_id) == (
        "1990-07-07",
        "F",
        "62.03.01.1006",
        None,
    )
    assert CooperativeMember.objects.get(person=rina).role == "TREASURER"


def test_a_member_new_to_the_registry_but_probably_a_registered_person_is_held_for_review(run_import, coops):
    """Budi is registered by the household import; the cooperative's list has him with a mistyped NIK
    (same birth date and sex) and a slightly different name: he joins, and the new person waits in the
    review queue beside the registered one. Two new members alike in one file are caught too."""
    from betang.registry.models import DuplicateCandidate

    run_import(csv_bytes(FAMILY))  # Budi Santoso, born 12-03-1980, 62.03.01.1006
    rows = [
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203011203800009", "Budi Santosa", ""],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900004", "Rina Wati", ""],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900014", "Rina Watie", ""],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203011203800019", "Dodi Prasetyo", ""],  # same block, other name
    ]
    batch, _ = run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    assert outcomes(batch) == {2: "HELD", 3: "CREATED", 4: "HELD", 5: "CREATED"}
    assert reasons(batch) == {2: "duplicate.probable", 4: "duplicate.probable"}
    pairs = set(DuplicateCandidate.objects.values_list("existing__nik", "candidate__nik", "status"))
    assert pairs == {
        (FAMILY[0][0], "6203011203800009", "OPEN"),
        ("6203014707900004", "6203014707900014", "OPEN"),
    }
    held = Person.objects.get(nik="6203011203800009")
    assert held.review == Person.Review.POSSIBLE_DUPLICATE
    assert CooperativeMember.objects.filter(person=held).exists()  # the membership stands meanwhile
    assert Person.objects.get(nik="6203011203800019").review == Person.Review.NONE

    _, counts = run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    assert counts["UNCHANGED"] == 4
    assert DuplicateCandidate.objects.count() == 2  # proposed once


def test_members_reimport_changes_nothing_and_an_empty_role_keeps_the_known_one(run_import, coops):
    rows = [["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900004", "Rina Wati", "Bendahara"]]
    run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    _, counts = run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    assert counts["UNCHANGED"] == 1
    blank_role = [[*rows[0][:5], ""]]
    _, counts = run_import(csv_bytes(blank_role, headers=MEMBER_HEADERS), kind="members")
    assert counts["UNCHANGED"] == 1
    chair = [[*rows[0][:5], "Ketua"]]
    batch, counts = run_import(csv_bytes(chair, headers=MEMBER_HEADERS), kind="members")
    assert counts["UPDATED"] == 1
    assert batch.rows.get().changes == {"member.role": ["TREASURER", "CHAIR"]}
    assert CooperativeMember.objects.get().role == "CHAIR"
    assert Person.objects.count() == 1


def test_members_outside_the_officers_area_are_rejected(run_import, coops, make_user):
    other_regency = make_user(role="REGENCY_OFFICER", scope="62.04", username="kab.lain")
    rows = [
        ["", "62.03.01.1006", "KDMP Murung Keramat", "6203014707900004", "Rina Wati", ""],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900004", "Rina Wati", ""],  # not revealed
    ]
    batch, counts = run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members", actor=other_regency)
    assert counts["REJECTED"] == 2
    assert reasons(batch) == {2: "village.out_of_scope", 3: "cooperative.not_found"}
    assert not CooperativeMember.objects.exists()


OUTLET_HEADERS = ["Kode Desa", "Nama Koperasi", "Nama Gerai", "Jenis Gerai", "Alamat", "Aktif"]


def test_outlets_import_by_cooperative_and_name(run_import, coops):
    rows = [
        ["62.03.01.1006", "KDMP Murung Keramat", "Gerai Sembako Induk", "Sembako", "Jl. Pasar 1", "Ya"],
        ["62.03.01.1006", "KDMP Murung Keramat", "Apotek Desa", "apotek", "", ""],
        ["62.03.01.1007", "", "Gerai Ikan Asin", "Pengolahan ikan", "", "tidak"],
        ["62.03.01.1007", "", "", "Sembako", "", ""],
    ]
    batch, counts = run_import(csv_bytes(rows, headers=OUTLET_HEADERS), kind="outlets")
    assert outcomes(batch) == {2: "CREATED", 3: "CREATED", 4: "CREATED", 5: "REJECTED"}
    assert reasons(batch) == {4: "outlet.kind", 5: "name.missing"}
    ikan = Outlet.objects.get(name="Gerai Ikan Asin")
    assert (ikan.kind, ikan.is_active, ikan.region_code, ikan.cooperative.name) == (
        "LAINNYA",
        False,
        "62.03.01.1007",
        "KDMP Selat Hilir",
    )
    assert Outlet.objects.get(name="Apotek Desa").kind == "APOTEK"

    _, counts = run_import(csv_bytes(rows[:3], headers=OUTLET_HEADERS), kind="outlets")
    assert counts["UNCHANGED"] == 3
    moved = [["62.03.01.1006", "KDMP Murung Keramat", "gerai sembako INDUK", "", "Jl. Pasar 2", ""]]
    batch, counts = run_import(csv_bytes(moved, headers=OUTLET_HEADERS), kind="outlets")
    assert counts["UPDATED"] == 1
    induk = Outlet.objects.get(address="Jl. Pasar 2")
    assert (induk.kind, induk.is_active) == ("SEMBAKO", True)  # empty cells kept what was known
    assert Outlet.objects.count() == 3


def test_cooperative_page_lists_outlets_and_members_with_nik_masked(client, run_import, coops, kapuas_officer):
    rows = [["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900004", "Rina Wati", "Bendahara"]]
    run_import(csv_bytes(rows, headers=MEMBER_HEADERS), kind="members")
    outlet = [["62.03.01.1006", "KDMP Murung Keramat", "Gerai Sembako Induk", "Sembako", "", ""]]
    run_import(csv_bytes(outlet, headers=OUTLET_HEADERS), kind="outlets")
    coop = CooperativeMember.objects.get().cooperative
    client.force_login(kapuas_officer)
    page = client.get(f"/pendataan/koperasi/{coop.pk}/").content.decode()
    assert "Rina Wati" in page
    assert "Gerai Sembako Induk" in page
    assert "6203••••••••0004" in page
    assert "6203014707900004" not in page
    export = client.get(f"/pendataan/koperasi/{coop.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [sheet.cell(2, 1).value, sheet.cell(2, 2).value] == ["6203••••••••0004", "Rina Wati"]
    assert sheet.cell(2, 1).number_format == "@"


def test_binding_staff_sets_their_scope_and_is_audited(coops, make_user, now):
    coop = Cooperative.objects.get(name="KDMP Selat Hilir")
    cashier = make_user(role="CASHIER", scope="62.03", username="kasir.selat")
    cooperative_staff_assign(user=cashier, cooperative=coop, actor=None, occurred_at=now)
    cashier.refresh_from_db()
    assert cashier.scope_region_code == "62.03.01.1007"
    assert cooperative_of_staff(cashier) == coop
    assert AuditEvent.objects.filter(event="registry.cooperative.staff_assigned").count() == 1
    cooperative_staff_assign(user=cashier, cooperative=coop, actor=None, occurred_at=now)  # again: no change
    assert AuditEvent.objects.filter(event="registry.cooperative.staff_assigned").count() == 1
    officer = make_user(role="REGENCY_OFFICER", scope="62.03", username="kab.x")
    with pytest.raises(NotCooperativeStaff):
        cooperative_staff_assign(user=officer, cooperative=coop, actor=None, occurred_at=now)


def test_import_command_takes_members(coops, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "anggota.csv"
    rows = [
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "6203014707900004", "Rina Wati", "Bendahara"],
        ["AHU-0002.AH.01.29.TAHUN 2025", "", "", "12345", "Salah", ""],
    ]
    path.write_bytes(csv_bytes(rows, headers=MEMBER_HEADERS))
    out = io.StringIO()
    call_command("import", "members", str(path), stdout=out)
    assert CooperativeMember.objects.count() == 1
    assert ImportBatch.objects.get(kind="members").counts == {
        "CREATED": 1,
        "UPDATED": 0,
        "UNCHANGED": 0,
        "REJECTED": 1,
        "HELD": 0,
    }


def test_api_adds_members_and_outlets_with_the_import_rules(client, coops, kapuas_officer, palangkaraya_officer):
    coop = Cooperative.objects.get(name="KDMP Murung Keramat")
    client.force_login(kapuas_officer)
    url = f"/api/v1/registry/cooperatives/{coop.pk}"
    member = {"nik": "6203014707900004", "name": "Rina Wati", "role": "bendahara"}
    created = client.post(f"{url}/members", member, content_type="application/json")
    assert created.status_code == 201, created.json()
    again = client.post(f"{url}/members", member, content_type="application/json")
    assert (again.status_code, again.json()["outcome"]) == (200, "UNCHANGED")
    bad = client.post(f"{url}/members", member | {"nik": "62030147"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["issues"][0]["code"].startswith("nik.")
    listed = client.get(f"{url}/members").json()
    assert [(m["nik_masked"], m["role"]) for m in listed] == [("6203••••••••0004", "TREASURER")]
    outlet = client.post(f"{url}/outlets", {"name": "Gerai Sembako"}, content_type="application/json")
    assert outlet.status_code == 201
    assert Outlet.objects.get().region_code == coop.region_code
    assert AuditEvent.objects.filter(event="registry.members.created", region_code=coop.region_code).exists()
    client.force_login(palangkaraya_officer)
    assert client.post(f"{url}/members", member, content_type="application/json").status_code == 404
    assert client.get(f"{url}/members").status_code == 404
