"""Every demo role walks its menu in real Chromium, at a 390 px phone and a desktop: no page runs off
the screen sideways, no raw code or English word shows on an Indonesian page, and no link in the
menu or the home page's worklist leads to a page the role may not open."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
# Codes and abbreviations that are Indonesian usage, not leaked identifiers.
KNOWN = {
    "NIK", "KK", "UMKM", "BUMDES", "KDMP", "KKMP", "PKH", "DTSEN", "NIB", "KBLI", "PIN", "API", "XLSX", "CSV",
    "PDF", "QR", "WIB", "AHU", "SP2D", "APBD", "PAR", "ODBL", "RP", "KTP", "HP", "BPK", "TPAKD", "SKPD", "OPD",
    "KHBS", "ID", "OK", "BUM", "NPWP", "BLUD", "PUPN", "UPTD", "RT", "RW",
}  # fmt: skip
# A code: UPPER_SNAKE, or a capitalised word standing alone (not inside a reference like SP2D-DEMO-1).
RAW_CODE = re.compile(r"(?<![-\w])(?:[A-Z][A-Z0-9]{2,}(?:_[A-Z0-9]+)+|[A-Z]{4,})(?![-\w])")
ENGLISH = re.compile(
    r"\b(the|and|of|with|for|from|None|True|False|Cooperative|Household|Loan|Settlement|Payment|Cycle|"
    r"credited|redeemed|approved|submitted|pending|Sales|Stock|Report|Change)\b"
)


def _visible_text(page) -> str:
    return page.evaluate(
        """() => { const m = document.querySelector('main'); const h = document.querySelector('header');
        return (h ? h.innerText : '') + '\\n' + (m ? m.innerText : ''); }"""
    )


def _problems(page, width: int) -> list[str]:
    found = []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        found.append(f"{scroll} px wide")
    text = _visible_text(page)
    if "/admin/" in page.url:  # Django's admin capitalises its captions with CSS: no codes there to find
        text = ""
    codes = {c for c in RAW_CODE.findall(text) if c.upper() not in KNOWN}
    if codes:
        found.append(f"codes {sorted(codes)[:8]}")
    english = sorted(set(ENGLISH.findall(text)))
    if english:
        found.append(f"English {english}")
    return found


def test_every_demo_role_walks_its_menu_on_a_phone_and_a_desktop(page, live_server, tmp_path, artifacts):
    with override_settings(VAR_DIR=tmp_path):
        call_command("demo", no_serve=True, households=200)
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    base, report = live_server.url, {}
    for username, password in logins.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.context.clear_cookies()
            page.goto(f"{base}/masuk/")
            page.get_by_label("Nama pengguna").fill(username)
            page.get_by_label("Kata sandi").fill(password)
            page.get_by_role("button", name="Masuk").click()
            page.wait_for_url(f"{base}/")
            links = page.eval_on_selector_all("[data-testid=menu] a", "els => els.map(e => e.getAttribute('href'))")
            work = page.eval_on_selector_all("a[data-count]", "els => els.map(e => e.getAttribute('href'))")
            if username in ("dinas.kalteng", "dana.bergulir"):  # each has work waiting in the demo
                assert work, (username, "an empty worklist")
            for path in ["/", *links]:
                response = page.goto(base + path)
                assert response is not None
                assert response.status < 400, (username, path, response.status)  # never a forbidden link
                if problems := _problems(page, width):
                    report[f"{username} {width}px {path}"] = problems
                    name = path.strip("/").replace("/", "-") or "home"
                    page.screenshot(path=str(artifacts / f"walk-{username}-{width}-{name}.png"), full_page=True)
            for path in work:  # the worklist's pages, opened as the role would
                response = page.goto(base + path)
                assert response is not None
                assert response.status < 400, (username, path, response.status)
                if problems := _problems(page, width):
                    report[f"{username} {width}px {path}"] = problems
                    name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
                    page.screenshot(path=str(artifacts / f"walk-{username}-{width}-{name}.png"), full_page=True)
    (artifacts / "walk-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    assert report == {}
