"""Every API error, whatever broke (a NUL, a huge body, bad JSON, a wrong path or method), is {code, message, details}."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def shaped(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.fixture
def api(client, national_admin):
    client.force_login(national_admin)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/regions/villages?q=%00",
        "/api/v1/regions/villages?q=Anjir%1f",
        "/api/v1/registry/households?q=Budi%00",
        "/api/v1/registry/cooperatives?village=62%00",
        "/api/v1/regions/62%00",
    ],
)
def test_a_control_character_in_a_query_or_path_is_a_400(api, path):
    shaped(api.get(path), 400, "invalid_input")


def test_a_nul_in_a_json_field_is_a_400_before_any_query(api):
    body = {"nik": "6203010101000001\u0000", "name": "Budi", "birth_date": "1980-01-01", "sex": "L"}
    body |= {"kk": "6203010101200001", "region_code": "62.03.01.1006"}
    response = api.post("/api/v1/registry/persons", json.dumps(body), content_type="application/json")
    assert shaped(response, 400, "invalid_input")["details"] == {"field": "body"}


def test_tab_and_newline_in_a_json_field_are_not_control_characters_refused(api):
    response = api.post(
        "/api/v1/registry/households/search", json.dumps({"q": "Budi\tSanto\n"}), content_type="application/json"
    )
    assert response.status_code == 200


def test_a_ten_megabyte_body_is_a_413_with_the_shape(api):
    huge = json.dumps({"q": "x" * (10 * 1024 * 1024)})
    shaped(
        api.post("/api/v1/registry/households/search", huge, content_type="application/json"),
        413,
        "request_too_large",
    )


def test_malformed_json_and_a_wrong_content_type_have_their_own_codes(api):
    url = "/api/v1/registry/households/search"
    shaped(api.post(url, '{"q": "Budi"', content_type="application/json"), 400, "invalid_json")
    shaped(api.post(url, "q=Budi", content_type="text/plain"), 415, "unsupported_media_type")


def test_an_unknown_api_path_and_a_wrong_method_keep_the_shape(api):
    shaped(api.get("/api/v1/nothing-here/at/all"), 404, "not_found")
    wrong = shaped(api.delete("/api/v1/health"), 405, "method_not_allowed")
    assert wrong["details"] == {"allowed": ["GET"]}


def test_a_session_post_without_csrf_is_refused_with_the_shape(national_admin):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(national_admin)
    response = strict.post("/api/v1/registry/households/search", "{}", content_type="application/json")
    assert response.status_code in {401, 403}
    assert set(response.json()) == {"code", "message", "details"}


def test_json_nested_beyond_the_stack_is_invalid_json_not_a_500(api):
    deep = "[" * 100_000 + "]" * 100_000
    shaped(api.post("/api/v1/registry/households/search", deep, content_type="application/json"), 400, "invalid_json")
    nested = '{"q": ' + "[" * 990 + "]" * 990 + "}"
    response = api.post("/api/v1/registry/households/search", nested, content_type="application/json")
    assert response.status_code in {400, 422}
    assert set(response.json()) == {"code", "message", "details"}


def test_a_nul_in_a_bearer_token_or_a_session_cookie_is_a_400_before_any_query(client):
    bad_token = client.get("/api/v1/regions/62", HTTP_AUTHORIZATION="Bearer btg_ab\x00cd_secret")
    assert shaped(bad_token, 400, "invalid_input")["details"] == {"field": "header Authorization"}
    bad_cookie = client.get("/api/v1/regions/62", HTTP_COOKIE="sessionid=abcdefgh\x00ijkl")
    assert shaped(bad_cookie, 400, "invalid_input")["details"] == {"field": "header Cookie"}
