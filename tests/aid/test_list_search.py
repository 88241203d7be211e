"""Aid lists searched by card number or KK: the number never travels in a URL."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_card_number_search_redirects_to_a_token_and_finds_the_card(client, world):
    client.force_login(world.maker)
    url = reverse("aid:cards")
    answer = client.post(url, {"q": world.card.number, "status": ""})
    assert re.fullmatch(re.escape(url) + r"\?s=[\w-]+", answer["Location"])
    page = client.get(answer["Location"]).content.decode()
    assert world.card.number[12:] in page
    assert reverse("aid:card", args=[world.card.pk]) in page


def test_last_digits_stay_a_plain_query(client, world):
    client.force_login(world.maker)
    answer = client.post(reverse("aid:cards"), {"q": world.card.number[-4:]})
    assert answer["Location"].endswith(f"?q={world.card.number[-4:]}")


def test_an_enrolment_search_by_kk_redirects_to_a_token(client, world):
    client.force_login(world.maker)
    url = reverse("aid:enrolments", args=[world.program.code])
    household = world.poor[1]
    answer = client.post(url, {"q": household.kk_number})
    assert household.kk_number not in answer["Location"]
    assert "?s=" in answer["Location"]
    page = client.get(answer["Location"]).content.decode()
    assert str(household.pk) in page or household.kk_number[-4:] in page
    keyless = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "", page
    )  # keys may be all digits
    assert not re.search(r'href="[^"]*\d{10,}', keyless)
