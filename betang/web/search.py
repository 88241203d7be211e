"""List pages' search filters kept out of URLs when they hold a NIK, KK or card number.

A URL is written to the access log, the browser's history and the Referer of the next request, so a
search for `6203011203800003` must never travel in one. The search form is sent by POST; a search
holding an identifier-like number (ten digits or more) is kept in the session under a random token and
the page answers with a redirect to `?s=<token>`, so paging, filters and export links carry the token
only. Other searches (a name, a region code) redirect to the plain `?q=…` as before, so they can be
bookmarked and shared."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect

SESSION_KEY = "betang.searches"
KEEP = 20  # the latest searches of a session; an older token finds nothing and shows the whole list

# Ten digits or more, spaced, dashed or dotted (`6203 0112 0380 0003`, `6203.0112.0380.0003`); a region
# code in its own dotted shape (`62.03.01.1006`, `62.03`) is none.
_LONG_NUMBER = re.compile(r"\d(?:[\s.\-]*\d){9,}")
_REGION_CODE = re.compile(r"(?<![\d.])\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?(?![\d.])")


def holds_identifier(text: str) -> bool:
    """True when `text` holds a number of ten digits or more: a NIK, a KK or card number, or part of one."""
    return bool(_LONG_NUMBER.search(_REGION_CODE.sub(" ", text or "")))


def mask_search(text: str) -> str:
    """A search text fit for audit events: every long number keeps its first four digits only."""

    def masked(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return digits[:4] + "•" * (len(digits) - 4)

    return _LONG_NUMBER.sub(masked, text or "")


def list_filters(request: HttpRequest, names: Sequence[str]) -> tuple[dict[str, str], HttpResponseRedirect | None]:
    """The page's filters, and a redirect to answer with instead of the page when there is one.

    POST (the search form): redirect to `?s=<token>` or to the plain query. GET `?s=<token>`: the filters
    kept under the token. GET `?q=…` holding an identifier (a bookmark, a link typed by hand): kept
    under a token as well, so the number leaves the address bar and every link of the page."""
    if request.method == "POST":
        return {}, _redirect(request, {n: request.POST.get(n, "").strip() for n in names})
    token = request.GET.get("s", "")
    if token:
        kept = request.session.get(SESSION_KEY, {}).get(token, {})
        return {n: str(kept.get(n, "")) for n in names}, None
    params = {n: request.GET.get(n, "").strip() for n in names}
    if any(holds_identifier(v) for v in params.values()):
        return params, _redirect(request, params)
    return params, None


def _redirect(request: HttpRequest, params: dict[str, str]) -> HttpResponseRedirect:
    if not any(holds_identifier(v) for v in params.values()):
        query = urlencode({k: v for k, v in params.items() if v})
        return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
    token = secrets.token_urlsafe(12)
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = params
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEEP:])
    return HttpResponseRedirect(f"{request.path}?s={token}")


def audit_filters(params: dict[str, str]) -> dict[str, str]:
    """The filters as an audit event records them: set ones only, long numbers masked."""
    return {k: mask_search(v) for k, v in params.items() if v}
