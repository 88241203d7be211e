"""Households in real Chromium: a NIK search keeps the NIK out of the address; a large export is made in
the background and offered on the task's page."""

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from openpyxl import load_workbook

from betang.registry.imports.run import import_run
from betang.registry.services.imports import import_batch_create
from tests.conftest import NOW
from tests.factories.accounts import PASSWORD
from tests.registry.conftest import FAMILY, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nik_search_keeps_the_nik_out_of_the_address(
    page, live_server, committed_regions, kapuas_officer, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    batch = import_batch_create(
        kind="households", file=ContentFile(csv_bytes(FAMILY), name="k.csv"), original_name="k.csv",
        actor=None, occurred_at=NOW, queue=False,
    )  # fmt: skip
    import_run(batch, occurred_at=NOW)
    nik = FAMILY[1][0]

    page.goto(f"{live_server.url}/masuk/?next=/pendataan/rumah-tangga/")
    page.get_by_label("Nama pengguna").fill("kab.kapuas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_placeholder("Nama, NIK atau nomor KK").fill(nik)
    page.get_by_role("button", name="Cari").click()
    page.wait_for_url("**/rumah-tangga/?s=*")
    assert nik not in page.url
    assert page.get_by_role("cell", name="Budi Santoso").count() == 1
    assert page.get_by_placeholder("Nama, NIK atau nomor KK").input_value() == nik
    assert all(nik not in (a.get_attribute("href") or "") for a in page.locator("a").all())


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}, EXPORT_TASK_ROWS=2
)
def test_a_large_export_is_offered_on_the_task_page(
    page, live_server, committed_regions, kapuas_officer, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    batch = import_batch_create(
        kind="households", file=ContentFile(csv_bytes(FAMILY), name="k.csv"), original_name="k.csv",
        actor=None, occurred_at=NOW, queue=False,
    )  # fmt: skip
    import_run(batch, occurred_at=NOW)

    page.goto(f"{live_server.url}/masuk/?next=/pendataan/rumah-tangga/")
    page.get_by_label("Nama pengguna").fill("kab.kapuas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="XLSX").click()
    page.wait_for_url("**/tugas/*/")
    assert page.get_by_text("Berkasnya besar").count() == 1
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    path = tmp_path / "rumah-tangga.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename == "rumah-tangga.xlsx"
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(FAMILY)
