"""A newcomer's import in real Chromium: upload a messy XLSX, watch it finish, download the rejected
rows, fix one, upload that file, and end with the right counts."""

import io

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from betang.demo.registry_data import messy_household_sample
from betang.registry.models import Person
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def counts_on(page) -> dict[str, str]:
    cells = page.get_by_test_id("import-counts").locator("a").all_inner_texts()
    return {text.split("\n", 1)[1].strip(): text.split("\n", 1)[0].strip() for text in cells}


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_upload_fix_and_reupload(page, live_server, committed_regions, kapuas_officer, tmp_path, artifacts, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    messy = tmp_path / "data-desa.xlsx"
    messy.write_bytes(messy_household_sample())

    page.goto(f"{live_server.url}/masuk/?next=/pendataan/impor/")
    page.get_by_label("Nama pengguna").fill("kab.kapuas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{live_server.url}/pendataan/impor/")

    page.get_by_label("Isi berkas").select_option("households")
    page.get_by_label("Berkas CSV atau XLSX").set_input_files(str(messy))
    page.get_by_role("button", name="Unggah dan impor").click()
    page.locator("[data-status=DONE]").wait_for(timeout=30_000)
    first = counts_on(page)
    assert first == {
        "baru": "3",
        "diperbarui": "0",
        "tidak berubah": "0",
        "ditolak": "3",
        "ditahan: kemungkinan ganda": "1",
    }
    assert page.get_by_text("Nama kosong.").is_visible()
    page.screenshot(path=str(artifacts / "registry-import.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("download-rejects").click()
    rejects = tmp_path / "ditolak.xlsx"
    download.value.save_as(rejects)
    book = load_workbook(rejects)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[-3:] == ["Alasan", "Kode alasan", "Baris di berkas unggahan"]
    by_code = {row[header.index("Kode alasan")].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(by_code) == {"nik.scientific", "name.missing", "village.unknown"}
    by_code["name.missing"][header.index("Nama Lengkap")].value = "Putri Santoso"  # the officer fixes one
    out = io.BytesIO()
    book.save(out)
    fixed = tmp_path / "ditolak-diperbaiki.xlsx"
    fixed.write_bytes(out.getvalue())

    page.goto(f"{live_server.url}/pendataan/impor/")
    page.get_by_label("Isi berkas").select_option("households")
    page.get_by_label("Berkas CSV atau XLSX").set_input_files(str(fixed))
    page.get_by_role("button", name="Unggah dan impor").click()
    page.locator("[data-status=DONE]").wait_for(timeout=30_000)
    assert counts_on(page) == {
        "baru": "1",
        "diperbarui": "0",
        "tidak berubah": "0",
        "ditolak": "2",
        "ditahan: kemungkinan ganda": "0",
    }
    assert Person.objects.filter(name="Putri Santoso").exists()
    assert Person.objects.count() == 5
