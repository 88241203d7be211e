"""Large exports run as tasks: the request answers at once with a progress page, the file is made in
the background, masked as the page would mask it, and only the user who asked downloads it (audited)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from betang.core.models import AuditEvent, ExportFile
from tests.registry.conftest import FAMILY, csv_bytes

pytestmark = pytest.mark.django_db

BAD_DATE = ["6203015203900015", "Rina Wati", "31/02/1990", "P", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""]
BAD_SEX = ["6203015203900016", "Rini Wati", "01/02/1990", "X", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""]


@pytest.fixture
def small_limit(settings, tmp_path):
    settings.EXPORT_TASK_ROWS = 2
    settings.MEDIA_ROOT = tmp_path / "media"


def _rows(content: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def test_a_small_household_export_is_answered_at_once(client, kapuas_officer, run_import):
    run_import(csv_bytes(FAMILY))
    client.force_login(kapuas_officer)
    answer = client.get(reverse("registry:households"), {"format": "xlsx"})
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(_rows(answer.content)) == 4
    assert not ExportFile.objects.exists()


def test_a_large_household_export_runs_as_a_task_and_only_its_asker_downloads_it(
    client, make_user, kapuas_officer, run_import, small_limit
):
    run_import(csv_bytes(FAMILY))
    reader = make_user(role="COOPERATIVE_OPERATOR", scope="62.03", username="pengurus")  # no registry.full_nik
    client.force_login(kapuas_officer)
    answer = client.get(reverse("registry:households"), {"format": "xlsx"})
    export = ExportFile.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("web_task_progress", args=[export.task_id])
    assert (export.created_by, export.rows, export.params) == (kapuas_officer, 3, {})  # the search forgotten

    page = client.get(answer["Location"]).content.decode()
    link = reverse("web_export_download", args=[export.pk])
    assert link in page
    assert "Unduh berkas" in page
    download = client.get(link)
    table = _rows(b"".join(download.streaming_content))
    assert table[0][:2] == ["No KK", "NIK"]
    assert sorted(r[1] for r in table[1:]) == sorted(r[0] for r in FAMILY)  # full: the officer holds full_nik
    event = AuditEvent.objects.get(event="core.export.downloaded")
    assert (event.actor, event.object_id, event.changes["rows"]) == (kapuas_officer, str(export.pk), [None, 3])

    client.force_login(reader)
    assert client.get(link).status_code == 404
    assert link not in client.get(answer["Location"]).content.decode()


def test_a_large_household_export_is_masked_for_a_role_without_full_nik(client, make_user, run_import, small_limit):
    run_import(csv_bytes(FAMILY))
    operator = make_user(role="COOPERATIVE_OPERATOR", scope="62.03", username="pengurus")
    client.force_login(operator)
    client.get(reverse("registry:households"), {"format": "xlsx"})
    export = ExportFile.objects.get()
    assert export.full_identifiers is False
    table = _rows(b"".join(client.get(reverse("web_export_download", args=[export.pk])).streaming_content))
    assert {r[0] for r in table[1:]} == {"6203••••••••0001"}
    assert sorted(r[1] for r in table[1:]) == sorted(r[0][:4] + "•" * 8 + r[0][12:] for r in FAMILY)


def test_a_large_rejects_file_runs_as_a_task_masked_without_full_nik(client, make_user, run_import, small_limit):
    batch, counts = run_import(csv_bytes([*FAMILY, BAD_DATE, BAD_SEX, [*BAD_DATE[:1], "", *BAD_DATE[2:]]]))
    assert counts["REJECTED"] == 3
    batch.scope_region_code = "62.03"
    batch.save(update_fields=["scope_region_code"])
    reader = make_user(role="COOPERATIVE_OPERATOR", scope="62.03", username="pengurus")
    client.force_login(reader)
    answer = client.get(reverse("registry:import_rejects", args=[batch.pk]))
    assert answer.status_code == 302
    export = ExportFile.objects.get()
    assert (export.kind, export.rows, export.full_identifiers) == ("registry.rejects", 3, False)
    table = _rows(b"".join(client.get(reverse("web_export_download", args=[export.pk])).streaming_content))
    assert [r[0] for r in table[1:]] == ["6203••••••••0015", "6203••••••••0016", "6203••••••••0015"]
