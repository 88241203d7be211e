"""Indonesian throughout: the admin, the registry's amounts and reasons read in Indonesian."""

import pytest

from betang.registry.models import Enterprise
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_admin_is_betangs_in_indonesian(client, national_admin):
    client.force_login(national_admin)
    page = client.get("/admin/").content.decode()
    assert "Administrasi Betang" in page
    assert "Django" not in page.split("<body", 1)[1]
    for english in ("Tasks Database Backend", "Axes", ">Core<"):
        assert english not in page


def test_umkm_amounts_read_as_rupiah_on_the_page_and_stay_numbers_in_the_file(client, kapuas_officer):
    Enterprise.objects.create(
        name="Keripik Bu Siti",
        name_key="keripik bu siti",
        region_code="62.03.01.1006",
        capital=1_500_000_000,
        annual_turnover=2_250_000_000,
        scale=Enterprise.Scale.SMALL,
        created_at=NOW,
        updated_at=NOW,
    )
    client.force_login(kapuas_officer)
    page = client.get("/pendataan/umkm/").content.decode()
    assert "Rp1.500.000.000" in page
    assert "1500000000" not in page
    detail = client.get(f"/pendataan/umkm/{Enterprise.objects.get().pk}/").content.decode()
    assert "Rp2.250.000.000" in detail


def test_a_duplicates_reason_reads_in_indonesian(client, kapuas_officer, run_import):
    from tests.registry.conftest import FAMILY, TYPO, csv_bytes

    run_import(csv_bytes(FAMILY), actor=kapuas_officer)
    run_import(csv_bytes(TYPO), actor=kapuas_officer)
    client.force_login(kapuas_officer)
    page = client.get("/pendataan/duplikat/").content.decode()
    assert "KK sama, tanggal lahir sama, nama mirip" in page
    assert "same family card" not in page


def test_an_import_with_held_rows_leads_to_their_review(client, kapuas_officer, run_import):
    from tests.registry.conftest import FAMILY, TYPO, csv_bytes

    run_import(csv_bytes(FAMILY), actor=kapuas_officer)
    batch, _ = run_import(csv_bytes(TYPO), actor=kapuas_officer)
    client.force_login(kapuas_officer)
    page = client.get(f"/pendataan/impor/{batch.pk}/").content.decode()
    assert 'data-testid="review-held"' in page
    assert "/pendataan/duplikat/" in page
