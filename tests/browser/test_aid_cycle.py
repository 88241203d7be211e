"""Maker-checker in real Chromium: the provincial officer drafts and submits a cycle, another officer
approves it, the maker credits it and watches it finish; then a card is blocked on its page."""

import pytest
from django.test import override_settings

from betang.aid.models import Card, Cycle
from tests.aid.conftest import build_world
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, username: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/masuk/?next={next_path}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}{next_path}")


@pytest.fixture
def world(committed_regions, make_user):
    return build_world(make_user)


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_a_cycle_from_draft_to_credited_by_two_officers(page, live_server, world, artifacts):
    base, program = live_server.url, f"/bantuan/program/{world.program.code}/"
    sign_in(page, base, "maker", program)
    page.get_by_test_id("draft-cycle").click()
    page.wait_for_url(f"{base}{program}siklus/2/")
    page.get_by_test_id("submit-cycle").click()
    assert page.get_by_test_id("cycle-status").inner_text() == "diajukan"
    assert page.get_by_test_id("approve-cycle").count() == 0

    sign_in(page, base, "checker", f"{program}siklus/2/")
    page.get_by_test_id("approve-cycle").click()
    assert page.get_by_test_id("cycle-status").inner_text() == "disetujui"

    sign_in(page, base, "maker", f"{program}siklus/2/")
    page.get_by_test_id("credit-cycle").click()
    page.get_by_test_id("cycle-status").filter(has_text="disalurkan").wait_for()
    page.screenshot(path=str(artifacts / "aid-cycle-credited.png"), full_page=True)
    assert Cycle.objects.get(number=2).status == "CREDITED"

    page.goto(f"{base}/bantuan/kartu/{world.card.pk}/")
    assert "Rp300.000" in page.get_by_test_id("wallets").inner_text()  # two cycles of the food pocket
    page.get_by_placeholder("Alasan (hilang, dicuri, disalahgunakan)").fill("hilang di pasar")
    page.get_by_test_id("block-card").click()
    assert page.get_by_test_id("card-status").inner_text() == "diblokir"
    assert Card.objects.get(pk=world.card.pk).status == "BLOCKED"


def test_the_rule_is_changed_and_an_enrolment_ended_on_the_pages(page, live_server, world, artifacts):
    from betang.aid.models import Enrolment, RuleChange

    base, program = live_server.url, f"/bantuan/program/{world.program.code}/"
    sign_in(page, base, "maker", program)
    page.get_by_text("Ubah aturan kelayakan").click()
    page.get_by_label("Desil DTSEN tertinggi (kosong: semua)").fill("3")
    page.get_by_label("Alasan perubahan aturan").fill("SK perubahan 2026")
    page.get_by_role("button", name="Simpan aturan").click()
    page.get_by_test_id("rule").filter(has_text="≤ 3").wait_for()
    assert RuleChange.objects.filter(program=world.program).count() == 2

    page.get_by_test_id("enrolments-link").click()
    page.wait_for_url(f"{base}{program}peserta/")
    assert page.get_by_test_id("enrolments").locator("tbody tr").count() == 3
    page.get_by_placeholder("Nama, NIK atau nomor KK").fill(world.poor[2].kk_number)
    page.get_by_role("button", name="Cari").click()
    page.wait_for_url("**/peserta/?s=*")  # the KK searched is kept in the session, not in the address
    assert world.poor[2].kk_number not in page.url
    rows = page.get_by_test_id("enrolments").locator("tbody tr")
    assert rows.count() == 1
    rows.get_by_text("Akhiri", exact=True).click()
    rows.get_by_placeholder("Alasan (mis. pindah ke luar provinsi)").fill("pindah ke Banjarmasin")
    rows.get_by_role("button", name="Akhiri kepesertaan").click()
    page.get_by_text("Kepesertaan berakhir").wait_for()
    page.screenshot(path=str(artifacts / "aid-enrolment-ended.png"), full_page=True)
    assert Enrolment.objects.get(household=world.poor[2]).status == "ENDED"
