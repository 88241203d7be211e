"""The revolving fund's loans: a cooperative applies, a fund officer assesses, another user decides,
the loan is disbursed through the ledger only up to the pool, with its schedule stored; the pool,
the receivables and the fund's income always add up."""

from datetime import date
from decimal import Decimal

import pytest

from betang.core.errors import PermissionDenied
from betang.core.models import AuditEvent
from betang.fund.models import Application, Instalment, Loan, Repayment
from betang.fund.schedules import schedule
from betang.fund.services.applications import (
    application_approve,
    application_assess,
    application_reject,
    application_submit,
)
from betang.fund.services.funds import FundError, pool_balance, terms_of
from betang.fund.services.loans import OutOfOrder, PoolShort, loan_disburse, loan_position, repayment_reverse
from betang.ledger import selectors as ledger
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.fund.conftest import ALL_YES, approved, disbursed, repay

pytestmark = pytest.mark.django_db


def test_a_loan_is_applied_for_assessed_approved_and_disbursed_with_its_schedule(world):
    application = approved(world)
    loan = loan_disburse(
        application=application, disbursed_on=date(2026, 1, 12), bank_reference="SP2D-0456", actor=world.assessor,
        occurred_at=NOW, recorded_at=NOW,
    )  # fmt: skip
    assert (loan.number, loan.amount, loan.admin_fee) == ("DB-2026-0001", 250_000_000, 1_250_000)
    assert (loan.annual_rate, loan.months, loan.grace, loan.method) == (Decimal("6.000"), 36, 6, "annuity")
    stored = [
        (i.number, i.due_on, i.principal, i.interest, i.total, i.outstanding)
        for i in Instalment.objects.filter(loan=loan)
    ]
    expected = schedule(terms_of(world.product, 250_000_000, date(2026, 1, 12)))
    assert stored == [(x.number, x.due, x.principal, x.interest, x.total, x.outstanding) for x in expected]
    assert sum(i.principal for i in Instalment.objects.filter(loan=loan)) == 250_000_000
    # The ledger: the pool paid out the principal less the fee kept; the loan is owed in full.
    assert pool_balance(world.fund) == 1_000_000_000 - 248_750_000
    assert ledger.account_balance(loan.receivable_account_id) == 250_000_000
    assert ledger.account_balance(world.fund.income_account_id) == 1_250_000
    assert Application.objects.get(pk=application.pk).status == "DISBURSED"
    assert AuditEvent.objects.filter(event="fund.loan.disbursed", object_id=str(loan.pk)).exists()
    assert all(c.ok for c in ledger_verify())


def test_disbursing_again_returns_the_same_loan_and_moves_nothing(world):
    application = approved(world)
    kwargs = {"disbursed_on": date(2026, 1, 12), "bank_reference": "SP2D-0456", "actor": world.assessor}
    first = loan_disburse(application=application, occurred_at=NOW, recorded_at=NOW, **kwargs)
    again = loan_disburse(application=application, occurred_at=NOW, recorded_at=NOW, **kwargs)
    assert first.pk == again.pk
    assert Loan.objects.count() == 1
    assert pool_balance(world.fund) == 1_000_000_000 - 248_750_000


def test_a_loan_is_disbursed_only_up_to_the_pool(world):
    loans = [approved(world, 300_000_000) for _ in range(4)]
    for application in loans[:3]:
        loan_disburse(application=application, disbursed_on=date(2026, 1, 12), bank_reference=f"T-{application.pk}",
                      actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    left = pool_balance(world.fund)
    assert left == 1_000_000_000 - 3 * 298_500_000
    with pytest.raises(PoolShort) as short:
        loan_disburse(application=loans[3], disbursed_on=date(2026, 1, 12), bank_reference="T-4",
                      actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    assert short.value.details == {"pool": left, "needed": 298_500_000}
    assert (Loan.objects.count(), pool_balance(world.fund)) == (3, left)
    assert Application.objects.get(pk=loans[3].pk).status == "APPROVED"  # still waiting for capital
    assert list(Loan.objects.order_by("number").values_list("number", flat=True)) == [
        "DB-2026-0001", "DB-2026-0002", "DB-2026-0003",
    ]  # fmt: skip


def test_the_assessor_cannot_decide_and_a_rejection_needs_its_reason(world):
    application = application_submit(product=world.product, cooperative=world.cooperative, amount=200_000_000,
                                     purpose="Gudang", actor=world.operator, occurred_at=NOW)  # fmt: skip
    with pytest.raises(FundError):
        application_approve(application=application, actor=world.approver, occurred_at=NOW)  # not assessed yet
    application_assess(application=application, checklist=ALL_YES | {"no_arrears": False}, score=40, note="Tunggakan.",
                       actor=world.assessor, occurred_at=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        application_approve(application=application, actor=world.assessor, occurred_at=NOW)
    with pytest.raises(FundError):
        application_reject(application=application, reason=" ", actor=world.approver, occurred_at=NOW)
    rejected = application_reject(
        application=application, reason="Masih menunggak.", actor=world.approver, occurred_at=NOW
    )
    assert (rejected.status, rejected.rejection_reason, rejected.checklist["no_arrears"]) == (
        "REJECTED",
        "Masih menunggak.",
        False,
    )
    with pytest.raises(FundError):
        loan_disburse(application=rejected, disbursed_on=date(2026, 1, 12), bank_reference="X", actor=world.assessor,
                      occurred_at=NOW, recorded_at=NOW)  # fmt: skip


@pytest.mark.parametrize("amount", [199_999_999, 300_000_001])
def test_an_amount_outside_the_product_is_refused(world, amount):
    with pytest.raises(FundError):
        application_submit(product=world.product, cooperative=world.cooperative, amount=amount, purpose="x",
                           actor=world.operator, occurred_at=NOW)  # fmt: skip
    assert not Application.objects.exists()


def test_an_assessment_answers_every_item(world):
    application = application_submit(product=world.product, cooperative=world.cooperative, amount=200_000_000,
                                     purpose="Gudang", actor=world.operator, occurred_at=NOW)  # fmt: skip
    with pytest.raises(FundError):
        application_assess(application=application, checklist={"legal_entity": True}, score=80, note="",
                           actor=world.assessor, occurred_at=NOW)  # fmt: skip
    with pytest.raises(FundError):
        application_assess(
            application=application, checklist=ALL_YES, score=101, note="", actor=world.assessor, occurred_at=NOW
        )


def test_the_pool_the_receivables_and_the_income_add_up_to_the_capital(world):
    for amount in (200_000_000, 250_000_000, 300_000_000):
        loan_disburse(application=approved(world, amount), disbursed_on=date(2026, 2, 1), bank_reference=f"T{amount}",
                      actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    receivables = sum(ledger.account_balance(loan.receivable_account_id) for loan in Loan.objects.all())
    capital = ledger.account_balance(world.fund.funding_account_id)
    income = ledger.account_balance(world.fund.income_account_id)
    assert pool_balance(world.fund) + receivables == capital + income
    assert (capital, income) == (1_000_000_000, 3_750_000)


def test_repayments_are_allocated_penalty_interest_principal_and_posted(world):
    loan = disbursed(world)
    on_time = repay(world, loan, 1_250_000, date(2026, 2, 12), "TRF-1")
    assert {k: on_time.allocation[k] for k in ("penalty", "interest", "principal", "overpaid")} == {
        "penalty": 0, "interest": 1_250_000, "principal": 0, "overpaid": 0,
    }  # fmt: skip
    # The second, ten days late (three of grace): 7 days × 0.05% × 1,250,000 = 4,375 of penalty.
    position = loan_position(loan, as_of=date(2026, 3, 22))
    assert (position.arrears, position.penalty_owed, position.days_past_due) == (1_250_000, 4_375, 10)
    late = repay(world, loan, 1_254_375, date(2026, 3, 22), "TRF-2")
    assert (late.allocation["penalty"], late.allocation["interest"]) == (4_375, 1_250_000)
    assert ledger.account_balance(world.fund.income_account_id) == 1_250_000 + 1_250_000 + 1_254_375
    assert ledger.account_balance(loan.receivable_account_id) == 250_000_000  # only interest so far
    assert pool_balance(world.fund) == 1_000_000_000 - 248_750_000 + 1_250_000 + 1_254_375
    assert all(c.ok for c in ledger_verify())


def test_the_same_bank_reference_is_one_repayment(world):
    loan = disbursed(world)
    first = repay(world, loan, 1_250_000, date(2026, 2, 12), "TRF-1")
    assert repay(world, loan, 1_250_000, date(2026, 2, 12), "TRF-1").pk == first.pk
    with pytest.raises(FundError):
        repay(world, loan, 999, date(2026, 2, 12), "TRF-1")
    assert Repayment.objects.count() == 1
    assert ledger.account_balance(world.fund.income_account_id) == 1_250_000 + 1_250_000


def test_a_wrong_repayment_is_reversed_latest_first_and_the_loan_stands_as_before(world):
    loan = disbursed(world)
    first = repay(world, loan, 1_250_000, date(2026, 2, 12), "TRF-1")
    second = repay(world, loan, 1_250_000, date(2026, 3, 12), "TRF-2")
    with pytest.raises(OutOfOrder):
        repay(world, loan, 1_000, date(2026, 3, 1), "TRF-0")  # dated before the last one
    with pytest.raises(OutOfOrder):
        repayment_reverse(
            repayment=first, reason="Salah rekening", actor=world.approver, occurred_at=NOW, recorded_at=NOW
        )
    with pytest.raises(FundError):
        repayment_reverse(repayment=second, reason=" ", actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    reversed_ = repayment_reverse(repayment=second, reason="Transfer milik koperasi lain", actor=world.approver,
                                  occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    assert reversed_.status == "REVERSED"
    assert reversed_.reversal_entry_id
    assert ledger.account_balance(world.fund.income_account_id) == 1_250_000 + 1_250_000  # fee + the first
    assert loan_position(loan, as_of=date(2026, 3, 12)).arrears == 1_250_000  # due again
    assert all(c.ok for c in ledger_verify())


def test_paying_the_whole_loan_repays_it_and_what_is_beyond_is_owed_back(world):
    loan = disbursed(world)
    total = sum(i.total for i in Instalment.objects.filter(loan=loan))
    repay(world, loan, total + 100_000, date(2026, 2, 12), "TRF-ALL")  # everything, in advance
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    overpaid = ledger.accounts_by_key([f"fund:{world.fund.code}:loan:{loan.pk}:overpaid"])
    (_account_id, kept) = next(iter(overpaid.values()))
    assert kept == 100_000
    receivables = sum(ledger.account_balance(x.receivable_account_id) for x in Loan.objects.all())
    capital = ledger.account_balance(world.fund.funding_account_id)
    income = ledger.account_balance(world.fund.income_account_id)
    assert pool_balance(world.fund) + receivables == capital + income + kept
