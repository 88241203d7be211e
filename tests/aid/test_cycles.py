"""Cycles: eligibility re-checked, maker-checker, budget limit, credit exactly once even after a crash."""

import threading

import pytest
from django.db import connection

from betang.aid.models import Cycle, Enrolment, Entitlement, NationalAid
from betang.aid.services import cycles
from betang.aid.services.cycles import CycleError, OverBudget, cycle_approve, cycle_credit, cycle_draft, cycle_submit
from betang.aid.services.programs import program_fund
from betang.core.errors import PermissionDenied
from betang.ledger import selectors as ledger
from betang.ledger.models import Entry, Posting
from betang.ledger.verify import ledger_verify
from tests.aid.conftest import VILLAGE_A, cooperative, household, khbs
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_rule_enrols_the_poor_of_the_regency_at_their_village_cooperative(world):
    enrolled = dict(Enrolment.objects.filter(status="ACTIVE").values_list("household_id", "cooperative_id"))
    assert enrolled == {
        world.poor[0].pk: world.coop_a.pk,
        world.poor[1].pk: world.coop_a.pk,
        world.poor[2].pk: world.coop_b.pk,
    }  # not the decile-7 household, not the PKH household
    first = Cycle.objects.get(number=1)
    assert (first.households, first.total) == (3, 600_000)
    assert first.status == Cycle.Status.CREDITED
    assert ledger.account_balance(world.program.budget_account_id) == 10_000_000 - 600_000


def test_the_next_cycle_says_who_joined_and_who_left_and_why(world):
    NationalAid.objects.create(household=world.poor[2], kind="PKH", as_of_date=NOW.date())  # now in PKH
    newcomer = household(VILLAGE_A, 1, n=9)
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    changes = cycle.eligibility_changes
    assert [j["household"] for j in changes["joined"]] == [str(newcomer.pk)]
    assert [x["household"] for x in changes["left"]] == [str(world.poor[2].pk)]
    assert "≤ 4" in changes["joined"][0]["reason"]  # the rule, in the active language
    assert (cycle.households, cycle.total, cycle.number) == (3, 600_000, 2)
    assert str(cycle.period_start) == "2026-12-01"


def test_the_submitter_cannot_approve_and_an_approval_needs_a_submitted_cycle(world):
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    with pytest.raises(CycleError):
        cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW)  # still a draft
    cycle_submit(cycle=cycle, actor=world.maker, occurred_at=NOW)
    with pytest.raises(PermissionDenied):
        cycle_approve(cycle=cycle, actor=world.maker, occurred_at=NOW)
    assert cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW).status == Cycle.Status.APPROVED


def test_a_large_cycle_needs_one_more_approver(db, make_user, world):
    world.program.extra_approval_above = 500_000
    world.program.save()
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=cycle, actor=world.maker, occurred_at=NOW)
    assert cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW).status == Cycle.Status.SUBMITTED
    with pytest.raises(CycleError):
        cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW)  # the same user twice
    head = make_user(role="PROVINCIAL_OFFICER", username="kepala.dinas")
    assert cycle_approve(cycle=cycle, actor=head, occurred_at=NOW).status == Cycle.Status.APPROVED


def test_a_cycle_beyond_the_remaining_budget_cannot_be_approved(db, make_user):
    maker, checker = make_user(username="m"), make_user(username="c")
    program = khbs(code="kecil", eligibility={"regencies": ["62.03"]})
    cooperative(VILLAGE_A, "KDMP Sei Pasah")
    household(VILLAGE_A, 5, n=1)
    household(VILLAGE_A, 6, n=2)
    program_fund(program=program, amount=300_000, reference="SP2D-9", occurred_at=NOW, recorded_at=NOW)
    cycle = cycle_draft(program=program, occurred_at=NOW, actor=maker)
    cycle_submit(cycle=cycle, actor=maker, occurred_at=NOW)
    with pytest.raises(OverBudget) as refused:
        cycle_approve(cycle=cycle, actor=checker, occurred_at=NOW)
    assert refused.value.details == {"total": 400_000, "available": 300_000}


def test_a_credited_cycle_cannot_be_credited_again(world):
    cycle = Cycle.objects.get(number=1)
    with pytest.raises(CycleError):
        cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    assert Entry.objects.filter(kind="aid.cycle.credit").count() == 1  # one batch of three households


def test_a_crash_in_the_middle_then_a_rerun_credits_everyone_exactly_once(world, monkeypatch):
    for n in range(10, 15):
        household(VILLAGE_A, 1, n=n)
    monkeypatch.setattr(cycles, "CHUNK", 3)  # the draft puts the 8 households in batches of 3, 3, 2
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=cycle, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW)
    real, calls = cycles.journal_post_query, []

    def crash_on_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return real(**kwargs)

    monkeypatch.setattr(cycles, "journal_post_query", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.CREDITING
    assert Entry.objects.filter(kind="aid.cycle.credit").count() == 1 + 1  # cycle 1, and one batch

    monkeypatch.setattr(cycles, "journal_post_query", real)
    result = cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    assert result == {"households": 8, "posted": 5, "already_posted": 3}
    assert Entry.objects.filter(kind="aid.cycle.credit").count() == 1 + 3
    wallets = Entitlement.objects.filter(cycle=cycle).values_list("wallet_id", flat=True)
    credited = Posting.objects.filter(
        entry__idempotency_key__startswith=f"aid:credit:{cycle.pk}:", account_id__in=wallets
    )
    assert credited.count() == Entitlement.objects.filter(cycle=cycle).count()  # each pocket once
    assert ledger.account_balance(world.program.budget_account_id) == 10_000_000 - 600_000 - 8 * 200_000
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.CREDITED
    assert all(c.ok for c in ledger_verify())


@pytest.mark.django_db(transaction=True)
def test_batches_posted_side_by_side_in_their_own_connections_credit_everyone_once(
    committed_regions, make_user, monkeypatch
):
    """Outside a caller's transaction, PostgreSQL credits batches in parallel connections (on SQLite
    one after the other): every household once, the budget exact, the ledger sound."""
    from tests.aid.conftest import build_world

    world = build_world(make_user)
    for n in range(10, 21):
        household(VILLAGE_A, 1, n=n)
    monkeypatch.setattr(cycles, "CHUNK", 2)
    cycle = cycle_draft(program=world.program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=cycle, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=cycle, actor=world.checker, occurred_at=NOW)
    monkeypatch.setattr(cycles, "CREDIT_WORKERS", 3)
    seen = []
    monkeypatch.setattr(cycles, "journal_post_query", _recording(cycles.journal_post_query, seen))
    result = cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    assert result == {"households": 14, "posted": 14, "already_posted": 0}
    assert len(seen) == 7  # 14 enrolments two a batch
    if connection.vendor == "postgresql":
        assert len(set(seen)) > 1  # more than one thread did the work
    assert Entry.objects.filter(idempotency_key__startswith=f"aid:credit:{cycle.pk}:").count() == 7
    assert ledger.account_balance(world.program.budget_account_id) == 10_000_000 - 600_000 - 14 * 200_000
    assert all(c.ok for c in ledger_verify())


def _recording(fn, seen):
    def record(**kwargs):
        seen.append(threading.get_ident())
        return fn(**kwargs)

    return record
