"""Changes to a loan beyond its repayments: restructuring (a new schedule version, the original kept),
write-off and recovery, early settlement with its interest rebate, and grace interest capitalised
into the receivable; after each, the pool, receivables and write-offs add up and the ledger verifies."""

import random
from datetime import date
from decimal import Decimal

import pytest

from betang.core.errors import PermissionDenied
from betang.core.money import round_rupiah
from betang.fund.models import Instalment, Loan, LoanChange, LoanHealth, Repayment
from betang.fund.schedules import GraceInterest, Method
from betang.fund.services.changes import (
    CAPITALISE,
    CARRY,
    ChangeRefused,
    Restructuring,
    SettlementShort,
    change_approve,
    change_propose,
    change_reject,
    loan_settle,
    loan_standing,
)
from betang.fund.services.funds import FundError, pool_balance, product_create, writeoff_account
from betang.fund.services.loans import NotReversible, OutOfOrder, loan_disburse, loan_position, repayment_reverse
from betang.fund.services.portfolio import portfolio_run
from betang.ledger import selectors as ledger
from betang.ledger.verify import ledger_verify
from tests.conftest import NOW
from tests.fund.conftest import approved, disbursed, repay

pytestmark = pytest.mark.django_db


def line(loan, number, version=1):
    return Instalment.objects.get(loan=loan, version=version, number=number)


def overpaid_total(fund) -> int:
    found = ledger.accounts_by_key([f"fund:{fund.code}:loan:{x.pk}:overpaid" for x in Loan.objects.filter(fund=fund)])
    return sum(balance or 0 for _id, balance in found.values())


def assert_the_books_add_up(world):
    """Pool + receivables + write-offs = capital + income + overpayments owed back; every loan's
    principal repaid + outstanding = lent + capitalised; the ledger verifies clean."""
    fund = world.fund
    loans = list(Loan.objects.filter(fund=fund))
    receivables = sum(ledger.account_balance(x.receivable_account_id) for x in loans)
    written_off = ledger.account_balance(writeoff_account(fund).pk)
    capital = ledger.account_balance(fund.funding_account_id)
    income = ledger.account_balance(fund.income_account_id)
    assert pool_balance(fund) + receivables + written_off == capital + income + overpaid_total(fund)
    for loan in loans:
        if loan.status != Loan.Status.ACTIVE:
            continue
        repaid = sum(r.allocation["principal"] for r in loan.repayments.filter(status=Repayment.Status.POSTED))
        assert repaid + ledger.account_balance(loan.receivable_account_id) == loan.amount + capitalised(loan)
    assert all(c.ok for c in ledger_verify())


def capitalised(loan) -> int:
    """Interest the ledger added to the loan's receivable (grace months, restructurings), less interest
    paid in advance that a change put to the principal."""
    from betang.ledger.models import Posting

    kinds = ("fund.loan.interest_capitalised", "fund.loan.restructured", "fund.loan.settled")
    return sum(
        Posting.objects.filter(account_id=loan.receivable_account_id, entry__kind__in=kinds).values_list(
            "amount", flat=True
        )
    )


def pay_grace_interest(world, loan, months):
    for n in range(1, months + 1):
        repay(world, loan, line(loan, n).total, line(loan, n).due_on, f"G{loan.pk}-{n}")


# --- restructuring -----------------------------------------------------------------------------


def test_a_restructuring_is_proposed_approved_by_another_and_carries_the_arrears(world):
    loan = disbursed(world)  # 36 months, 6 of grace, 6% annuity, from 2026-01-12
    pay_grace_interest(world, loan, 4)  # then nothing: #5 (Jun 12) … #8 (Sep 12) unpaid
    on = date(2026, 9, 20)
    before = loan_standing(loan, on=on)
    position = loan_position(loan, as_of=on)
    assert before.principal == 250_000_000
    assert before.interest_arrears == sum(line(loan, n).interest for n in (5, 6, 7, 8))
    assert before.running_interest == round_rupiah(Decimal(line(loan, 9).interest) * 8 / 30)  # Sep 12 → 20 of 30
    assert before.penalty == position.penalty_owed > 0
    terms = Restructuring(months=24, annual_rate=Decimal("3"), method=Method.ANNUITY, grace=0, arrears=CARRY)

    change = change_propose(loan=loan, kind="RESTRUCTURE", effective_on=on, terms=terms, reason="Gagal panen",
                            actor=world.assessor, occurred_at=NOW)  # fmt: skip
    with pytest.raises(ChangeRefused):  # one proposal at a time
        change_propose(loan=loan, kind="WRITE_OFF", effective_on=on, reason="x", actor=world.assessor,
                       occurred_at=NOW)  # fmt: skip
    with pytest.raises(PermissionDenied):
        change_approve(change=change, actor=world.assessor, occurred_at=NOW, recorded_at=NOW)
    change = change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)

    loan.refresh_from_db()
    assert (loan.schedule_version, loan.schedule_from, change.version) == (2, on, 2)
    assert Instalment.objects.filter(loan=loan, version=1).count() == 36  # the original, kept
    new = list(Instalment.objects.filter(loan=loan, version=2).order_by("number"))
    assert len(new) == 24
    assert sum(x.principal for x in new) == 250_000_000
    assert new[0].due_on == date(2026, 10, 20)
    carried = before.interest_arrears + before.running_interest
    assert new[0].interest == round_rupiah(Decimal(250_000_000) * Decimal("0.0025")) + carried
    assert new[0].penalty_carried == before.penalty
    assert ledger.account_balance(loan.receivable_account_id) == 250_000_000  # carried: nothing posted
    assert change.entry_id is None
    assert change.standing["payoff"] == before.payoff
    after = loan_position(loan, as_of=on)
    assert (after.arrears, after.days_past_due, after.penalty_owed) == (0, 0, before.penalty)

    # Repayments now go to the new schedule; the first instalment pays the penalty carried, then the rest.
    first = repay(world, loan, new[0].total + before.penalty, date(2026, 10, 20), "R-1")
    assert (first.schedule_version, first.allocation["penalty"]) == (2, before.penalty)
    assert loan_position(loan, as_of=date(2026, 10, 20)).arrears == 0
    with pytest.raises(OutOfOrder):
        repay(world, loan, 1_000, date(2026, 9, 19), "R-0")  # before the new schedule began
    assert_the_books_add_up(world)


def test_a_repayment_before_a_restructuring_can_no_longer_be_reversed(world):
    loan = disbursed(world)
    pay_grace_interest(world, loan, 2)
    change = change_propose(
        loan=loan, kind="RESTRUCTURE", effective_on=date(2026, 4, 1), reason="Banjir", actor=world.assessor,
        terms=Restructuring(36, Decimal("6"), Method.DECLINING), occurred_at=NOW,
    )  # fmt: skip
    change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    latest = Repayment.objects.get(bank_reference=f"G{loan.pk}-2")
    with pytest.raises(NotReversible):
        repayment_reverse(repayment=latest, reason="Salah", actor=world.approver, occurred_at=NOW, recorded_at=NOW)


def test_capitalised_arrears_go_into_the_receivable_as_income_and_the_penalty_can_be_waived(world):
    loan = disbursed(world)
    pay_grace_interest(world, loan, 3)
    on = date(2026, 7, 12)  # #4, #5, #6 due and unpaid: interest only
    before = loan_standing(loan, on=on)
    assert before.penalty > 0
    income = ledger.account_balance(world.fund.income_account_id)
    terms = Restructuring(30, Decimal("6"), Method.FLAT, grace=2, arrears=CAPITALISE, waive_penalty=True)
    change = change_propose(loan=loan, kind="RESTRUCTURE", effective_on=on, terms=terms, reason="Kebakaran lahan",
                            actor=world.assessor, occurred_at=NOW)  # fmt: skip
    change = change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    grown = 250_000_000 + before.interest_arrears + before.running_interest
    assert before.running_interest == 0  # the day is a due date: no running period
    assert ledger.account_balance(loan.receivable_account_id) == grown
    assert ledger.account_balance(world.fund.income_account_id) == income + before.interest_arrears
    new = list(Instalment.objects.filter(loan=loan, version=2).order_by("number"))
    assert sum(x.principal for x in new) == grown
    assert [x.grace for x in new[:3]] == [True, True, False]
    assert new[0].penalty_carried == 0  # waived
    assert change.standing["capitalised"] == before.interest_arrears
    assert_the_books_add_up(world)


def test_a_proposal_is_rejected_with_a_reason_by_another_user_and_bad_terms_are_refused(world):
    loan = disbursed(world)
    with pytest.raises(ChangeRefused):
        change_propose(loan=loan, kind="RESTRUCTURE", effective_on=date(2026, 3, 1), reason="x", actor=world.assessor,
                       terms=Restructuring(0, Decimal("6"), Method.ANNUITY), occurred_at=NOW)  # fmt: skip
    with pytest.raises(ChangeRefused):  # before the loan began
        change_propose(loan=loan, kind="WRITE_OFF", effective_on=date(2025, 12, 1), reason="x", actor=world.assessor,
                       occurred_at=NOW)  # fmt: skip
    change = change_propose(loan=loan, kind="WRITE_OFF", effective_on=date(2026, 3, 1), reason="Koperasi bubar",
                            actor=world.assessor, occurred_at=NOW)  # fmt: skip
    with pytest.raises(ChangeRefused):
        change_reject(change=change, reason=" ", actor=world.approver, occurred_at=NOW)
    with pytest.raises(PermissionDenied):
        change_reject(change=change, reason="Belum", actor=world.assessor, occurred_at=NOW)
    change = change_reject(change=change, reason="Tagih dulu lewat PUPN", actor=world.approver, occurred_at=NOW)
    assert change.status == "REJECTED"
    loan.refresh_from_db()
    assert (loan.status, loan.schedule_version) == ("ACTIVE", 1)


# --- write-off ---------------------------------------------------------------------------------


def test_a_written_off_loan_leaves_the_receivables_and_a_later_recovery_lowers_the_write_offs(world):
    loan, _other = disbursed(world), disbursed(world)
    pay_grace_interest(world, loan, 1)
    portfolio_run(fund=world.fund, as_of=date(2026, 9, 1), actor=None, occurred_at=NOW)
    assert LoanHealth.objects.filter(loan=loan).exists()
    change = change_propose(loan=loan, kind="WRITE_OFF", effective_on=date(2026, 9, 1), reason="Macet, usaha tutup",
                            actor=world.assessor, occurred_at=NOW)  # fmt: skip
    change = change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    loan.refresh_from_db()
    assert loan.status == "WRITTEN_OFF"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    assert ledger.account_balance(writeoff_account(world.fund).pk) == 250_000_000
    assert change.standing["written_off"] == 250_000_000
    assert not LoanHealth.objects.filter(loan=loan).exists()
    assert (
        portfolio_run(fund=world.fund, as_of=date(2026, 9, 2), actor=None, occurred_at=NOW).loans == 1
    )  # only `other`
    assert_the_books_add_up(world)
    with pytest.raises(ChangeRefused):
        change_propose(loan=loan, kind="WRITE_OFF", effective_on=date(2026, 9, 3), reason="x", actor=world.assessor,
                       occurred_at=NOW)  # fmt: skip

    # Still owed: a recovery pays the penalty and interest first, its principal lowers the write-offs.
    owed = loan_position(loan, as_of=date(2026, 10, 1))
    recovered = repay(world, loan, owed.penalty_owed + owed.arrears + 10_000_000, date(2026, 10, 1), "PUPN-1")
    assert recovered.allocation["principal"] > 0
    assert ledger.account_balance(writeoff_account(world.fund).pk) == 250_000_000 - recovered.allocation["principal"]
    assert_the_books_add_up(world)
    repayment_reverse(repayment=recovered, reason="Dana ditarik", actor=world.approver, occurred_at=NOW,
                      recorded_at=NOW)  # fmt: skip
    assert ledger.account_balance(writeoff_account(world.fund).pk) == 250_000_000
    assert_the_books_add_up(world)
    before = Repayment.objects.get(bank_reference=f"G{loan.pk}-1")  # paid interest only: may be reversed
    repayment_reverse(repayment=before, reason="Salah", actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    assert_the_books_add_up(world)


def test_a_repayment_of_principal_before_a_write_off_can_no_longer_be_reversed(world):
    loan = disbursed(world)
    paid = repay(world, loan, 20_000_000, date(2026, 2, 12), "BIG")  # interest, then principal in advance
    assert paid.allocation["principal"] > 0
    change = change_propose(loan=loan, kind="WRITE_OFF", effective_on=date(2026, 9, 1), reason="Macet",
                            actor=world.assessor, occurred_at=NOW)  # fmt: skip
    change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    with pytest.raises(NotReversible):
        repayment_reverse(repayment=paid, reason="Salah", actor=world.approver, occurred_at=NOW, recorded_at=NOW)
    assert_the_books_add_up(world)


# --- early settlement --------------------------------------------------------------------------


def test_early_settlement_charges_the_running_period_pro_rata_and_rebates_later_interest(world):
    loan = disbursed(world)
    for n in range(1, 9):  # every instalment on time to Sep 12 (#8)
        repay(world, loan, line(loan, n).total, line(loan, n).due_on, f"P{n}")
    on = date(2026, 9, 27)  # 15 of the 30 days to Oct 12
    quote = loan_standing(loan, on=on)
    outstanding = line(loan, 8).outstanding
    assert (quote.principal, quote.interest_arrears, quote.penalty) == (outstanding, 0, 0)
    assert quote.running_interest == round_rupiah(Decimal(line(loan, 9).interest) / 2)
    assert quote.payoff == outstanding + quote.running_interest
    with pytest.raises(SettlementShort) as short:
        loan_settle(loan=loan, paid_on=on, amount=quote.payoff - 1, bank_reference="LUNAS-1", actor=world.assessor,
                    occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    assert short.value.details == {"payoff": quote.payoff}
    repayment = loan_settle(loan=loan, paid_on=on, amount=quote.payoff, bank_reference="LUNAS-1",
                            actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    assert (repayment.allocation["principal"], repayment.allocation["interest"]) == (
        outstanding,
        quote.running_interest,
    )
    settlement = LoanChange.objects.get(loan=loan, kind="SETTLEMENT")
    later_interest = sum(line(loan, n).interest for n in range(9, 37))
    assert settlement.standing["rebate"] == later_interest - quote.running_interest > 0
    again = loan_settle(loan=loan, paid_on=on, amount=quote.payoff, bank_reference="LUNAS-1", actor=world.assessor,
                        occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    assert again.pk == repayment.pk
    assert_the_books_add_up(world)

    # The transfer bounced: reversing its payment undoes the settlement; the loan runs on as before.
    repayment_reverse(repayment=repayment, reason="Transfer gagal", actor=world.approver, occurred_at=NOW,
                      recorded_at=NOW)  # fmt: skip
    loan.refresh_from_db()
    settlement.refresh_from_db()
    assert (loan.status, loan.schedule_version, loan.schedule_from, settlement.status) == (
        "ACTIVE",
        1,
        None,
        "REVERSED",
    )
    assert loan_position(loan, as_of=on).principal_outstanding == outstanding
    assert_the_books_add_up(world)


def test_interest_paid_in_advance_beyond_the_running_period_goes_to_the_principal_at_settlement(world):
    loan = disbursed(world)
    repay(world, loan, line(loan, 1).total, line(loan, 1).due_on, "P1")
    repay(world, loan, 5 * 1_250_000, date(2026, 2, 20), "ADV")  # the interest of #2 … #6, in advance
    on = date(2026, 3, 1)
    quote = loan_standing(loan, on=on)
    assert quote.interest_prepaid == 5 * 1_250_000
    assert quote.interest < 0
    assert quote.payoff == 250_000_000 + quote.interest
    loan_settle(loan=loan, paid_on=on, amount=quote.payoff + 50_000, bank_reference="LUNAS", actor=world.assessor,
                occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    assert overpaid_total(world.fund) == 50_000
    assert_the_books_add_up(world)


# --- capitalised grace interest ----------------------------------------------------------------


def capitalising_loan(world):
    product = product_create(
        fund=world.fund, code="kapital", name="Stimulus, bunga masa tenggang dikapitalisasi", min_amount=100_000_000,
        max_amount=300_000_000, annual_rate=Decimal("6"), method=Method.DECLINING, months=12, grace=3,
        grace_interest=GraceInterest.CAPITALISE, occurred_at=NOW, actor=world.assessor,
    )  # fmt: skip
    world.product = product
    application = approved(world, 200_000_000)
    return loan_disburse(application=application, disbursed_on=date(2026, 1, 12), bank_reference="SP2D-K",
                         actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip


def test_grace_interest_capitalised_enters_the_receivable_on_its_due_dates_and_is_repaid(world):
    loan = capitalising_loan(world)
    caps = [line(loan, n).capitalised for n in (1, 2, 3)]
    assert caps == [1_000_000, 1_005_000, 1_010_025]
    assert loan_position(loan, as_of=date(2026, 3, 1)).principal_outstanding == 200_000_000 + caps[0]
    portfolio_run(
        fund=world.fund, as_of=date(2026, 3, 12), actor=None, occurred_at=NOW
    )  # the nightly run posts what is due
    assert ledger.account_balance(loan.receivable_account_id) == 200_000_000 + caps[0] + caps[1]
    portfolio_run(fund=world.fund, as_of=date(2026, 3, 12), actor=None, occurred_at=NOW)  # and only once
    assert ledger.account_balance(loan.receivable_account_id) == 200_000_000 + caps[0] + caps[1]
    for n in range(4, 13):  # a repayment posts the rest first
        repay(world, loan, line(loan, n).total, line(loan, n).due_on, f"K{n}")
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    assert Instalment.objects.filter(loan=loan, capitalised__gt=0, capitalised_entry_id__isnull=True).count() == 0
    assert_the_books_add_up(world)


def test_settling_in_a_capitalising_grace_month_owes_its_interest_pro_rata_not_the_later_ones(world):
    loan = capitalising_loan(world)
    on = date(2026, 2, 27)  # 15 of the 28 days of #2's month; #1 capitalised on Feb 12
    quote = loan_standing(loan, on=on)
    assert quote.principal == 201_000_000
    assert quote.running_interest == round_rupiah(Decimal(1_005_000) * 15 / 28)
    loan_settle(loan=loan, paid_on=on, amount=quote.payoff, bank_reference="LUNAS-K", actor=world.assessor,
                occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "REPAID"
    assert ledger.account_balance(loan.receivable_account_id) == 0
    assert_the_books_add_up(world)


# --- everything at once ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_mix_of_repayments_and_changes_keeps_the_books(world, seed):
    """Random repayments (on time, late, short, large), restructurings, settlements, write-offs and
    recoveries over three loans: after each step the invariants hold."""
    rng = random.Random(seed)  # noqa: S311 - test traffic, not secrets
    loans = [disbursed(world) for _ in range(3)]
    day = date(2026, 1, 12)
    for refs in range(18):
        day = date.fromordinal(day.toordinal() + rng.randint(5, 40))
        loan = Loan.objects.get(pk=rng.choice(loans).pk)
        roll = rng.random()
        try:
            if roll < 0.6:
                repay(world, loan, rng.choice([1_250_000, 3_000_000, 9_000_000, 40_000_000]), day, f"X{refs}")
            elif roll < 0.75 and loan.status == "ACTIVE":
                terms = Restructuring(rng.randint(6, 30), Decimal(rng.choice(["3", "6"])), rng.choice(list(Method)),
                                      arrears=rng.choice([CARRY, CAPITALISE]), waive_penalty=rng.random() < 0.3)  # fmt: skip
                change = change_propose(loan=loan, kind="RESTRUCTURE", effective_on=day, terms=terms, reason="acak",
                                        actor=world.assessor, occurred_at=NOW)  # fmt: skip
                change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
            elif roll < 0.85 and loan.status == "ACTIVE":
                quote = loan_standing(loan, on=day)
                loan_settle(loan=loan, paid_on=day, amount=quote.payoff, bank_reference=f"X{refs}",
                            actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
            elif roll < 0.92 and loan.status == "ACTIVE":
                change = change_propose(loan=loan, kind="WRITE_OFF", effective_on=day, reason="acak",
                                        actor=world.assessor, occurred_at=NOW)  # fmt: skip
                change_approve(change=change, actor=world.approver, occurred_at=NOW, recorded_at=NOW)
            else:
                latest = loan.repayments.filter(status="POSTED").order_by("-paid_on", "-recorded_at", "-id").first()
                if latest is not None:
                    repayment_reverse(repayment=latest, reason="acak", actor=world.approver, occurred_at=NOW,
                                      recorded_at=NOW)  # fmt: skip
        except (FundError, PermissionDenied):
            pass  # refused (a day before the schedule began, a change to a closed loan…): nothing moved
        assert_the_books_add_up(world)
    assert LoanChange.objects.filter(status="APPROVED").count() >= 3  # the seeds do reach the changes
    assert Repayment.objects.filter(status="POSTED").count() >= 5
