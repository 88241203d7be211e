"""The revolving fund's writes: funds and their capital, products, applications (submitted by the
cooperative, assessed by a fund officer, decided by another user), and disbursement through the
ledger with the schedule generated then. Every write is audited; money moves only by ledger entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.errors import DomainError, PermissionDenied
from betang.core.ids import new_id
from betang.core.money import format_rupiah, round_rupiah
from betang.fund import posting
from betang.fund.allocation import Due, Payment, Position, replay
from betang.fund.models import Application, Fund, Instalment, Loan, LoanChange, Product, Repayment
from betang.fund.schedules import GraceInterest, Method, ScheduleError, Terms, schedule
from betang.ledger import selectors as ledger
from betang.ledger.services import InsufficientFunds, account_open, entry_reverse, journal_post
from betang.regions.scope import RegionScope

# What the assessment looks at (DOMAIN §6.1: legal standing, governance, books, a plan, no arrears).
CHECKLIST = {
    "legal_entity": gettext_lazy("Legal entity registered (AHU)"),
    "annual_meeting": gettext_lazy("Annual members' meeting (RAT) held this year"),
    "financial_report": gettext_lazy("Financial report of the last year"),
    "business_plan": gettext_lazy("Business plan for the loan"),
    "board_guarantee": gettext_lazy("Personal guarantee of the board and supervisors"),
    "no_arrears": gettext_lazy("No arrears on an earlier loan of the fund"),
}


# First path segments of the fund's pages (fund.urls): a fund coded so would be hidden behind them.
RESERVED_CODES = frozenset({"koperasi", "pengajuan", "pinjaman", "angsuran", "perubahan"})


class FundError(DomainError):
    code = "fund"
    http_status = 409


class PoolShort(FundError):
    code = "fund.pool_short"
    message = gettext_lazy("The fund's pool does not hold enough to disburse this loan.")


class SameUser(PermissionDenied):
    code = "fund.same_user"
    message = gettext_lazy("An application is decided by another user than the one who assessed it.")


def _state(application: Application, *allowed: str) -> None:
    if application.status not in allowed:
        raise FundError(
            _("This application is %(status)s; that cannot be done now.") % {"status": application.get_status_display()}
        )


def fund_create(
    *,
    code: str,
    name: str,
    region_code: str,
    occurred_at: datetime,
    actor: Any,
    source: str = "",
    legal_basis: str = "",
) -> Fund:
    if code in RESERVED_CODES:
        raise FundError(_("The code %(code)s names a page of the fund: choose another.") % {"code": code})
    with transaction.atomic():
        pool = account_open(**posting.pool_account(code), occurred_at=occurred_at, region_code=region_code)
        funding = account_open(**posting.funding_account(code), occurred_at=occurred_at, region_code=region_code)
        income = account_open(**posting.income_account(code), occurred_at=occurred_at, region_code=region_code)
        fund = Fund.objects.create(
            code=code,
            name=name,
            region_code=region_code,
            source=source,
            legal_basis=legal_basis,
            pool_account=pool,
            funding_account=funding,
            income_account=income,
            created_at=occurred_at,
        )
        audit_record(actor=actor, event="fund.created", occurred_at=occurred_at, obj=fund, changes={"code": code})
    return fund


def fund_capital_add(
    *, fund: Fund, amount: int, reference: str, occurred_at: datetime, recorded_at: datetime, actor: Any = None
):
    """Capital transferred into the pool (the bank reference is the idempotency key)."""
    if type(amount) is not int or amount <= 0:
        raise FundError(_("The amount must be a positive whole number of rupiah."))
    with transaction.atomic():
        posted = journal_post(
            key=f"fund:{fund.code}:capital:{reference}",
            kind="fund.capital",
            legs=posting.capital_legs(amount, pool=fund.pool_account_id, funding=fund.funding_account_id),
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            memo=reference,
        )
        if posted.created:
            audit_record(
                actor=actor,
                event="fund.capital_added",
                occurred_at=occurred_at,
                obj=fund,
                changes={"amount": amount, "reference": reference},
            )
    return posted


def pool_balance(fund: Fund) -> int:
    return ledger.account_balance(fund.pool_account_id)


def writeoff_account(fund: Fund):
    """The fund's receivables written off (opened the first time it is needed)."""
    return account_open(**posting.writeoff_account(fund.code), occurred_at=fund.created_at)


def product_create(
    *,
    fund: Fund,
    code: str,
    name: str,
    min_amount: int,
    max_amount: int,
    annual_rate: Decimal,
    method: Method,
    months: int,
    occurred_at: datetime,
    actor: Any,
    grace: int = 0,
    grace_interest: GraceInterest = GraceInterest.PAY,
    admin_fee_rate: Decimal = Decimal(0),
    penalty_rate_per_day: Decimal = Decimal(0),
    penalty_grace_days: int = 0,
    allocation_order: str = "PENALTY,INTEREST,PRINCIPAL",
) -> Product:
    order = [part.strip().upper() for part in allocation_order.split(",")]
    if sorted(order) != ["INTEREST", "PENALTY", "PRINCIPAL"]:
        raise FundError(_("The repayment order names PENALTY, INTEREST and PRINCIPAL, each once."))
    try:  # the terms must make a schedule at both ends of the range
        for amount in (min_amount, max_amount):
            schedule(
                Terms(
                    amount,
                    Decimal(annual_rate),
                    months,
                    Method(method),
                    date(2026, 1, 1),
                    grace,
                    GraceInterest(grace_interest),
                )
            )
    except (ScheduleError, ValueError) as exc:
        raise FundError(str(exc)) from None
    with transaction.atomic():
        product = Product.objects.create(
            fund=fund,
            code=code,
            name=name,
            min_amount=min_amount,
            max_amount=max_amount,
            annual_rate=annual_rate,
            method=Method(method).value,
            months=months,
            grace=grace,
            grace_interest=GraceInterest(grace_interest).value,
            admin_fee_rate=admin_fee_rate,
            penalty_rate_per_day=penalty_rate_per_day,
            penalty_grace_days=penalty_grace_days,
            allocation_order=",".join(order),
            created_at=occurred_at,
        )
        audit_record(
            actor=actor,
            event="fund.product_created",
            occurred_at=occurred_at,
            obj=product,
            changes={"code": code},
            region_code=fund.region_code,
        )
    return product


def terms_of(product: Product, amount: int, start: date) -> Terms:
    return Terms(
        amount=amount,
        annual_rate=Decimal(product.annual_rate),
        months=product.months,
        method=Method(product.method),
        start=start,
        grace=product.grace,
        grace_interest=GraceInterest(product.grace_interest),
    )


def application_submit(
    *,
    product: Product,
    cooperative: Any,
    amount: int,
    purpose: str,
    actor: Any,
    occurred_at: datetime,
    business_plan: Any = None,
) -> Application:
    """A cooperative applies (its operator, or a fund officer for it): one inside the fund's area and
    the applicant's."""
    if not product.is_active:
        raise FundError(_("This product is closed for applications."))
    if not RegionScope(product.fund.region_code).contains(cooperative.region_code):
        raise FundError(_("The fund does not lend in this cooperative's area."))
    scope = getattr(actor, "region_scope", None)
    if scope is not None and not scope.contains(cooperative.region_code):
        raise FundError(_("No such cooperative in your area."))
    if type(amount) is not int or not product.min_amount <= amount <= product.max_amount:
        raise FundError(
            _("A loan of this product is between %(low)s and %(high)s.")
            % {"low": format_rupiah(product.min_amount), "high": format_rupiah(product.max_amount)}
        )
    if not purpose.strip():
        raise FundError(_("Say what the loan is for."))
    with transaction.atomic():
        application = Application.objects.create(
            product=product,
            cooperative=cooperative,
            region_code=cooperative.region_code,
            amount=amount,
            purpose=purpose.strip()[:500],
            business_plan=business_plan or "",
            submitted_by=actor if getattr(actor, "pk", None) else None,
            submitted_at=occurred_at,
        )
        audit_record(
            actor=actor, event="fund.application_submitted", occurred_at=occurred_at, obj=application,
            changes={"amount": amount, "product": product.code},
        )  # fmt: skip
    return application


def application_assess(
    *, application: Application, checklist: dict[str, bool], score: int, note: str, actor: Any, occurred_at: datetime
) -> Application:
    """The fund officer's assessment: every checklist item answered, a score of 0–100, a note."""
    if set(checklist) != set(CHECKLIST):
        raise FundError(_("Answer every item of the checklist."))
    if type(score) is not int or not 0 <= score <= 100:
        raise FundError(_("The score is a whole number from 0 to 100."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _state(application, Application.Status.SUBMITTED, Application.Status.ASSESSED)
        application.checklist = {key: bool(checklist[key]) for key in CHECKLIST}
        application.score, application.assessment_note = score, note.strip()[:1000]
        application.assessed_by, application.assessed_at = actor, occurred_at
        application.status = Application.Status.ASSESSED
        application.save(
            update_fields=["checklist", "score", "assessment_note", "assessed_by", "assessed_at", "status"]
        )
        audit_record(
            actor=actor, event="fund.application_assessed", occurred_at=occurred_at, obj=application,
            changes={"score": score, "checklist": application.checklist},
        )  # fmt: skip
    return application


def _decide(application: Application, actor: Any, occurred_at: datetime) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _state(application, Application.Status.ASSESSED)
    if getattr(actor, "pk", None) in (application.assessed_by_id, None):
        raise SameUser()
    application.decided_by, application.decided_at = actor, occurred_at
    return application


def application_approve(*, application: Application, actor: Any, occurred_at: datetime) -> Application:
    """Approval by another user than the assessor."""
    with transaction.atomic():
        application = _decide(application, actor, occurred_at)
        application.status = Application.Status.APPROVED
        application.save(update_fields=["decided_by", "decided_at", "status"])
        audit_record(actor=actor, event="fund.application_approved", occurred_at=occurred_at, obj=application)
    return application


def application_reject(*, application: Application, reason: str, actor: Any, occurred_at: datetime) -> Application:
    """Rejection with its reason, by another user than the assessor."""
    if not reason.strip():
        raise FundError(_("Say why the application is rejected."))
    with transaction.atomic():
        application = _decide(application, actor, occurred_at)
        application.status, application.rejection_reason = Application.Status.REJECTED, reason.strip()[:500]
        application.save(update_fields=["decided_by", "decided_at", "status", "rejection_reason"])
        audit_record(
            actor=actor, event="fund.application_rejected", occurred_at=occurred_at, obj=application,
            changes={"reason": application.rejection_reason},
        )  # fmt: skip
    return application


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
        _state(application, Application.Status.APPROVED)
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
            actor=actor, event="fund.loan_disbursed", occurred_at=occurred_at, obj=loan,
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


def capitalisation_post(loan: Loan, *, as_of: date, actor: Any, occurred_at: datetime) -> int:
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
        capitalisation_post(loan, as_of=paid_on, actor=actor, occurred_at=occurred_at)
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
            actor=actor, event="fund.repayment_recorded", occurred_at=occurred_at, obj=repayment, region_code=loan.region_code,
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
            actor=actor, event="fund.repayment_reversed", occurred_at=occurred_at, obj=repayment, region_code=loan.region_code,
            changes={"loan": loan.number, "amount": repayment.amount, "reason": repayment.reversal_reason},
        )  # fmt: skip
    return repayment
