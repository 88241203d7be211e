"""The input guard on pages: a control character in a form field or a query is a 400 plain Indonesian page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def refused(response) -> str:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "karakter kendali" in page  # Indonesian first
    return page


def test_a_nul_in_a_login_form_field_is_refused_before_authentication(client):
    refused(client.post("/masuk/", {"username": "adm\x00in", "password": "x"}))


def test_a_control_character_in_a_search_is_refused_and_tab_is_not(client, national_admin):
    client.force_login(national_admin)
    refused(client.get("/pendataan/rumah-tangga/", {"q": "Budi\x1b"}))
    assert client.get("/pendataan/rumah-tangga/", {"q": "Budi\tSanto"}).status_code == 200


def test_a_nul_in_a_multipart_field_beside_an_upload_is_refused(client, national_admin):
    client.force_login(national_admin)
    upload = SimpleUploadedFile("rumah-tangga.csv", b"nik\n", content_type="text/csv")
    refused(client.post("/pendataan/impor/", {"kind": "house\x00holds", "file": upload}))


def test_the_page_speaks_english_when_english_was_picked(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/masuk/", {"next": "/\x00"})
    assert response.status_code == 400
    assert "control character" in response.content.decode()
    assert 'lang="en"' in response.content.decode()
