"""Bahasa Indonesia by default, English when chosen; every interface string translated."""

from pathlib import Path

from babel.messages.pofile import read_po
from django.urls import reverse

import betang

PO = Path(betang.__file__).parent / "locale" / "id" / "LC_MESSAGES" / "django.po"


def test_indonesian_is_the_default_even_for_an_english_browser(client):
    page = client.get(reverse("accounts:login"), headers={"Accept-Language": "en-US,en"})
    assert page["Content-Language"] == "id"
    assert "Masuk" in page.content.decode()


def test_english_can_be_chosen_and_back(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/masuk/"})
    assert "Sign in" in client.get(reverse("accounts:login")).content.decode()
    client.post(reverse("set_language"), {"language": "id", "next": "/masuk/"})
    assert "Masuk" in client.get(reverse("accounts:login")).content.decode()


def test_every_message_has_an_indonesian_translation():
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="id")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalog_is_newer_than_the_source():
    assert PO.with_suffix(".mo").stat().st_mtime >= PO.stat().st_mtime - 1


def test_pages_are_phone_friendly_and_load_no_cdn_assets(client, national_admin):
    client.force_login(national_admin)
    page = client.get(reverse("accounts:home")).content.decode()
    assert 'name="viewport"' in page
    assert "https://" not in page.split("<footer")[0]
    assert "/static/vendor/htmx/htmx.min" in page
