"""The portfolio run: each active loan's days past due, quality class, arrears and penalty, read
set-based from what the repayments wrote back, agreeing with the loan's own replay; PAR, problem
loans, ageing and collection rate; delinquency paused in a declared disaster."""

from datetime import date

import pytest

from betang.fund.models import Disaster, Instalment, LoanHealth
from betang.fund.selectors import collection_rate, portfolio_summary
from betang.fund.services.loans import loan_position
from betang.fund.services.portfolio import portfolio_run
from betang.registry.models import Cooperative
from tests.conftest import NOW
from tests.fund.conftest import disbursed, repay

pytestmark = pytest.mark.django_db


def interest_only(loan, number):
    return Instalment.objects.get(loan=loan, number=number).total


def test_each_loan_is_classed_by_its_days_past_due_and_agrees_with_its_replay(world):
    on_time, late, later = disbursed(world), disbursed(world), disbursed(world)
    # Instalments fall due on the 12th from February. On 2026-05-31:
    for n, day in ((1, 12), (2, 12), (3, 12), (4, 12)):  # on time: Feb, Mar, Apr, May
        repay(world, on_time, interest_only(on_time, n), date(2026, n + 1, day), f"A{n}")
    repay(world, late, interest_only(late, 1), date(2026, 2, 12), "B1")
    # 8 days late, 3 of grace: 5 × 0.05% × 1,250,000 = 3,125 of penalty, paid first.
    repay(world, late, interest_only(late, 2) + 3_125, date(2026, 3, 20), "B2")
    # `late` then paid nothing after March: April 12 unpaid → 49 days; `later` paid nothing: Feb 12 → 108 days.
    as_of = date(2026, 5, 31)
    result = portfolio_run(fund=world.fund, as_of=as_of, actor=None, occurred_at=NOW)
    assert (result.loans, result.written) == (3, 3)
    health = {h.loan_id: h for h in LoanHealth.objects.all()}
    assert [(health[x.pk].days_past_due, health[x.pk].quality, health[x.pk].problem) for x in (on_time, late, later)] == [
        (0, "1", False), (49, "2", False), (108, "3", True),
    ]  # fmt: skip
    for loan in (on_time, late, later):
        position = loan_position(loan, as_of=as_of)
        h = health[loan.pk]
        assert (h.principal_outstanding, h.arrears, h.penalty_owed) == (
            position.principal_outstanding, position.arrears, position.penalty_owed,
        )  # fmt: skip
        assert h.days_past_due == position.days_past_due
    assert health[later.pk].penalty_owed > 0
    assert health[on_time.pk].penalty_owed == 0

    summary = portfolio_summary(world.fund)
    everyone = 3 * 250_000_000
    assert (summary.loans, summary.outstanding) == (3, everyone)
    assert summary.par == {30: 2 * 250_000_000, 60: 250_000_000, 90: 250_000_000}
    assert summary.problem_outstanding == 250_000_000
    assert round(summary.problem_percent, 2) == 33.33
    assert summary.by_quality == {"1": (1, 250_000_000), "2": (1, 250_000_000), "3": (1, 250_000_000)}
    assert summary.ageing["31–60"] == health[late.pk].arrears
    assert summary.ageing["91–180"] == health[later.pk].arrears
    paid, due = collection_rate(world.fund, start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert (paid, due) == (1_250_000, 3 * 1_250_000)  # May's instalment: only `on_time` paid


def test_a_declared_disaster_pauses_delinquency_in_its_area(world, make_user):
    loan = disbursed(world)  # the cooperative is in 62.03.01.1006; nothing paid: Feb 12 is 47 days late on Mar 31
    other_coop = Cooperative.objects.create(
        name="KDMP Mambulau", name_key="kdmp mambulau", kind=Cooperative.Kind.KDMP, region_code="62.03.02.1001",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    world.cooperative = other_coop
    world.operator = make_user(role="COOPERATIVE_OPERATOR", scope="62.03.02.1001", username="pengurus.mambulau")
    elsewhere = disbursed(world)
    Disaster.objects.create(
        region_code="62.03.01", starts_on=date(2026, 2, 20), ends_on=date(2026, 3, 10), basis="SK Bupati Kapuas banjir",
        declared_by=world.approver, created_at=NOW,
    )  # fmt: skip
    portfolio_run(fund=world.fund, as_of=date(2026, 3, 31), actor=None, occurred_at=NOW)
    assert LoanHealth.objects.get(loan=loan).days_past_due == 47 - 19  # 19 days of flood not counted
    assert LoanHealth.objects.get(loan=elsewhere).days_past_due == 47  # another district


def test_a_repaid_loan_leaves_the_portfolio(world):
    loan = disbursed(world)
    portfolio_run(fund=world.fund, as_of=date(2026, 2, 1), actor=None, occurred_at=NOW)
    assert LoanHealth.objects.filter(loan=loan).exists()
    total = sum(i.total for i in Instalment.objects.filter(loan=loan))
    repay(world, loan, total, date(2026, 2, 1), "ALL")
    portfolio_run(fund=world.fund, as_of=date(2026, 2, 2), actor=None, occurred_at=NOW)
    assert not LoanHealth.objects.filter(loan=loan).exists()


def test_a_reversal_writes_the_instalments_back_as_they_were(world):
    from betang.fund.services.loans import repayment_reverse

    loan = disbursed(world)
    paid = repay(world, loan, interest_only(loan, 1), date(2026, 2, 12), "C1")
    assert Instalment.objects.get(loan=loan, number=1).interest_paid == 1_250_000
    repayment_reverse(repayment=paid, reason="Salah", actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    assert Instalment.objects.get(loan=loan, number=1).interest_paid == 0
    portfolio_run(fund=world.fund, as_of=date(2026, 3, 1), actor=None, occurred_at=NOW)
    assert LoanHealth.objects.get(loan=loan).days_past_due == 17


def test_the_nightly_command_classes_every_fund(world):
    from io import StringIO

    from django.core.management import call_command

    disbursed(world)
    out = StringIO()
    call_command("fund", "portfolio", "--as-of", "2026-05-31", stdout=out)
    assert world.fund.code in out.getvalue()
    assert "Rp250.000.000" in out.getvalue()
    assert LoanHealth.objects.get().days_past_due == 108


def test_the_nightly_command_can_queue_the_run_for_the_worker(world, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    disbursed(world)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the test settings run a queued task at once
        call_command("fund", "portfolio", "--as-of", "2026-05-31", "--enqueue", stdout=out)
    assert f"{world.fund.code}: queued as task " in out.getvalue()
    assert LoanHealth.objects.get().days_past_due == 108
