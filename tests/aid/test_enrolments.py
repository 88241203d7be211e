"""Eligibility rules as data (checked, versioned, applied at the next draft) and enrolments ended by
hand (money left in the wallets returns to the budget; later reviews respect the officer's decision)."""

import pytest

from betang.aid import posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Enrolment, RuleChange
from betang.aid.services.cycles import cycle_draft
from betang.aid.services.payments import NotEnrolled, card_pay
from betang.aid.services.programs import (
    EnrolmentError,
    RuleInvalid,
    enrolment_add,
    enrolment_end,
    rule_change,
    rule_clean,
)
from betang.core.models import AuditEvent
from betang.ledger import selectors as ledger
from betang.ledger.models import Entry
from betang.ledger.verify import ledger_verify
from tests.aid.conftest import PIN, VILLAGE_A
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def wallets(world, home) -> int:
    keys = [posting.wallet_key(world.program.code, home.pk, p.code) for p in world.program.pockets.all()]
    return sum(balance or 0 for _pk, balance in ledger.accounts_by_key(keys).values())


def budget(world) -> int:
    return ledger.account_balance(world.program.budget_account_id)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"max_decile": 11}, "aid.program.rule_invalid"),
        ({"max_decile": "empat"}, "aid.program.rule_invalid"),
        ({"regencies": ["62.99"]}, "aid.program.rule_invalid"),  # no such regency in Kalimantan Tengah
        ({"regencies": ["63.01"]}, "aid.program.rule_invalid"),  # a regency of another province
        ({"regencies": ["62.03.01"]}, "aid.program.rule_invalid"),  # a district, not a regency
        ({"exclude": ["BANSOS"]}, "aid.program.rule_invalid"),
        ({"income_below_ump": True}, "aid.program.rule_invalid"),
        ({"decree": "x" * 151}, "aid.program.rule_invalid"),
    ],
)
def test_a_rule_that_cannot_be_applied_is_refused_with_its_reason(raw, code):
    with pytest.raises(RuleInvalid) as refused:
        rule_clean(raw, region_code="62")
    assert refused.value.code == code


def test_a_rule_is_written_one_way_whatever_the_form_sent():
    rule = rule_clean(
        {
            "max_decile": "4",
            "regencies": ["6211", "62.03", "62.03"],
            "exclude": ["SEMBAKO", "PKH"],
            "decree": " SK  12 ",
        },
        region_code="62",
    )
    assert rule == {"max_decile": 4, "regencies": ["62.03", "62.11"], "exclude": ["PKH", "SEMBAKO"], "decree": "SK 12"}
    assert rule_clean({"max_decile": "", "regencies": [], "exclude": [], "decree": ""}, region_code="62") == {}


def test_a_changed_rule_is_kept_with_its_reason_and_applies_from_the_next_draft(world):
    assert RuleChange.objects.filter(program=world.program).count() == 1  # the rule the program was created with
    before = budget(world)
    left_money = wallets(world, world.poor[1])  # decile 4: out once the rule says ≤ 3
    assert left_money == 200_000
    assert rule_change(
        program=world.program,
        rule={"max_decile": 3, "regencies": ["62.03"], "exclude": ["PKH"], "decree": "SK 400.9/7/2026"},
        note="APBD-P 2026",
        occurred_at=NOW,
        actor=world.maker,
    )
    # The same rule again writes nothing; a change needs a reason.
    assert not rule_change(
        program=world.program,
        rule={"max_decile": "3", "regencies": ["62.03"], "exclude": ["PKH"], "decree": "SK 400.9/7/2026"},
        note="again",
        occurred_at=NOW,
        actor=world.maker,
    )
    with pytest.raises(RuleInvalid):
        rule_change(program=world.program, rule={"max_decile": 2}, note="  ", occurred_at=NOW, actor=world.maker)
    assert RuleChange.objects.count() == 2
    event = AuditEvent.objects.get(event="aid.program.rule_changed")
    assert event.changes["eligibility"][1]["max_decile"] == 3
    assert Enrolment.objects.get(household=world.poor[1]).status == "ACTIVE"  # nothing moves until the draft

    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    assert [x["household"] for x in cycle.eligibility_changes["left"]] == [str(world.poor[1].pk)]
    assert cycle.households == 2
    # What the leaver's wallets held is back in the budget, by a ledger entry, not left where no card pays.
    assert wallets(world, world.poor[1]) == 0
    assert budget(world) == before + left_money
    assert Entry.objects.filter(kind="aid.enrolment.returned").count() == 1
    assert all(c.ok for c in ledger_verify())


def test_an_enrolment_ended_by_hand_returns_its_money_and_stays_ended(world):
    home = world.poor[0]
    enrolment = Enrolment.objects.get(household=home)
    before, held = budget(world), wallets(world, home)
    with pytest.raises(EnrolmentError):
        enrolment_end(enrolment=enrolment, occurred_at=NOW, actor=world.maker, note=" ")
    assert enrolment_end(enrolment=enrolment, occurred_at=NOW, actor=world.maker, note="pindah ke Kalsel") == held
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.basis, enrolment.reason) == ("ENDED", "MANUAL", "pindah ke Kalsel")
    assert (wallets(world, home), budget(world)) == (0, before + held)
    with pytest.raises(EnrolmentError):  # twice: refused, nothing returned twice
        enrolment_end(enrolment=enrolment, occurred_at=NOW, actor=world.maker, note="again")
    with pytest.raises(NotEnrolled):
        card_pay(
            card_number=world.card.number,
            pin=PIN,
            cooperative_id=world.coop_a.pk,
            basket=[BasketLine("BERAS", 10_000, "")],
            key="after-end",
            occurred_at=NOW,
            recorded_at=NOW,
        )
    # The rule still admits the household, but the officer's decision stands at the next review …
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    assert str(home.pk) not in str(cycle.eligibility_changes["joined"])
    assert cycle.households == 2
    assert AuditEvent.objects.get(event="aid.enrolment.ended").changes["returned"] == held
    # … until an officer enrols it again by hand.
    enrolment_add(
        program=world.program,
        household=home,
        cooperative=world.coop_a,
        occurred_at=NOW,
        actor=world.maker,
        note="kembali",
    )
    assert Enrolment.objects.get(household=home).status == "ACTIVE"
    assert all(c.ok for c in ledger_verify())


def test_enrolments_are_listed_searched_and_ended_from_the_page(client, world, make_user):
    from betang.accounts.models import User  # noqa: F401 - the roles below are users

    url = f"/bantuan/program/{world.program.code}/peserta/"
    client.force_login(world.maker)
    page = client.get(url).content.decode()
    assert page.count("<tr>") == 4  # the header and three enrolled households
    assert world.poor[0].kk_number not in page  # KK numbers masked
    assert world.poor[0].kk_number[:4] in page
    found = client.get(url, {"q": world.poor[1].kk_number}, follow=True)  # a KK in the address moves to a token
    assert world.poor[1].kk_number not in found.redirect_chain[0][0]
    found = found.content.decode()
    assert found.count('data-testid="end-enrolment"') == 1
    assert client.get(url, {"q": "Warga 3-"}).content.decode().count('data-testid="end-enrolment"') == 1
    assert "62.99.x" in client.get(url, {"village": "62.99.x"}, follow=True).content.decode()  # told, not a 500

    enrolment = Enrolment.objects.get(household=world.poor[1])
    done = client.post(f"{url}{enrolment.pk}/akhiri/", {"note": "meninggal, KK dicabut", "query": "status=ACTIVE"})
    assert done.status_code == 302
    assert done["Location"] == f"{url}?status=ACTIVE"
    enrolment.refresh_from_db()
    assert enrolment.status == "ENDED"
    assert "Rp200.000" in client.get(done["Location"], follow=True).content.decode()
    ended = client.get(url, {"status": "ENDED"}).content.decode()
    assert "meninggal, KK dicabut" in ended
    assert 'data-testid="end-enrolment"' not in ended

    # An auditor reads the list but ends nothing; an officer of another regency sees none of it.
    auditor = make_user(role="AUDITOR", scope="62", username="auditor")
    client.force_login(auditor)
    assert 'data-testid="end-enrolment"' not in client.get(url).content.decode()
    other = Enrolment.objects.get(household=world.poor[0])
    assert client.post(f"{url}{other.pk}/akhiri/", {"note": "x"}).status_code == 403
    # A regency officer reads the households of their regency only, and ends none of a provincial
    # program's enrolments (its owners decide, as for enrolling by hand).
    client.force_login(make_user(role="REGENCY_OFFICER", scope="62.11", username="katingan"))
    assert client.get(url).content.decode().count("<tr>") == 2  # header and "no enrolment matches"
    kapuas = make_user(role="REGENCY_OFFICER", scope="62.03", username="kapuas")
    client.force_login(kapuas)
    listed = client.get(url).content.decode()
    assert listed.count("<tr>") == 4
    assert 'data-testid="end-enrolment"' not in listed
    assert client.post(f"{url}{other.pk}/akhiri/", {"note": "x"}).status_code == 403
    assert Enrolment.objects.get(pk=other.pk).status == "ACTIVE"


def test_the_rule_is_edited_from_the_program_page(client, world, make_user):
    url = f"/bantuan/program/{world.program.code}/"
    client.force_login(world.maker)
    page = client.get(url).content.decode()
    assert 'data-testid="rule-edit"' in page
    assert 'value="62.03" checked' in page
    bad = client.post(url + "aturan/", {"max_decile": "12", "note": "x"}, follow=True).content.decode()
    assert "1" in bad
    assert RuleChange.objects.count() == 1
    form = {
        "max_decile": "3",
        "regencies": ["62.03", "62.11"],
        "exclude": ["PKH", "BLT_DD"],
        "decree": "SK 9",
        "note": "perubahan",
    }
    client.post(url + "aturan/", form)
    world.program.refresh_from_db()
    assert world.program.eligibility == {
        "max_decile": 3,
        "regencies": ["62.03", "62.11"],
        "exclude": ["BLT_DD", "PKH"],
        "decree": "SK 9",
    }
    history = client.get(url).content.decode()
    assert "perubahan" in history
    assert "SK 9" in history
    client.force_login(make_user(role="REGENCY_OFFICER", scope="62.03", username="kapuas"))
    assert client.post(url + "aturan/", form | {"max_decile": "2"}).status_code == 403


def test_a_payment_racing_the_return_makes_it_read_the_wallets_again(world, monkeypatch):
    """Between reading what the wallets hold and posting the return, the household pays at its
    cooperative: the return is refused as a whole (nothing below zero), read again and posted exact.
    Batches are one household each, so a household's wallets never straddle two batches."""
    from betang.aid.services import programs
    from betang.ledger.services import account_open, journal_post

    monkeypatch.setattr(programs, "RETURN_BATCH", 1)
    home = world.poor[1]
    food = ledger.accounts_by_key([posting.wallet_key(world.program.code, home.pk, "FOOD")])
    food_id = next(iter(food.values()))[0]
    payable = account_open(**posting.payable_account(world.program.code, world.coop_a.pk, VILLAGE_A), occurred_at=NOW)
    real, calls = programs.journal_post_many, []

    def paid_meanwhile(**kwargs):
        calls.append(1)
        if len(calls) == 1:  # the cashier's payment lands after the read
            journal_post(
                key="race-pay",
                kind="aid.card.payment",
                legs=posting.payment_legs({food_id: 40_000}, payable=payable.pk),
                occurred_at=NOW,
                recorded_at=NOW,
            )
        return real(**kwargs)

    monkeypatch.setattr(programs, "journal_post_many", paid_meanwhile)
    before, held = budget(world), wallets(world, home)
    returned = enrolment_end(
        enrolment=Enrolment.objects.get(household=home), occurred_at=NOW, actor=world.maker, note="x"
    )
    assert len(calls) == 2  # refused once, read again
    assert returned == held - 40_000
    assert (wallets(world, home), budget(world)) == (0, before + held - 40_000)
    assert all(c.ok for c in ledger_verify())


def test_returning_many_households_costs_the_same_statements_as_one(world):
    """The pockets are read once, the wallets a batch at a time: no statement per household."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from betang.aid.services.programs import wallets_return

    counts, returned = [], 0
    for homes in ([world.poor[0].pk], [h.pk for h in world.poor[1:]]):
        with CaptureQueriesContext(connection) as statements:
            returned += wallets_return(program=world.program, households=homes, occurred_at=NOW, actor=None)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert returned == 600_000
