"""Smoke test in real Chromium: sign in, open the region browser, drill down, search a village."""

import pytest

from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_signs_in_and_browses_regions(page, live_server, committed_regions, kapuas_officer, artifacts):
    page.goto(f"{live_server.url}/wilayah/")
    page.get_by_label("Nama pengguna").fill("kab.kapuas")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()

    page.wait_for_url(f"{live_server.url}/wilayah/62/")
    assert page.get_by_role("link", name="Kabupaten Kapuas").is_visible()
    assert page.get_by_text("Kota Palangkaraya").count() == 0

    page.get_by_role("link", name="Kabupaten Kapuas").click()
    page.wait_for_url(f"{live_server.url}/wilayah/62.03/")
    page.get_by_role("searchbox").fill("sei pasah")
    results = page.get_by_test_id("search-results")
    results.wait_for()
    assert "62.03.02.1005" in results.inner_text()
    page.screenshot(path=str(artifacts / "region-browser.png"), full_page=True)


def test_language_switch_in_the_browser(page, live_server, committed_regions, kapuas_officer):
    page.goto(f"{live_server.url}/masuk/")
    assert page.get_by_role("button", name="Masuk").is_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Sign in").is_visible()
