"""Scope on every write: a user of Kapuas (or of Kalimantan Selatan) aiming a write at a row of
Palangkaraya meets 404 (the row is not there for them) or 403 (the program or fund is not theirs to
run), and nothing is stored: no row, no ledger entry, no audit event. The same request by the
administrator then passes the door, so the refusal is the area's and not a wrong address."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from betang.fund.tasks import portfolio_task
from tests.scope.conftest import changed, snapshot
from tests.scope.paths import PATHS, Path

pytestmark = pytest.mark.django_db

# (path, who tries it, what they meet)
ATTEMPTS = [
    # aid: a regency officer runs nothing of a provincial program (403); another province sees no program (404)
    *[
        (name, "kapuas_officer", 403)
        for name in (
            "aid.rule",
            "aid.enrolment.add",
            "aid.enrolment.end",
            "aid.cycle.draft",
            "aid.cycle.submit",
            "aid.cycle.credit",
            "aid.cycle.close",
            "aid.cycle.redraft",
            "aid.cycle.discard",
            "aid.reconcile",
            "aid.settlements.issue",
            "aid.bank_statement",
        )
    ],
    *[
        (name, "kalsel_officer", 404)
        for name in (
            "aid.rule",
            "aid.enrolment.add",
            "aid.enrolment.end",
            "aid.cycle.draft",
            "aid.cycle.submit",
            "aid.cycle.approve",
            "aid.cycle.return",
            "aid.cycle.credit",
            "aid.cycle.close",
            "aid.cycle.redraft",
            "aid.cycle.discard",
            "aid.cards.issue",
            "aid.reconcile",
            "aid.exception.program",
            "aid.card.block",
            "aid.card.unlock",
            "aid.card.reset-pin",
            "aid.card.replace",
            "aid.anomaly.review",
            "aid.settlements.issue",
            "aid.bank_statement",
            "aid.settlement.paid",
        )
    ],
    # aid: Palangkaraya's cards, anomalies, differences and statements do not exist in Kapuas
    *[
        (name, "kapuas_officer", 404)
        for name in (
            "aid.exception.program",
            "aid.card.block",
            "aid.card.unlock",
            "aid.card.reset-pin",
            "aid.card.replace",
            "aid.anomaly.review",
            "aid.settlement.paid",
        )
    ],
    ("aid.exception.cooperative", "kapuas_operator", 404),
    ("api.aid.pay", "kapuas_cashier", 404),
    ("api.aid.pay", "kapuas_operator", 404),
    ("api.aid.pay.outlet", "kapuas_cashier", 404),
    ("api.aid.void", "kapuas_operator", 404),
    # outlets: another cooperative's outlet and sales do not exist for Kapuas's staff
    *[
        (name, actor, 404)
        for actor in ("kapuas_cashier", "kapuas_operator")
        for name in ("outlets.sale", "outlets.sale_quote", "outlets.day_close")
    ],
    *[
        (name, "kapuas_operator", 404)
        for name in (
            "outlets.void",
            "outlets.stock.item",
            "outlets.stock.receive",
            "outlets.stock.adjust",
            "outlets.stock.price",
        )
    ],
    # fund: a fund officer of Kapuas reaches no loan or application of Palangkaraya; another province no fund
    *[
        (name, "kapuas_fund_officer", 404)
        for name in (
            "fund.application.assess",
            "fund.application.approve",
            "fund.application.reject",
            "fund.application.disburse",
            "fund.repayment",
            "fund.repayment.reverse",
            "fund.change.propose",
            "fund.change.approve",
            "fund.change.reject",
            "fund.settle",
        )
    ],
    *[
        (name, "kalsel_officer", 404)
        for name in (
            "fund.application.approve",
            "fund.application.reject",
            "fund.change.approve",
            "fund.change.reject",
        )
    ],
    *[
        (name, "kalsel_fund_officer", 404)
        for name in (
            "fund.portfolio_run",
            "fund.application.new",
            "fund.application.assess",
            "fund.application.disburse",
            "fund.repayment",
            "fund.repayment.reverse",
            "fund.change.propose",
            "fund.change.approve",
            "fund.settle",
            "fund.disaster",
            "fund.bank_statement",
        )
    ],
    ("fund.portfolio_run", "kapuas_fund_officer", 403),  # the portfolio of the whole province is not Kapuas's
    # registry: another regency's duplicates and full NIKs
    ("registry.duplicate.merge", "kapuas_officer", 404),
    ("registry.duplicate.distinct", "kapuas_officer", 404),
    ("registry.full_nik", "kapuas_officer", 404),
]

# Writes whose door is the whole program or fund and which keep to the user's own area inside it:
# they answer as for an area with nothing to act on, and nothing of Palangkaraya changes.
FILTERED = [
    ("aid.cards.issue", "kapuas_officer", 302, ()),  # Palangkaraya's cardless household gets none from Kapuas
    ("aid.kapuas.cards.issue", "kapuas_officer", 302, ()),
    ("aid.kapuas.enrolment.add", "kapuas_officer", 302, ()),  # no such KK in the officer's area
    # not a cooperative they may apply for: refused, never an application of their own one instead
    ("fund.application.new", "kapuas_operator", 400, ()),
    ("fund.application.new", "kapuas_fund_officer", 400, ()),
    ("fund.disaster", "kapuas_fund_officer", 200, ()),  # 62.71 is not among the areas offered
    ("fund.disaster.province", "kapuas_fund_officer", 200, ()),  # nor the whole province
    # the statement is kept (the officer's own upload); its Palangkaraya line is "no loan named"
    ("fund.bank_statement", "kapuas_fund_officer", 302, ("core.AuditEvent", "ledger.BankStatement")),
]


def _attempt(client, world, path: Path, actor: str):
    client.force_login(world.users[actor])
    before = snapshot()
    response = path.send(client, world)
    return response, before, snapshot()


BY_PATH: dict[str, list[tuple[str, int]]] = {}
for _name, _actor, _status in ATTEMPTS:
    BY_PATH.setdefault(_name, []).append((_actor, _status))


@pytest.mark.parametrize("name", list(BY_PATH))
def test_a_write_aimed_at_another_area_is_refused_and_changes_nothing(client, world, name):
    path = PATHS[name]
    met = []
    for actor, _status in BY_PATH[name]:
        response, before, after = _attempt(client, world, path, actor)
        body = response.content.decode()
        shown = [
            s
            for s in (world.palangkaraya.cooperative.name, world.palangkaraya.household.kk_number, "62.71")
            if s in body
        ]
        met.append((actor, response.status_code, changed(before, after), shown))
    assert met == [(actor, status, [], []) for actor, status in BY_PATH[name]]
    # The door is the area's: the same request by one of the row's area (the administrator) passes it.
    if path.control is not None:
        client.force_login(path.control(world))
        assert path.send(client, world).status_code not in (403, 404)


@pytest.mark.parametrize(("name", "actor", "status", "own"), FILTERED, ids=[f"{a[1]}-{a[0]}" for a in FILTERED])
def test_a_write_kept_to_the_users_area_touches_nothing_of_another(client, world, name, actor, status, own):
    response, before, after = _attempt(client, world, PATHS[name], actor)
    assert response.status_code == status
    assert changed(before, after) == sorted(own)
    told = response.content.decode() + " ".join(str(m) for m in get_messages(response.wsgi_request))
    for secret in (world.palangkaraya.cooperative.name, world.person.name, "62.71.01"):
        assert secret not in told
    if own:
        assert "DB-" in str(after["ledger.BankStatement"][0]["outcomes"])
        assert [r["outcome"] for r in after["ledger.BankStatement"][0]["outcomes"]] == ["no_loan"]


def test_an_outlet_cannot_sell_price_or_move_another_cooperatives_item(client, world):
    """At their own outlet, Kapuas's operator names Palangkaraya's item: not in their catalogue."""
    own, theirs = world.kapuas.outlet, world.palangkaraya.items["BERAS"]
    client.force_login(world.kapuas.operator)
    before = snapshot()
    for action, data in (
        ("price", {"price": "1"}),
        ("receive", {"quantity": "5", "reference": "SJ"}),
        ("adjust", {"quantity": "-5", "reason": "rusak"}),
    ):
        response = client.post(f"/gerai/{own.pk}/stok/{action}/", {"item": str(theirs.pk)} | data)
        assert response.status_code == 404, action
    response = client.post(f"/gerai/{own.pk}/jual/", {"key": "k1", f"qty-{theirs.pk}": "1", "cash": "70000"})
    assert response.status_code == 404
    assert changed(before, snapshot()) == []


def test_a_file_is_no_way_around_it(client, world):
    """The aid bank statement of a program the officer does not run is refused before it is read."""
    client.force_login(world.users["kapuas_officer"])
    before = snapshot()
    upload = SimpleUploadedFile("r.csv", b"Tanggal;Keterangan;Debet\n", content_type="text/csv")
    assert client.post("/bantuan/program/khbs/rekening-koran/", {"file": upload}).status_code == 403
    assert changed(before, snapshot()) == []


def test_the_portfolio_task_asked_by_a_regency_classes_nothing(world):
    """The task checks the asker's area too (a run queued before the page refused it, a forged one)."""
    before = snapshot()
    result = portfolio_task.enqueue(
        fund_code="bergulir", as_of="2026-11-30", actor_id=world.users["kapuas_fund_officer"].pk
    )
    assert result.status == "FAILED"
    assert changed(before, snapshot()) == []
    assert portfolio_task.enqueue(
        fund_code="bergulir", as_of="2026-11-30", actor_id=world.users["admin"].pk
    ).status == ("SUCCESSFUL")
