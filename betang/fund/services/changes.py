"""Changes to a loan beyond its repayments: restructuring, write-off and early settlement.

- **Restructuring** (reschedule). A fund officer proposes new terms from a day on; another user
  approves. On approval the loan gets a new schedule version (the earlier one stays, as history):
  the principal outstanding that day, over the new tenor, method and rate, starting that day. What
  was owed beyond principal (interest due and unpaid, the running period's interest to that day, the
  penalty) is either carried onto the first new instalment (the penalty as a penalty owed, unless
  waived) or capitalised: added to the principal through the ledger (Dr receivable, Cr income).
  Interest paid in advance for periods that will no longer run goes to the principal (Dr income,
  Cr receivable). Repayments from then on are allocated on the new version.
- **Write-off** (hapus buku). Proposed and approved by two users: what the receivable holds is moved
  to the fund's write-offs (Dr write-offs, Cr receivable). The loan is still owed: a later repayment
  is allocated as before and its principal lowers the write-offs.
- **Early settlement** (pelunasan dipercepat). The cooperative pays everything owed that day
  (`fund.allocation.Standing.payoff`): later interest is not charged, which is the rebate. Recorded at
  once as a one-line schedule version due that day, and the payment on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.audit import audit_record
from betang.core.money import format_rupiah
from betang.fund import posting
from betang.fund.allocation import Standing, standing
from betang.fund.models import Disaster, Instalment, Loan, LoanChange, LoanHealth, Repayment
from betang.fund.schedules import GraceInterest, Method, ScheduleError, Terms, schedule
from betang.fund.schedules import Instalment as ScheduleLine
from betang.fund.services.applications import SameUser
from betang.fund.services.funds import FundError, writeoff_account
from betang.fund.services.loans import capitalisation_post, loan_position, repayment_record
from betang.ledger import selectors as ledger
from betang.ledger.services import journal_post

CARRY, CAPITALISE = "carry", "capitalise"  # what a restructuring does with the arrears


class ChangeRefused(FundError):
    code = "fund.change_refused"


class SettlementShort(FundError):
    code = "fund.settlement_short"
    message = gettext_lazy("The amount does not close the loan.")


@dataclass(frozen=True)
class Restructuring:
    """New terms from the effective day on."""

    months: int
    annual_rate: Decimal
    method: Method
    grace: int = 0
    arrears: str = CARRY  # CARRY onto the first new instalment, or CAPITALISE into the principal
    waive_penalty: bool = False

    def as_dict(self) -> dict:
        return {"months": self.months, "annual_rate": str(self.annual_rate), "method": self.method.value,
                "grace": self.grace, "arrears": self.arrears, "waive_penalty": self.waive_penalty}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Restructuring:
        return cls(int(data["months"]), Decimal(data["annual_rate"]), Method(data["method"]), int(data["grace"]),
                   data["arrears"], bool(data["waive_penalty"]))  # fmt: skip


def period_start(loan: Loan) -> date:
    return loan.schedule_from or loan.disbursed_on


def loan_standing(loan: Loan, *, on: date) -> Standing:
    """What the loan owes on `on` (fund.allocation.Standing): its payoff is the early-settlement amount."""
    return standing(loan_position(loan, as_of=on), period_start=period_start(loan))


@dataclass(frozen=True)
class NewSchedule:
    standing: Standing
    lines: list  # fund.schedules.Instalment, numbered from 1
    capitalised: int  # arrears added to the principal
    credited: int  # interest paid in advance, put to the principal
    penalty_carried: int  # onto the first instalment


def restructured(loan: Loan, terms: Restructuring, *, on: date) -> NewSchedule:
    """The schedule a restructuring from `on` would give (nothing written: the proposal's preview)."""
    if terms.arrears not in (CARRY, CAPITALISE):
        raise ChangeRefused(_("Choose whether the arrears are carried or capitalised."))
    now = loan_standing(loan, on=on)
    credited = max(0, -now.interest)
    interest = max(0, now.interest)
    penalty = 0 if terms.waive_penalty else now.penalty
    principal = now.principal - credited
    capitalised = interest + penalty if terms.arrears == CAPITALISE else 0
    if principal + capitalised <= 0:
        raise ChangeRefused(_("Nothing is left to reschedule: record the repayment that closes the loan."))
    try:
        lines = schedule(
            Terms(principal + capitalised, terms.annual_rate, terms.months, terms.method, on, terms.grace,
                  GraceInterest.PAY)
        )  # fmt: skip
    except ScheduleError as exc:
        raise ChangeRefused(str(exc)) from None
    carried = 0
    if terms.arrears == CARRY and interest:
        lines[0] = replace(lines[0], interest=lines[0].interest + interest, total=lines[0].total + interest)
    if terms.arrears == CARRY:
        carried = penalty
    return NewSchedule(now, lines, capitalised, credited, carried)


def _open_change(loan: Loan) -> LoanChange | None:
    return loan.changes.filter(status=LoanChange.Status.PROPOSED).first()


def _check_day(loan: Loan, on: date) -> None:
    """A change takes effect on a day no repayment of the current schedule comes after."""
    if on < period_start(loan):
        raise ChangeRefused(_("The day is before the loan's current schedule began."))
    last = (
        loan.repayments.filter(status=Repayment.Status.POSTED, schedule_version=loan.schedule_version)
        .order_by("-paid_on")
        .values_list("paid_on", flat=True)
        .first()
    )
    if last is not None and on < last:
        raise ChangeRefused(
            _("A repayment of %(day)s is recorded after that day: the change takes effect on or after it.")
            % {"day": last.isoformat()}
        )


def change_propose(
    *, loan: Loan, kind: str, effective_on: date, reason: str, actor: Any, occurred_at: datetime,
    terms: Restructuring | None = None,
) -> LoanChange:  # fmt: skip
    """A fund officer proposes a restructuring (with its new terms) or a write-off of an active loan;
    another user decides. One proposal at a time per loan."""
    if kind not in (LoanChange.Kind.RESTRUCTURE, LoanChange.Kind.WRITE_OFF):
        raise ChangeRefused(_("Only a restructuring or a write-off is proposed."))
    if not reason.strip():
        raise ChangeRefused(_("Say why."))
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("fund", "product").get(pk=loan.pk)
        if loan.status != Loan.Status.ACTIVE:
            raise ChangeRefused(_("Only an active loan can be restructured or written off."))
        if _open_change(loan) is not None:
            raise ChangeRefused(_("This loan already has a proposal waiting for a decision."))
        _check_day(loan, effective_on)
        if kind == LoanChange.Kind.RESTRUCTURE:
            if terms is None:
                raise ChangeRefused(_("Give the new terms."))
            restructured(loan, terms, on=effective_on)  # refuses terms that make no schedule
        change = LoanChange.objects.create(
            loan=loan, kind=kind, effective_on=effective_on, terms=terms.as_dict() if terms else {},
            reason=reason.strip()[:1000], proposed_by=actor, proposed_at=occurred_at,
        )  # fmt: skip
        audit_record(
            actor=actor, event="fund.change.proposed", occurred_at=occurred_at, obj=change, region_code=loan.region_code,
            changes={"loan": loan.number, "kind": kind, "effective_on": effective_on.isoformat()} | change.terms,
        )  # fmt: skip
    return change


def change_reject(*, change: LoanChange, reason: str, actor: Any, occurred_at: datetime) -> LoanChange:
    if not reason.strip():
        raise ChangeRefused(_("Say why the proposal is rejected."))
    with transaction.atomic():
        change = LoanChange.objects.select_for_update().get(pk=change.pk)
        if change.status != LoanChange.Status.PROPOSED:
            raise ChangeRefused(_("This proposal was already decided."))
        if change.proposed_by_id == getattr(actor, "pk", None):
            raise SameUser()
        change.status, change.decided_by, change.decided_at = LoanChange.Status.REJECTED, actor, occurred_at
        change.rejection_reason = reason.strip()[:500]
        change.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
        audit_record(actor=actor, event="fund.change.rejected", occurred_at=occurred_at, obj=change,
                     region_code=change.loan.region_code, changes={"reason": change.rejection_reason})  # fmt: skip
    return change


def change_approve(*, change: LoanChange, actor: Any, occurred_at: datetime, recorded_at: datetime) -> LoanChange:
    """Another user than the proposer approves, and the change is carried out at once (computed from
    where the loan stands on its effective day, with the repayments recorded by now)."""
    with transaction.atomic():
        change = LoanChange.objects.select_for_update().get(pk=change.pk)
        if change.status != LoanChange.Status.PROPOSED:
            raise ChangeRefused(_("This proposal was already decided."))
        if change.proposed_by_id == getattr(actor, "pk", None):
            raise SameUser(_("A change to a loan is approved by another user than the one who proposed it."))
        loan = Loan.objects.select_for_update().select_related("fund", "product").get(pk=change.loan_id)
        if loan.status != Loan.Status.ACTIVE:
            raise ChangeRefused(_("Only an active loan can be restructured or written off."))
        _check_day(loan, change.effective_on)
        capitalisation_post(loan=loan, as_of=change.effective_on, actor=actor, occurred_at=occurred_at)
        if change.kind == LoanChange.Kind.RESTRUCTURE:
            _restructure(loan, change, actor=actor, occurred_at=occurred_at, recorded_at=recorded_at)
        else:
            _write_off(loan, change, actor=actor, occurred_at=occurred_at, recorded_at=recorded_at)
        change.status, change.decided_by, change.decided_at = LoanChange.Status.APPROVED, actor, occurred_at
        change.save(update_fields=["status", "decided_by", "decided_at", "standing", "version", "entry_id"])
        audit_record(
            actor=actor, event="fund.change.approved", occurred_at=occurred_at, obj=change, region_code=loan.region_code,
            changes={"loan": loan.number, "kind": change.kind} | change.standing,
        )  # fmt: skip
    return change


def _new_version(loan: Loan, lines: list, *, on: date, penalty_carried: int) -> int:
    version = max(loan.instalments.values_list("version", flat=True), default=0) + 1
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan, version=version, number=x.number, due_on=x.due, principal=x.principal, interest=x.interest,
            total=x.total, outstanding=x.outstanding, grace=x.grace, penalty_carried=penalty_carried if n == 0 else 0,
            penalty_accrued=penalty_carried if n == 0 else 0,  # as the replay starts it (fund.allocation)
        )
        for n, x in enumerate(lines)
    )  # fmt: skip
    Loan.objects.filter(pk=loan.pk).update(schedule_version=version, schedule_from=on)
    loan.schedule_version, loan.schedule_from = version, on
    return version


def _post(loan: Loan, key: str, kind: str, legs, *, actor, occurred_at, recorded_at, memo: str):
    return journal_post(key=key, kind=kind, legs=legs, occurred_at=occurred_at, recorded_at=recorded_at, actor=actor,
                        memo=f"{loan.number} {memo}"[:300])  # fmt: skip


def _restructure(loan: Loan, change: LoanChange, **when) -> None:
    plan = restructured(loan, Restructuring.from_dict(change.terms), on=change.effective_on)
    fund, tag = loan.fund, f"fund:{loan.fund.code}:change:{change.pk}"
    # Arrears capitalised (Dr receivable, Cr income) less interest paid in advance put to the principal
    # (Dr income, Cr receivable): on the same two accounts, so one entry of the difference.
    net, accounts = plan.capitalised - plan.credited, {"receivable": loan.receivable_account_id,
                                                       "income": fund.income_account_id}  # fmt: skip
    if net:
        legs = (
            posting.capitalisation_legs(net, **accounts) if net > 0 else posting.interest_credit_legs(-net, **accounts)
        )
        change.entry_id = _post(loan, tag, "fund.loan.restructured", legs, memo=_("restructuring"), **when).entry_id
    change.version = _new_version(loan, plan.lines, on=change.effective_on, penalty_carried=plan.penalty_carried)
    change.standing = plan.standing.as_dict() | {"capitalised": plan.capitalised, "credited": plan.credited,
                                                 "penalty_carried": plan.penalty_carried}  # fmt: skip
    LoanHealth.objects.filter(loan=loan).delete()  # until the next run: the old class no longer holds


def _write_off(loan: Loan, change: LoanChange, **when) -> None:
    now = loan_standing(loan, on=change.effective_on)
    held = ledger.account_balance(loan.receivable_account_id)
    if held > 0:
        legs = posting.writeoff_legs(
            held, receivable=loan.receivable_account_id, writeoff=writeoff_account(loan.fund).pk
        )
        tag = f"fund:{loan.fund.code}:change:{change.pk}"
        change.entry_id = _post(loan, tag, "fund.loan.written_off", legs, memo=_("write-off"), **when).entry_id
    change.standing = now.as_dict() | {"written_off": held}
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.WRITTEN_OFF)
    LoanHealth.objects.filter(loan=loan).delete()


def loan_settle(
    *, loan: Loan, paid_on: date, amount: int, bank_reference: str, actor: Any, occurred_at: datetime,
    recorded_at: datetime,
) -> Repayment:  # fmt: skip
    """Early settlement: the cooperative pays what closes the loan on `paid_on` (its payoff: later
    interest is not charged). Recorded as a one-line schedule version due that day and the repayment
    on it; what is paid beyond the payoff is an overpayment, owed back. The same bank reference again
    returns the repayment."""
    reference = bank_reference.strip()[:100]
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("fund", "product").get(pk=loan.pk)
        earlier = loan.repayments.filter(bank_reference=reference).first() if reference else None
        if earlier is not None:
            return repayment_record(
                loan=loan,
                amount=amount,
                paid_on=paid_on,
                bank_reference=reference,
                actor=actor,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
            )  # fmt: skip (same or refused)
        if loan.status != Loan.Status.ACTIVE:
            raise ChangeRefused(_("Only an active loan can be settled early."))
        if _open_change(loan) is not None:
            raise ChangeRefused(_("This loan has a proposal waiting for a decision: decide it first."))
        if type(amount) is not int or amount <= 0 or not reference:
            raise FundError(_("Give the amount in whole rupiah and the transfer's bank reference."))
        _check_day(loan, paid_on)
        capitalisation_post(loan=loan, as_of=paid_on, actor=actor, occurred_at=occurred_at)
        now = loan_standing(loan, on=paid_on)
        if amount < now.payoff:
            raise SettlementShort(
                _("Closing the loan on that day takes %(payoff)s.") % {"payoff": format_rupiah(now.payoff)},
                details={"payoff": now.payoff},
            )
        change = LoanChange.objects.create(
            loan=loan, kind=LoanChange.Kind.SETTLEMENT, status=LoanChange.Status.APPROVED, effective_on=paid_on,
            reason=_("Early settlement, %(reference)s") % {"reference": reference}, proposed_by=actor,
            proposed_at=occurred_at, decided_by=actor, decided_at=occurred_at,
        )  # fmt: skip
        credited = max(0, -now.interest)
        if credited:
            legs = posting.interest_credit_legs(
                credited, receivable=loan.receivable_account_id, income=loan.fund.income_account_id
            )
            tag = f"fund:{loan.fund.code}:change:{change.pk}"
            change.entry_id = _post(loan, tag, "fund.loan.settled", legs, memo=_("early settlement"),
                                    actor=actor, occurred_at=occurred_at, recorded_at=recorded_at).entry_id  # fmt: skip
        principal, interest = now.principal - credited, max(0, now.interest)
        line = ScheduleLine(1, paid_on, principal, interest, principal + interest, 0)
        change.standing = now.as_dict() | {"credited": credited, "rebate": _rebate(loan, now)}
        change.version = _new_version(loan, [line], on=paid_on, penalty_carried=now.penalty)
        change.save(update_fields=["entry_id", "version", "standing"])
        repayment = repayment_record(loan=loan, amount=amount, paid_on=paid_on, bank_reference=reference, actor=actor,
                                     occurred_at=occurred_at, recorded_at=recorded_at)  # fmt: skip
        audit_record(actor=actor, event="fund.loan.settled", occurred_at=occurred_at, obj=change,
                     region_code=loan.region_code, changes={"loan": loan.number, "amount": amount} | change.standing)  # fmt: skip
    return repayment


def _rebate(loan: Loan, now: Standing) -> int:
    """The interest of the earlier schedule not charged by settling on that day (for the record)."""
    previous = loan.instalments.filter(version=loan.schedule_version, due_on__gt=now.on)
    return sum(previous.values_list("interest", flat=True)) - now.running_interest


def disaster_declare(
    *, region_code: str, starts_on: date, ends_on: date, basis: str, actor: Any, occurred_at: datetime
) -> Disaster:
    """Record a declared disaster (the governor's or regent's decree) over an area and period: the
    loans of cooperatives there do not grow delinquent while it lasts (fund.quality), from the next
    portfolio run. The same area, period and decree again returns the first record."""
    if not basis.strip():
        raise FundError(_("Name the decree that declared it."))
    if ends_on < starts_on:
        raise FundError(_("The period ends before it starts."))
    if not actor.region_scope.contains(region_code):
        raise FundError(_("That area is outside your region."))
    with transaction.atomic():
        disaster, created = Disaster.objects.get_or_create(
            region_code=region_code, starts_on=starts_on, ends_on=ends_on, basis=basis.strip()[:300],
            defaults={"declared_by": actor, "created_at": occurred_at},
        )  # fmt: skip
        if created:
            audit_record(actor=actor, event="fund.disaster.declared", occurred_at=occurred_at, obj=disaster,
                         changes={"area": region_code, "from": starts_on.isoformat(), "until": ends_on.isoformat(),
                                  "basis": disaster.basis})  # fmt: skip
    return disaster
