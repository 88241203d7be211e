"""A revolving-fund loan, from the application to the write-off.

The province puts Rp500 million of APBD capital into a revolving fund (dana bergulir). KDMP Sei
Pasah borrows Rp120 million of working capital on a simple product — 12% a year flat over twelve
months, a 1% admin fee kept at disbursement, a penalty of 0.1% a day on what is late beyond three
days of grace — so that every figure below can be checked with pencil and paper:

- each month's instalment is Rp10.000.000 of principal and Rp1.200.000 of interest (1% of 120 million);
- a late instalment of Rp11.200.000 costs Rp11.200 a day of penalty after its third day.

The story: application, assessment, approval by another officer (the assessor may not decide),
disbursement; a repayment on time, one late with its penalty; the cooperative stops paying and its
quality class worsens as the nightly portfolio run moves the as-of date; the fund restructures the
loan (penalty waived, arrears carried onto the first new instalment); one repayment, then nothing
again, down to Macet; and the write-off. After every step the fund's books add up:
pool + receivable + write-offs = capital + income, and the whole ledger verifies.
"""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from betang.core.errors import PermissionDenied
from betang.fund import posting
from betang.fund.models import Application, Instalment, Loan, LoanChange, LoanHealth
from betang.fund.schedules import Method
from betang.fund.selectors import portfolio_summary
from betang.fund.services.applications import CHECKLIST, application_approve, application_assess, application_submit
from betang.fund.services.changes import CARRY, ChangeRefused, Restructuring, change_approve, change_propose
from betang.fund.services.funds import fund_capital_add, fund_create, pool_balance, product_create
from betang.fund.services.loans import loan_disburse, loan_position, repayment_record
from betang.fund.services.portfolio import portfolio_run
from betang.ledger import selectors as ledger
from betang.ledger.verify import ledger_verify
from betang.registry.services.staff import cooperative_staff_assign
from tests.factories.registry import CooperativeFactory

pytestmark = pytest.mark.django_db

CAPITAL = 500_000_000
PENALTY_A_DAY = Decimal("0.1")  # percent of what is late, each day after the grace days
GRACE_DAYS = 3


def at(day: date) -> datetime:
    """Ten in the morning, Jakarta time, of a business day: when the officer records it."""
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def penalty(unpaid: int, due: list[date], on: date) -> int:
    """The product's penalty rule restated: each instalment of `unpaid` rupiah late on `on` owes
    0.1% of it for every day beyond the three days of grace."""
    return sum(max(0, (on - d).days - GRACE_DAYS) * unpaid * PENALTY_A_DAY / 100 for d in due).to_integral_value()


class Books:
    """The fund's accounts in the ledger, and the one loan's receivable."""

    def __init__(self, fund, loan=None):
        self.fund, self.loan = fund, loan

    def figures(self) -> dict[str, int]:
        writeoff_key = posting.writeoff_account(self.fund.code)["key"]
        writeoff = ledger.accounts_by_key([writeoff_key]).get(writeoff_key)
        return {
            "capital": ledger.account_balance(self.fund.funding_account_id),
            "pool": pool_balance(self.fund),
            "receivable": ledger.account_balance(self.loan.receivable_account_id) if self.loan else 0,
            "income": ledger.account_balance(self.fund.income_account_id),
            "written_off": ledger.account_balance(writeoff[0]) if writeoff else 0,
        }

    def assert_add_up(self) -> None:
        f = self.figures()
        assert f["pool"] + f["receivable"] + f["written_off"] == f["capital"] + f["income"]
        assert all(check.ok for check in ledger_verify())


def health(loan) -> tuple:
    h = LoanHealth.objects.get(loan=loan)
    return h.days_past_due, h.quality, h.problem, h.principal_outstanding, h.arrears, h.penalty_owed


def test_a_loan_from_application_to_write_off(make_user):
    # --- The fund, its capital and its product -------------------------------------------------------
    officer = make_user(role="FUND_OFFICER", scope="62", username="dana.petugas")
    head = make_user(role="FUND_OFFICER", scope="62", username="dana.kepala")
    fund = fund_create(code="khbs-bergulir", name="Dana Bergulir KHBS", region_code="62", occurred_at=at(date(2026, 1, 5)), actor=officer)  # fmt: skip
    fund_capital_add(fund=fund, amount=CAPITAL, reference="SP2D-DB-0001", occurred_at=at(date(2026, 1, 5)),
                     recorded_at=at(date(2026, 1, 5)), actor=officer)  # fmt: skip
    books = Books(fund)
    assert books.figures() == {"capital": CAPITAL, "pool": CAPITAL, "receivable": 0, "income": 0, "written_off": 0}
    product = product_create(
        fund=fund, code="modal-kerja", name="Modal kerja gerai", min_amount=50_000_000, max_amount=150_000_000,
        annual_rate=Decimal("12"), method=Method.FLAT, months=12, admin_fee_rate=Decimal("1"),
        penalty_rate_per_day=PENALTY_A_DAY, penalty_grace_days=GRACE_DAYS, occurred_at=at(date(2026, 1, 5)),
        actor=officer,
    )  # fmt: skip

    # --- The cooperative applies; one officer assesses, another decides --------------------------------
    sei_pasah = CooperativeFactory(name="KDMP Sei Pasah", region_code="62.03.01.1006")
    treasurer = make_user(role="COOPERATIVE_OPERATOR", username="bendahara.seipasah")
    cooperative_staff_assign(user=treasurer, cooperative=sei_pasah, actor=head, occurred_at=at(date(2026, 1, 5)))
    treasurer.refresh_from_db()
    application = application_submit(
        product=product, cooperative=sei_pasah, amount=120_000_000, purpose="Modal kerja gerai sembako",
        actor=treasurer, occurred_at=at(date(2026, 1, 6)),
    )  # fmt: skip
    application_assess(
        application=application, checklist=dict.fromkeys(CHECKLIST, True), score=78,
        note="RAT 2025 terlaksana, laporan keuangan lengkap.", actor=officer, occurred_at=at(date(2026, 1, 8)),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):  # who assessed does not decide
        application_approve(application=application, actor=officer, occurred_at=at(date(2026, 1, 12)))
    application = application_approve(application=application, actor=head, occurred_at=at(date(2026, 1, 12)))
    assert application.status == Application.Status.APPROVED
    assert books.figures()["pool"] == CAPITAL  # approving moves no money

    # --- Disbursement, and the schedule it fixes ---------------------------------------------------------
    loan = loan_disburse(
        application=application, disbursed_on=date(2026, 1, 15), bank_reference="SP2D-DB-0002", actor=officer,
        occurred_at=at(date(2026, 1, 15)), recorded_at=at(date(2026, 1, 15)),
    )  # fmt: skip
    books.loan = loan
    assert (loan.number, loan.amount, loan.admin_fee) == ("DB-2026-0001", 120_000_000, 1_200_000)
    first = list(Instalment.objects.filter(loan=loan, version=1).order_by("number"))
    assert [(i.number, i.due_on, i.principal, i.interest, i.total) for i in first] == [
        (n, date(2026 + (n // 12), n % 12 + 1, 15), 10_000_000, 1_200_000, 11_200_000) for n in range(1, 13)
    ]  # the 15th of each month, February 2026 to January 2027
    assert books.figures() == {
        "capital": CAPITAL,
        "pool": CAPITAL - (120_000_000 - 1_200_000),  # the fee is kept back from the transfer
        "receivable": 120_000_000,  # the cooperative owes all of it
        "income": 1_200_000,
        "written_off": 0,
    }
    books.assert_add_up()

    # --- February: on time ------------------------------------------------------------------------------
    on_time = repayment_record(loan=loan, amount=11_200_000, paid_on=date(2026, 2, 15), bank_reference="BRI-0001",
                               actor=officer, occurred_at=at(date(2026, 2, 15)), recorded_at=at(date(2026, 2, 15)))  # fmt: skip
    assert {k: on_time.allocation[k] for k in ("penalty", "interest", "principal", "overpaid")} == {
        "penalty": 0, "interest": 1_200_000, "principal": 10_000_000, "overpaid": 0,
    }  # fmt: skip
    assert books.figures() == {
        "capital": CAPITAL, "pool": 381_200_000 + 11_200_000, "receivable": 110_000_000,
        "income": 1_200_000 + 1_200_000, "written_off": 0,
    }  # fmt: skip
    books.assert_add_up()

    # --- March: ten days late. Seven days beyond the grace × Rp11.200 = Rp78.400 of penalty, paid first --
    late_on = date(2026, 3, 25)
    position = loan_position(loan, as_of=late_on)
    assert (position.days_past_due, position.arrears, position.penalty_owed) == (10, 11_200_000, 7 * 11_200)
    late = repayment_record(loan=loan, amount=11_200_000 + 78_400, paid_on=late_on, bank_reference="BRI-0002",
                            actor=officer, occurred_at=at(late_on), recorded_at=at(late_on))  # fmt: skip
    assert {k: late.allocation[k] for k in ("penalty", "interest", "principal", "overpaid")} == {
        "penalty": 78_400, "interest": 1_200_000, "principal": 10_000_000, "overpaid": 0,
    }  # fmt: skip
    assert books.figures() == {
        "capital": CAPITAL, "pool": 392_400_000 + 11_278_400, "receivable": 100_000_000,
        "income": 2_400_000 + 1_278_400, "written_off": 0,
    }  # fmt: skip
    books.assert_add_up()

    # --- Then nothing more is paid. The nightly portfolio run, as the months pass (POJK classes) ---------
    portfolio_run(fund=fund, as_of=date(2026, 3, 31), actor=None, occurred_at=at(date(2026, 3, 31)))
    assert health(loan) == (0, "1", False, 100_000_000, 0, 0)  # Lancar
    portfolio_run(fund=fund, as_of=date(2026, 5, 15), actor=None, occurred_at=at(date(2026, 5, 15)))
    # April's instalment is 30 days late; May's falls due today. April's penalty: 27 days × Rp11.200.
    assert health(loan) == (30, "2", False, 100_000_000, 2 * 11_200_000, 27 * 11_200)  # Dalam Perhatian Khusus
    july = date(2026, 7, 20)
    portfolio_run(fund=fund, as_of=july, actor=None, occurred_at=at(july))
    unpaid = [date(2026, m, 15) for m in (4, 5, 6, 7)]
    assert penalty(11_200_000, unpaid, july) == (93 + 63 + 32 + 2) * 11_200 == 2_128_000
    assert health(loan) == (96, "3", True, 100_000_000, 4 * 11_200_000, 2_128_000)  # Kurang Lancar: a problem
    summary = portfolio_summary(fund)
    assert (summary.loans, summary.outstanding, summary.problem_outstanding) == (1, 100_000_000, 100_000_000)
    assert summary.par == {30: 100_000_000, 60: 100_000_000, 90: 100_000_000}
    before = books.figures()

    # --- The fund restructures: 20 months at 6% flat from 20 July, the penalty waived, the unpaid interest
    # carried onto the first new instalment. Proposed by one officer, approved by another. ------------------
    terms = Restructuring(months=20, annual_rate=Decimal("6"), method=Method.FLAT, arrears=CARRY, waive_penalty=True)
    change = change_propose(loan=loan, kind=LoanChange.Kind.RESTRUCTURE, effective_on=july, terms=terms,
                            reason="Gagal panen; usaha gerai dipulihkan.", actor=officer, occurred_at=at(july))  # fmt: skip
    with pytest.raises(PermissionDenied):
        change_approve(change=change, actor=officer, occurred_at=at(july), recorded_at=at(july))
    change = change_approve(change=change, actor=head, occurred_at=at(july), recorded_at=at(july))
    # What the loan owed on 20 July: principal; April–July's interest; five of July's 31 days of interest
    # (1.200.000 × 5 / 31 = 193.548,39, rounded); the penalty (waived).
    assert {k: change.standing[k] for k in ("principal", "interest_arrears", "running_interest", "penalty")} == {
        "principal": 100_000_000, "interest_arrears": 4 * 1_200_000, "running_interest": 193_548, "penalty": 2_128_000,
    }  # fmt: skip
    assert (change.standing["capitalised"], change.standing["penalty_carried"]) == (0, 0)
    loan.refresh_from_db()
    assert (loan.schedule_version, loan.schedule_from) == (2, july)
    second = list(Instalment.objects.filter(loan=loan, version=2).order_by("number"))
    assert len(second) == 20
    assert (second[0].due_on, second[0].principal, second[0].interest, second[0].total) == (
        date(2026, 8, 20), 5_000_000, 500_000 + 4_800_000 + 193_548, 10_493_548,
    )  # fmt: skip
    assert {(i.principal, i.interest) for i in second[1:]} == {(5_000_000, 500_000)}  # 100 million / 20; 0.5% a month
    assert (second[-1].due_on, second[-1].outstanding) == (date(2028, 3, 20), 0)
    assert Instalment.objects.filter(loan=loan, version=1).count() == 12  # the first schedule stays, as history
    assert books.figures() == before  # carrying the arrears moves no money
    assert not LoanHealth.objects.filter(loan=loan).exists()  # its old class no longer holds
    books.assert_add_up()

    # --- August: the first new instalment, on time --------------------------------------------------------
    resumed = repayment_record(loan=loan, amount=10_493_548, paid_on=date(2026, 8, 20), bank_reference="BRI-0003",
                               actor=officer, occurred_at=at(date(2026, 8, 20)), recorded_at=at(date(2026, 8, 20)))  # fmt: skip
    assert (resumed.schedule_version, resumed.allocation["interest"], resumed.allocation["principal"]) == (
        2, 5_493_548, 5_000_000,
    )  # fmt: skip
    assert books.figures() == {
        "capital": CAPITAL, "pool": 403_678_400 + 10_493_548, "receivable": 95_000_000,
        "income": 3_678_400 + 5_493_548, "written_off": 0,
    }  # fmt: skip
    books.assert_add_up()
    portfolio_run(fund=fund, as_of=date(2026, 8, 31), actor=None, occurred_at=at(date(2026, 8, 31)))
    assert health(loan) == (0, "1", False, 95_000_000, 0, 0)  # Lancar again

    # --- And nothing after that: Diragukan by January, Macet by March ---------------------------------------
    new_dues = [date(2026, 9, 20), date(2026, 10, 20), date(2026, 11, 20), date(2026, 12, 20)]
    portfolio_run(fund=fund, as_of=date(2027, 1, 19), actor=None, occurred_at=at(date(2027, 1, 19)))
    assert penalty(5_500_000, new_dues, date(2027, 1, 19)) == (118 + 88 + 57 + 27) * 5_500
    assert health(loan) == (121, "4", True, 95_000_000, 4 * 5_500_000, 1_595_000)
    new_dues += [date(2027, 1, 20), date(2027, 2, 20), date(2027, 3, 20)]
    portfolio_run(fund=fund, as_of=date(2027, 3, 20), actor=None, occurred_at=at(date(2027, 3, 20)))
    assert penalty(5_500_000, new_dues, date(2027, 3, 20)) == (178 + 148 + 117 + 87 + 56 + 25 + 0) * 5_500
    assert health(loan) == (181, "5", True, 95_000_000, 7 * 5_500_000, 3_360_500)
    assert books.figures()["receivable"] == 95_000_000  # penalties are owed, not booked until paid

    # --- The write-off (hapus buku): proposed by one, approved by another ------------------------------------
    end = date(2027, 3, 31)
    write_off = change_propose(loan=loan, kind=LoanChange.Kind.WRITE_OFF, effective_on=end,
                               reason="Usaha berhenti; penagihan diserahkan ke PUPN.", actor=officer,
                               occurred_at=at(end))  # fmt: skip
    with pytest.raises(PermissionDenied):
        change_approve(change=write_off, actor=officer, occurred_at=at(end), recorded_at=at(end))
    write_off = change_approve(change=write_off, actor=head, occurred_at=at(end), recorded_at=at(end))
    assert write_off.standing["written_off"] == 95_000_000
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.WRITTEN_OFF
    assert books.figures() == {
        "capital": CAPITAL, "pool": 414_171_948, "receivable": 0, "income": 9_171_948, "written_off": 95_000_000,
    }  # fmt: skip
    books.assert_add_up()
    with pytest.raises(ChangeRefused):  # nothing more to change on it
        change_propose(loan=loan, kind=LoanChange.Kind.WRITE_OFF, effective_on=end, reason="lagi", actor=officer,
                       occurred_at=at(end))  # fmt: skip

    # The portfolio holds active loans only; the fund's books tell the whole story: of Rp500 million,
    # Rp414.171.948 is at the bank, Rp95 million is written off, and Rp9.171.948 was earned.
    result = portfolio_run(fund=fund, as_of=end, actor=None, occurred_at=at(end))
    assert (result.loans, LoanHealth.objects.filter(loan=loan).exists()) == (0, False)
