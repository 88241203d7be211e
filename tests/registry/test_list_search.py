"""List pages searched by NIK or KK: the number never travels in a URL nor lands in an audit event."""

import re

import pytest
from django.urls import reverse

from betang.core.models import AuditEvent
from tests.registry.conftest import FAMILY, csv_bytes

pytestmark = pytest.mark.django_db

NIK = FAMILY[0][0]
KK = FAMILY[0][4]
LONG = re.compile(r"\d{10,}")
UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)  # a row's key: hex, may be all digits


@pytest.fixture
def officer(client, kapuas_officer, run_import):
    run_import(csv_bytes(FAMILY))
    client.force_login(kapuas_officer)
    return kapuas_officer


def _links(page: str) -> list[str]:
    """The page's links, rows' keys left out (a time-ordered key can hold ten digits in a row)."""
    return [UUID.sub("", link) for link in re.findall(r'(?:href|action)="([^"]*)"', page)]


@pytest.mark.parametrize("number", [NIK, KK, "6203 0101 0120 0001"])
def test_a_household_search_by_nik_or_kk_redirects_to_a_token(client, officer, number):
    url = reverse("registry:households")
    answer = client.post(url, {"q": number, "village": "", "decile": ""})
    assert answer.status_code == 302
    assert re.fullmatch(re.escape(url) + r"\?s=[\w-]+", answer["Location"])
    page = client.get(answer["Location"]).content.decode()
    assert "Budi Santoso" in page
    assert not [link for link in _links(page) if LONG.search(link)]


def test_a_nik_typed_into_the_address_leaves_it(client, officer):
    answer = client.get(reverse("registry:households"), {"q": NIK})
    assert answer.status_code == 302
    assert NIK not in answer["Location"]
    assert "Budi Santoso" in client.get(answer["Location"]).content.decode()


def test_a_name_search_stays_a_plain_query_that_can_be_shared(client, officer):
    url = reverse("registry:households")
    answer = client.post(url, {"q": "Budi", "village": "62.03", "decile": ""})
    assert answer["Location"] == f"{url}?q=Budi&village=62.03"
    assert "Budi Santoso" in client.get(answer["Location"]).content.decode()


def test_an_unknown_token_finds_the_whole_list_not_an_error(client, officer):
    page = client.get(reverse("registry:households"), {"s": "tidak-ada"})
    assert page.status_code == 200
    assert "Budi Santoso" in page.content.decode()


def test_the_export_of_a_nik_search_records_it_masked(client, officer):
    location = client.post(reverse("registry:households"), {"q": NIK})["Location"]
    export = client.get(location + "&format=xlsx")
    assert export.status_code == 200
    event = AuditEvent.objects.get(event="registry.households.exported")
    assert NIK not in str(event.changes)
    assert event.changes["filters"][1] == {"q": NIK[:4] + "•" * 12}


def test_another_sessions_token_finds_nothing_of_this_search(client, officer, make_user):
    from django.test import Client

    location = client.post(reverse("registry:households"), {"q": "Budi Santoso 6203011203800003"})["Location"]
    stranger = Client()
    stranger.force_login(make_user(role="REGENCY_OFFICER", scope="62.03", username="lain"))
    page = stranger.get(location).content.decode()
    assert 'value="Budi Santoso 6203011203800003"' not in page
