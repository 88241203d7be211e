"""Loans: disbursement through the ledger with the schedule generated then, repayments allocated by
the product's order and posted (recorded in date order, only the latest reversed), and the grace
interest capitalised as it falls due. Every write is audited; money moves only by ledger entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.ids import new_id
from betang.core.money import round_rupiah
from betang.fund import posting
from betang.fund.allocation import Due, Payment, Position, replay
from betang.fund.models import Application, Fund, Instalment, Loan, LoanChange, Repayment
from betang.fund.schedules import schedule
from betang.fund.services.applications import application_state
from betang.fund.services.funds import FundError, pool_balance, terms_of, writeoff_account
from betang.ledger import selectors as ledger
from betang.ledger.services import InsufficientFunds, account_open, entry_reverse, journal_post


class PoolShort(FundError):
    code = "fund.pool_short"
    message = gettext_lazy("The fund's pool does not hold enough to disburse this loan.")


def loan_disburse(
    *,
    application: Application,
    disbursed_on: date,
    bank_reference: str,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> Loan:
    """The approved loan leaves the pool, only up to what the pool holds: Dr the loan's receivable,
    Cr the pool (and the fund's income for the admin fee kept). The schedule is generated now, from
    the product's terms copied onto the loan, and stored. Disbursing an application again returns
    its loan."""
    if not bank_reference.strip():
        raise FundError(_("Give the transfer's bank reference."))
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("product__fund").get(pk=application.pk)
        if application.status == Application.Status.DISBURSED:
            return Loan.objects.get(application=application)
        application_state(application, Application.Status.APPROVED)
        product, fund = application.product, application.product.fund
        list(Fund.objects.select_for_update().filter(pk=fund.pk).values_list("pk", flat=True))  # one at a time: numbers
        terms = terms_of(product, application.amount, disbursed_on)
        lines = schedule(terms)
        fee = round_rupiah(Decimal(application.amount) * Decimal(product.admin_fee_rate) / 100)
        loan_id = new_id()
        year = disbursed_on.year
        number = f"DB-{year}-{Loan.objects.filter(fund=fund, number__startswith=f'DB-{year}-').count() + 1:04d}"
        receivable = account_open(
            **posting.receivable_account(fund.code, loan_id, number, application.region_code), occurred_at=occurred_at
        )
        try:
            posted = journal_post(
                key=f"fund:{fund.code}:disburse:{application.pk}",
                kind="fund.loan.disbursed",
                legs=posting.disbursement_legs(
                    application.amount,
                    fee,
                    receivable=receivable.pk,
                    pool=fund.pool_account_id,
                    income=fund.income_account_id,
                ),
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                actor=actor,
                memo=f"{number} {bank_reference.strip()}"[:300],
            )
        except InsufficientFunds:
            raise PoolShort(details={"pool": pool_balance(fund), "needed": application.amount - fee}) from None
        loan = Loan.objects.create(
            id=loan_id,
            number=number,
            application=application,
            fund=fund,
            product=product,
            cooperative_id=application.cooperative_id,
            region_code=application.region_code,
            amount=application.amount,
            admin_fee=fee,
            annual_rate=product.annual_rate,
            method=product.method,
            months=product.months,
            grace=product.grace,
            grace_interest=product.grace_interest,
            disbursed_on=disbursed_on,
            bank_reference=bank_reference.strip()[:100],
            receivable_account=receivable,
            entry_id=posted.entry_id,
            disbursed_by=actor,
            created_at=occurred_at,
        )
        Instalment.objects.bulk_create(
            Instalment(
                loan=loan,
                version=1,
                number=x.number,
                due_on=x.due,
                principal=x.principal,
                interest=x.interest,
                total=x.total,
                outstanding=x.outstanding,
                grace=x.grace,
                capitalised=x.capitalised,
            )
            for x in lines
        )
        application.status = Application.Status.DISBURSED
        application.save(update_fields=["status"])
        audit_record(
            actor=actor, event="fund.loan.disbursed", occurred_at=occurred_at, obj=loan,
            changes={"number": number, "amount": loan.amount, "admin_fee": fee, "reference": loan.bank_reference},
        )  # fmt: skip
    return loan


# --- repayments --------------------------------------------------------------------------------


class OutOfOrder(FundError):
    code = "fund.repayment_order"
    message = gettext_lazy(
        "Repayments are recorded in the order they were paid: this one is dated before the last one recorded. "
        "Reverse the later ones first."
    )


def _dues(loan: Loan) -> list[Due]:
    rows = loan.instalments.filter(version=loan.schedule_version)
    return [
        Due(*row)
        for row in rows.values_list("number", "due_on", "principal", "interest", "capitalised", "penalty_carried")
    ]


def _posted(loan: Loan, *, until: date | None = None) -> list[Payment]:
    """The loan's posted repayments allocated on its current schedule version."""
    rows = loan.repayments.filter(status=Repayment.Status.POSTED, schedule_version=loan.schedule_version)
    if until is not None:
        rows = rows.filter(paid_on__lte=until)
    return [
        Payment(paid_on, amount)
        for paid_on, amount in rows.order_by("paid_on", "recorded_at", "id").values_list("paid_on", "amount")
    ]


def loan_position(loan: Loan, *, as_of: date, extra: Payment | None = None) -> Position:
    """Where the loan stands on `as_of`: its schedule and its posted repayments replayed (with `extra`
    as the last one, to see how a repayment would be allocated)."""
    payments = _posted(loan, until=as_of) + ([extra] if extra else [])
    product = loan.product
    return replay(
        _dues(loan),
        payments,
        as_of=as_of,
        penalty_rate_per_day=Decimal(product.penalty_rate_per_day),
        penalty_grace_days=product.penalty_grace_days,
        order=product.allocation_order.split(","),
    )


_PAID_STATE = ("principal_paid", "interest_paid", "penalty_paid", "penalty_accrued", "penalty_accrued_to")
_SIX = Decimal("0.000001")


def _write_back(loan: Loan, position: Position) -> None:
    """Store on each instalment what the replay says was paid of it and its penalty accrued, so that
    the portfolio run reads the loans set-based."""
    rows = {i.number: i for i in loan.instalments.filter(version=loan.schedule_version)}
    changed = []
    for line in position.lines:
        row = rows[line.number]
        state = (
            line.principal_paid,
            line.interest_paid,
            line.penalty_paid,
            line.penalty_accrued.quantize(_SIX),
            line.accrued_to,
        )
        if tuple(getattr(row, name) for name in _PAID_STATE) != state:
            for name, value in zip(_PAID_STATE, state, strict=True):
                setattr(row, name, value)
            changed.append(row)
    Instalment.objects.bulk_update(changed, list(_PAID_STATE), batch_size=500)


def capitalisation_post(*, loan: Loan, as_of: date, actor: Any, occurred_at: datetime) -> int:
    """Add to the loan's receivable the grace-period interest capitalised on each instalment due by
    `as_of` and not yet added (GraceInterest.CAPITALISE): Dr receivable, Cr the fund's income, one
    entry per instalment, keyed so that it is posted once. Called before anything reads or moves the
    receivable on a day (a repayment, a change, the nightly run). Returns the rupiah added. Nothing
    accrues on a loan written off: its receivable was emptied, and income is not recognised on it."""
    if loan.status == Loan.Status.WRITTEN_OFF:
        return 0
    pending = list(
        loan.instalments.filter(
            version=loan.schedule_version, capitalised__gt=0, due_on__lte=as_of, capitalised_entry_id__isnull=True
        )
    )
    fund = loan.fund
    for line in pending:
        posted = journal_post(
            key=f"fund:{fund.code}:capitalise:{loan.pk}:v{line.version}:{line.number}",
            kind="fund.loan.interest_capitalised",
            legs=posting.capitalisation_legs(
                line.capitalised, receivable=loan.receivable_account_id, income=fund.income_account_id
            ),
            occurred_at=occurred_at,
            recorded_at=occurred_at,
            actor=actor,
            memo=f"{loan.number} #{line.number}"[:300],
        )
        Instalment.objects.filter(pk=line.pk).update(capitalised_entry_id=posted.entry_id)
    return sum(line.capitalised for line in pending)


class NotReversible(FundError):
    code = "fund.repayment_not_reversible"
    message = gettext_lazy(
        "This repayment was recorded before the loan was restructured, settled or written off: it can no "
        "longer be reversed. Record a correcting entry with the fund's accountant."
    )


def repayment_record(
    *,
    loan: Loan,
    amount: int,
    paid_on: date,
    bank_reference: str,
    actor: Any,
    occurred_at: datetime,
    recorded_at: datetime,
) -> Repayment:
    """Record a repayment (the bank reference identifies it: the same one again returns it), allocate
    it by the product's order and post it: Dr pool, Cr the loan's receivable the principal, Cr income
    interest and penalty, Cr the loan's overpayment account what is beyond the whole loan."""
    reference = bank_reference.strip()[:100]
    if type(amount) is not int or amount <= 0:
        raise FundError(_("The amount must be a positive whole number of rupiah."))
    if not reference:
        raise FundError(_("Give the transfer's bank reference."))
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("product", "fund").get(pk=loan.pk)
        earlier = loan.repayments.filter(bank_reference=reference).first()
        if earlier is not None:
            if (earlier.amount, earlier.paid_on) != (amount, paid_on):
                raise FundError(
                    _("Bank reference %(ref)s was recorded for another repayment.") % {"ref": reference},
                    details={"repayment": str(earlier.pk)},
                )
            return earlier
        if paid_on < loan.disbursed_on:
            raise FundError(_("A repayment cannot be dated before the loan was disbursed."))
        if loan.schedule_from is not None and paid_on < loan.schedule_from:
            raise OutOfOrder(details={"schedule_from": loan.schedule_from.isoformat()})
        last = (
            loan.repayments.filter(status=Repayment.Status.POSTED)
            .order_by("-paid_on")
            .values_list("paid_on", flat=True)
            .first()
        )
        if last is not None and paid_on < last:
            raise OutOfOrder(details={"last_paid_on": last.isoformat()})
        capitalisation_post(loan=loan, as_of=paid_on, actor=actor, occurred_at=occurred_at)
        allocation = loan_position(loan, as_of=paid_on, extra=Payment(paid_on, amount)).allocations[-1]
        fund = loan.fund
        # After a write-off the receivable is empty: principal recovered reduces what was written off.
        principal_account = loan.receivable_account_id
        if loan.status == Loan.Status.WRITTEN_OFF:
            principal_account = writeoff_account(fund).pk
        overpaid_account = None
        if allocation.overpaid:
            overpaid_account = account_open(
                **posting.overpaid_account(fund.code, loan.pk, loan.number, loan.region_code), occurred_at=occurred_at
            ).pk
        posted = journal_post(
            key=f"fund:{fund.code}:repay:{loan.pk}:{reference}",
            kind="fund.loan.repaid",
            legs=posting.repayment_legs(
                amount,
                principal=allocation.principal,
                income=allocation.interest + allocation.penalty,
                overpaid=allocation.overpaid,
                pool=fund.pool_account_id,
                receivable=principal_account,
                income_account=fund.income_account_id,
                overpaid_account=overpaid_account,
            ),
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            memo=f"{loan.number} {reference}"[:300],
        )
        repayment = Repayment.objects.create(
            loan=loan, amount=amount, paid_on=paid_on, bank_reference=reference, allocation=allocation.as_dict(),
            schedule_version=loan.schedule_version, entry_id=posted.entry_id, recorded_by=actor if getattr(actor, "pk", None) else None, recorded_at=recorded_at,
        )  # fmt: skip
        position = loan_position(loan, as_of=paid_on)
        _write_back(loan, position)
        if position.settled and loan.status == Loan.Status.ACTIVE:
            Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.REPAID)
        audit_record(
            actor=actor, event="fund.repayment.recorded", occurred_at=occurred_at, obj=repayment, region_code=loan.region_code,
            changes={"loan": loan.number, "amount": amount, "reference": reference} | {
                k: allocation.as_dict()[k] for k in ("penalty", "interest", "principal", "overpaid")
            },
        )  # fmt: skip
    return repayment


def _settlement_undo(loan: Loan, repayment: Repayment, **when) -> None:
    """The payment of an early settlement reversed: the settlement did not happen. The loan goes back
    to the schedule version before it (and the interest it put to the principal is taken back)."""
    settlement = loan.changes.filter(
        kind=LoanChange.Kind.SETTLEMENT, status=LoanChange.Status.APPROVED, version=repayment.schedule_version
    ).first()
    if (
        settlement is None
        or loan.repayments.filter(status=Repayment.Status.POSTED, schedule_version=settlement.version).exists()
    ):
        return
    if settlement.entry_id:
        entry_reverse(entry_id=settlement.entry_id, key=f"fund:{loan.fund.code}:change-reverse:{settlement.pk}",
                      memo=repayment.reversal_reason, **when)  # fmt: skip
    version = settlement.version - 1
    before = loan.changes.filter(status=LoanChange.Status.APPROVED, version=version).first()
    loan.schedule_version, loan.schedule_from = version, before.effective_on if before else None
    Loan.objects.filter(pk=loan.pk).update(schedule_version=loan.schedule_version, schedule_from=loan.schedule_from)
    settlement.status, settlement.rejection_reason = LoanChange.Status.REVERSED, repayment.reversal_reason
    settlement.save(update_fields=["status", "rejection_reason"])


def repayment_reverse(
    *, repayment: Repayment, reason: str, actor: Any, occurred_at: datetime, recorded_at: datetime
) -> Repayment:
    """Reverse a wrong repayment by a reversing entry (its record stays, marked reversed). Only the
    loan's latest repayment: a later one was allocated on top of it and must be reversed first."""
    if not reason.strip():
        raise FundError(_("Say why the repayment is reversed."))
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("fund").get(pk=repayment.loan_id)
        repayment = Repayment.objects.select_for_update().get(pk=repayment.pk)
        if repayment.status == Repayment.Status.REVERSED:
            return repayment
        latest = (
            loan.repayments.filter(status=Repayment.Status.POSTED).order_by("-paid_on", "-recorded_at", "-id").first()
        )
        if latest is None or latest.pk != repayment.pk:
            raise OutOfOrder()
        # Not one a later schedule version was built on, nor one that repaid principal of a loan since
        # written off (the write-off moved what the receivable held then).
        if repayment.schedule_version != loan.schedule_version or (
            loan.status == Loan.Status.WRITTEN_OFF
            and ledger.entry_amount(repayment.entry_id, loan.receivable_account_id)
        ):
            raise NotReversible()
        reversal = entry_reverse(
            entry_id=repayment.entry_id,
            key=f"fund:{loan.fund.code}:repay-reverse:{repayment.pk}",
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            memo=reason.strip()[:300],
        )
        repayment.status, repayment.reversal_entry_id = Repayment.Status.REVERSED, reversal.entry_id
        repayment.reversed_by, repayment.reversed_at, repayment.reversal_reason = (
            actor,
            occurred_at,
            reason.strip()[:300],
        )
        repayment.save(update_fields=["status", "reversal_entry_id", "reversed_by", "reversed_at", "reversal_reason"])
        _settlement_undo(loan, repayment, actor=actor, occurred_at=occurred_at, recorded_at=recorded_at)
        _write_back(loan, loan_position(loan, as_of=repayment.paid_on))
        if loan.status == Loan.Status.REPAID:
            Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.ACTIVE)
        audit_record(
            actor=actor, event="fund.repayment.reversed", occurred_at=occurred_at, obj=repayment, region_code=loan.region_code,
            changes={"loan": loan.number, "amount": repayment.amount, "reason": repayment.reversal_reason},
        )  # fmt: skip
    return repayment
