"""The registry API: strict types (no number read as text, no text or float read as money) and the search by body."""

import json

import pytest

from betang.core.audit import AuditEvent
from betang.registry.models import Enterprise, Household, Person
from tests.aid.conftest import VILLAGE_A, household

pytestmark = pytest.mark.django_db

UMKM = {"name": "Kerupuk Ikan Sei Pasah", "region_code": VILLAGE_A, "owner_name": "Siti", "capital": 5_000_000}


@pytest.fixture
def api(client, national_admin):
    client.force_login(national_admin)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def rows() -> tuple[int, int, int, int]:
    return Enterprise.objects.count(), Household.objects.count(), Person.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capital", True),
        ("capital", "5000000"),
        ("capital", 5000000.0),
        ("capital", -1),
        ("capital", 2**70),
        ("annual_turnover", "1.000"),
        ("is_joint", "yes"),
        ("name", 12345),
        ("region_code", 62),
    ],
)
def test_an_organisation_with_a_loose_type_is_a_422_and_writes_nothing(api, field, value):
    before = rows()
    response = post(api, "/api/v1/registry/enterprises", UMKM | {field: value})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert rows() == before


def test_an_organisation_with_integer_money_is_saved(api):
    response = post(api, "/api/v1/registry/enterprises", UMKM)
    assert response.status_code == 201, response.json()
    assert Enterprise.objects.get().capital == 5_000_000


@pytest.mark.parametrize(("field", "value"), [("nik", 6203010101000001), ("kk", 6203010101200001), ("decile", "3")])
def test_a_person_with_a_number_for_an_identifier_is_a_422(api, field, value):
    before = rows()
    person = {"nik": "6203010101000001", "name": "Budi", "birth_date": "1980-01-01", "sex": "L"}
    person |= {"kk": "6203010101200001", "region_code": VILLAGE_A, field: value}
    response = post(api, "/api/v1/registry/persons", person)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert rows() == before


@pytest.mark.parametrize("decile", ["²", "٣", "99999999999999999999999", "0", "x"])
def test_a_decile_that_is_not_one_to_ten_is_a_422(api, decile):
    response = api.get("/api/v1/registry/households", {"decile": decile})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_a_nik_in_the_get_query_is_refused_and_the_post_search_finds_it(api):
    home = household(VILLAGE_A, 3, n=7)
    nik = home.person_set.order_by("nik").first().nik if hasattr(home, "person_set") else None
    nik = nik or Person.objects.filter(household=home).order_by("nik").first().nik
    refused = api.get("/api/v1/registry/households", {"q": nik})
    assert refused.status_code == 400
    assert refused.json()["code"] == "registry.identifier_in_query"
    found = post(api, "/api/v1/registry/households/search", {"q": nik})
    assert found.status_code == 200
    assert [h["id"] for h in found.json()["items"]] == [str(home.pk)]
    assert nik not in found.content.decode()
    by_name = api.get("/api/v1/registry/households", {"q": "Warga 7", "decile": 3})
    assert [h["id"] for h in by_name.json()["items"]] == [str(home.pk)]


def test_the_post_search_refuses_a_decile_as_text(api):
    response = post(api, "/api/v1/registry/households/search", {"decile": "3"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_an_unknown_field_is_refused_not_ignored(api):
    before = rows()
    response = post(api, "/api/v1/registry/enterprises", UMKM | {"capitall": 5_000_000})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert rows() == before


def test_a_search_is_paged_in_sql_and_a_page_beyond_bounds_is_a_422(api, django_assert_max_num_queries):
    for n in range(55):
        household(VILLAGE_A, 2, members=1, n=100 + n)
    with django_assert_max_num_queries(6):  # session, user, count, the page: not one query per household
        second = api.get("/api/v1/registry/households", {"page": 2, "village": VILLAGE_A})
    assert second.status_code == 200
    assert second.json()["count"] == 55
    assert len(second.json()["items"]) == 5
    assert second.json()["items"][0]["kk_masked"].startswith("6203")
    for page in (10**7, 0):
        refused = api.get("/api/v1/registry/households", {"page": page})
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request")
    assert api.get("/api/v1/registry/cooperatives", {"page_size": 101}).status_code == 422
