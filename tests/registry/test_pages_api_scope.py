"""Registry pages and API: scope (an officer of one regency sees none of another's), NIK masking with
audited full views, XLSX exports as text, the upload page, and the duplicate review."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from betang.core.models import AuditEvent
from betang.registry.models import Cooperative, CooperativeMember, DuplicateCandidate, Household, ImportBatch, Person
from tests.registry.conftest import FAMILY, TYPO, csv_bytes

pytestmark = pytest.mark.django_db

PALANGKARAYA_FAMILY = [
    [
        "6271015506850001",
        "Dewi Lestari",
        "15/06/1985",
        "P",
        "6271010101210001",
        "Kepala Keluarga",
        "62.71.01.1001",
        "",
        "",
        "3",
    ],
]


@pytest.fixture
def two_regencies(run_import):
    run_import(csv_bytes(FAMILY))
    run_import(csv_bytes(PALANGKARAYA_FAMILY))
    return Household.objects.get(region_code__startswith="62.03."), Household.objects.get(
        region_code__startswith="62.71."
    )


def test_officer_sees_only_their_regencys_households_in_pages(client, kapuas_officer, two_regencies):
    kapuas, palangkaraya = two_regencies
    client.force_login(kapuas_officer)
    page = client.get(reverse("registry:households")).content.decode()
    assert "Budi Santoso" in page
    assert "Dewi Lestari" not in page
    assert client.get(reverse("registry:household_detail", args=[kapuas.pk])).status_code == 200
    assert client.get(reverse("registry:household_detail", args=[palangkaraya.pk])).status_code == 404
    other_person = palangkaraya.members.get()
    assert client.post(reverse("registry:person_full_nik", args=[other_person.pk])).status_code == 404


def test_officer_sees_only_their_regencys_households_in_the_api(client, kapuas_officer, two_regencies):
    kapuas, palangkaraya = two_regencies
    client.force_login(kapuas_officer)
    listed = client.get("/api/v1/registry/households").json()
    assert [h["id"] for h in listed["items"]] == [str(kapuas.pk)]
    assert client.get(f"/api/v1/registry/households/{palangkaraya.pk}").status_code == 404
    assert client.get(f"/api/v1/registry/persons/{palangkaraya.members.get().pk}/nik").status_code == 404


def test_nik_is_masked_and_a_full_view_is_audited(client, kapuas_officer, two_regencies):
    kapuas, _ = two_regencies
    client.force_login(kapuas_officer)
    page = client.get(reverse("registry:household_detail", args=[kapuas.pk])).content.decode()
    assert "6203••••••••0003" in page
    assert "6203011203800003" not in page
    budi = Person.objects.get(nik="6203011203800003")
    shown = client.post(reverse("registry:person_full_nik", args=[budi.pk])).content.decode()
    assert "6203011203800003" in shown
    event = AuditEvent.objects.get(event="registry.person.nik_viewed")
    assert event.actor == kapuas_officer
    assert event.object_id == str(budi.pk)


def test_roles_without_the_need_never_see_a_full_nik(client, make_user, two_regencies):
    operator = make_user(role="COOPERATIVE_OPERATOR", scope="62.03")
    client.force_login(operator)
    budi = Person.objects.get(nik="6203011203800003")
    assert client.post(reverse("registry:person_full_nik", args=[budi.pk])).status_code == 403
    api = client.get(f"/api/v1/registry/persons/{budi.pk}/nik")
    assert api.status_code == 403
    assert api.json()["code"] == "permission_denied"
    detail = client.get(f"/api/v1/registry/households/{budi.household_id}").json()
    assert detail["members"][0]["nik_masked"] == "6203••••••••0003"


def test_household_export_keeps_identifiers_as_text(client, kapuas_officer, two_regencies):
    client.force_login(kapuas_officer)
    response = client.get(reverse("registry:households"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("No KK", "NIK", "Nama Lengkap")
    assert len(rows) == 4  # the three Kapuas members, none from Palangkaraya
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].number_format == "@"
    assert rows[1][1] == "6203011203800003"  # a regency officer may export full numbers (audited)
    assert AuditEvent.objects.filter(event="registry.households.exported").exists()


def test_api_person_save_uses_the_import_rules(client, kapuas_officer):
    client.force_login(kapuas_officer)
    good = {
        "nik": "6203011203800003",
        "name": "Budi Santoso",
        "birth_date": "12-03-1980",
        "sex": "L",
        "kk": "6203010101200001",
        "region_code": "62.03.01.1006",
        "relation": "kepala keluarga",
    }
    created = client.post("/api/v1/registry/persons", good, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["outcome"] == "CREATED"
    again = client.post("/api/v1/registry/persons", good, content_type="application/json")
    assert again.json()["outcome"] == "UNCHANGED"
    bad = client.post("/api/v1/registry/persons", good | {"nik": "6.20301E+15"}, content_type="application/json")
    assert bad.status_code == 422
    assert [i["code"] for i in bad.json()["issues"]] == ["nik.scientific"]
    outside = client.post(
        "/api/v1/registry/persons", good | {"region_code": "62.71.01.1001"}, content_type="application/json"
    )
    assert outside.status_code == 422
    assert "village.out_of_scope" in [i["code"] for i in outside.json()["issues"]]
    assert AuditEvent.objects.filter(event="registry.households.created").count() == 1


def test_api_cooperative_save_and_scope(client, kapuas_officer, palangkaraya_officer):
    client.force_login(kapuas_officer)
    body = {"name": "Koperasi Desa Merah Putih Murung Keramat", "region_code": "62.03.01.1006", "kind": "KDMP"}
    created = client.post("/api/v1/registry/cooperatives", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    coop_id = created.json()["id"]
    assert client.get(f"/api/v1/registry/cooperatives/{coop_id}").json()["details"]["kind"] == "KDMP"
    client.force_login(palangkaraya_officer)
    assert client.get(f"/api/v1/registry/cooperatives/{coop_id}").status_code == 404
    assert client.get("/api/v1/registry/cooperatives").json()["items"] == []


def test_upload_page_keeps_the_file_and_shows_the_outcome(
    client, kapuas_officer, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(kapuas_officer)
    upload = ContentFile(csv_bytes(FAMILY), name="keluarga.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registry:imports"), {"kind": "households", "file": upload})
    batch = ImportBatch.objects.get()
    assert response.url == reverse("registry:import_detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert 'data-status="DONE"' in page
    assert batch.file.read() == csv_bytes(FAMILY)
    assert Person.objects.count() == 3


def test_read_only_roles_cannot_upload(client, make_user):
    auditor = make_user(role="AUDITOR", scope="62")
    client.force_login(auditor)
    response = client.post(reverse("registry:imports"), {"kind": "households", "file": ContentFile(b"x", name="x.csv")})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_merge_keeps_history_and_moves_references(client, kapuas_officer, run_import, now):
    run_import(csv_bytes(FAMILY))
    typo = TYPO
    run_import(csv_bytes(typo))
    pair = DuplicateCandidate.objects.get()
    coop = Cooperative.objects.create(
        region_code="62.03.01.1006",
        name="KDMP Murung Keramat",
        name_key="kdmp murung keramat",
        kind="KDMP",
        created_at=now,
        updated_at=now,
    )
    CooperativeMember.objects.create(cooperative=coop, person=pair.candidate)
    client.force_login(kapuas_officer)
    assert "Budi Santosa" in client.get(reverse("registry:duplicates")).content.decode()
    client.post(reverse("registry:duplicate_decide", args=[pair.pk]), {"decision": "merge"})
    pair.refresh_from_db()
    merged = Person.objects.get(nik="6203011203800009")
    assert pair.status == DuplicateCandidate.Status.MERGED
    assert merged.merged_into == pair.existing  # kept, never deleted
    assert CooperativeMember.objects.get(cooperative=coop).person == pair.existing
    assert AuditEvent.objects.filter(event="registry.person.merged", object_id=str(merged.pk)).exists()
    assert (
        "Budi Santosa"
        not in client.get(reverse("registry:household_detail", args=[merged.household_id])).content.decode()
    )


def test_marked_distinct_is_never_proposed_again(client, kapuas_officer, run_import):
    run_import(csv_bytes(FAMILY))
    typo = TYPO
    run_import(csv_bytes(typo))
    pair = DuplicateCandidate.objects.get()
    client.force_login(kapuas_officer)
    client.post(reverse("registry:duplicate_decide", args=[pair.pk]), {"decision": "distinct"})
    run_import(csv_bytes(typo))  # the same rows again
    assert DuplicateCandidate.objects.count() == 1
    assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.DISTINCT
    assert Person.objects.get(nik="6203011203800009").review == ""


def test_other_regencys_officer_cannot_decide_a_pair(client, palangkaraya_officer, run_import):
    run_import(csv_bytes(FAMILY))
    typo = TYPO
    run_import(csv_bytes(typo))
    pair = DuplicateCandidate.objects.get()
    client.force_login(palangkaraya_officer)
    assert client.post(reverse("registry:duplicate_decide", args=[pair.pk]), {"decision": "merge"}).status_code == 404
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.OPEN


def test_enterprise_scale_is_derived_never_typed(run_import):
    from betang.registry.models import Enterprise
    from betang.registry.services.organisations import enterprise_scale

    assert enterprise_scale(capital=1_000_000_000, annual_turnover=None) == "MICRO"
    assert enterprise_scale(capital=1_000_000_001, annual_turnover=None) == "SMALL"
    assert enterprise_scale(capital=50_000_000, annual_turnover=2_000_000_001) == "SMALL"  # the higher class wins
    assert enterprise_scale(capital=None, annual_turnover=50_000_000_001) == "LARGE"
    assert enterprise_scale(capital=None, annual_turnover=None) == "UNKNOWN"
    headers = ["Nama Usaha", "NIB", "Kode Desa", "Modal Usaha", "Omzet Tahunan", "Skala"]
    rows = [["Kopi Betang", "9120001234567", "62.03.01.1006", "Rp6.000.000.000", "1.000.000", "Mikro"]]
    _, counts = run_import(csv_bytes(rows, headers=headers), kind="enterprises")
    assert counts["CREATED"] == 1
    assert Enterprise.objects.get().scale == "MEDIUM"  # the typed "Mikro" column is ignored


def test_household_page_shows_the_change_history(client, kapuas_officer, run_import):
    run_import(csv_bytes(FAMILY))
    fixed = [["6203011203800003", "Budi Santoso Putra", *FAMILY[0][2:]]]
    run_import(csv_bytes(fixed), name="perbaikan.csv")
    client.force_login(kapuas_officer)
    household = Household.objects.get()
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "perbaikan.csv, baris 2" in page
    assert "Budi Santoso → Budi Santoso Putra" in page
