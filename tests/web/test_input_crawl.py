"""Every page and API GET route, sent hostile input as a logged-in administrator: never a 500.

The URL resolver is walked, so a page added later is crawled too. Each route is asked with a NUL in the
search box (refused with a 400 before any view), and with every common filter set to a non-ASCII digit
(`decile=²`: "²".isdigit() is True but int("²") fails), a number beyond 64 bits and a negative one;
a route's own parameters are a sample value (`x`, a UUID, 1) and then `²`.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

FILTERS = (
    "q",
    "s",
    "decile",
    "page",
    "limit",
    "village",
    "region",
    "status",
    "kind",
    "basis",
    "program",
    "cycle",
    "outlet",
    "cashier",
    "day",
    "date",
    "month",
    "year",
    "from",
    "to",
    "as_of",
    "period",
    "sort",
)
HOSTILE = ("²", "9" * 30, "-1")
SKIP = ("admin/", "static/", "bahasa/", "logout", "keluar")
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_SAMPLE = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "1"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = str(entry.pattern)
        if route.startswith("^"):  # regex patterns: Django's admin only
            continue
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _urls(value: str) -> list[str]:
    urls = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP) or any(s in route for s in SKIP[3:]):
            continue
        urls.append("/" + _CONVERTER.sub(lambda m: _SAMPLE.get(m["conv"] or "str", value), route))
    return sorted(set(urls))


def routes() -> list[str]:
    return _urls("x") + [u for u in _urls("²") if "²" in u]


def test_the_crawl_reaches_pages_and_the_api():
    found = routes()
    assert "/pendataan/rumah-tangga/" in found
    assert "/api/v1/registry/households" in found
    assert len(found) > 60


@pytest.mark.parametrize("url", routes())
def test_no_route_answers_hostile_input_with_a_500(client, national_admin, url):
    client.force_login(national_admin)
    answers = {"q=%00": client.get(url, {"q": "Budi\x00"}).status_code}
    for value in HOSTILE:
        answers[value] = client.get(url, dict.fromkeys(FILTERS, value)).status_code
    assert all(status < 500 for status in answers.values()), answers
    assert answers["q=%00"] in {400, 404, 405} or (answers["q=%00"] < 400 and url.endswith(("/docs", ".json")))
