"""Where a loan stands, from its schedule and its repayments replayed in date order. Pure: no
database. The repayment service and the portfolio both read loans through `replay`.

- **Penalty.** Each instalment overdue for more than `penalty_grace_days` accrues, every further day,
  `penalty_rate_per_day` percent of what of it is unpaid (principal and interest). Accrued exactly,
  rounded half up to the rupiah when it is owed (an instalment's penalty owed is its rounded accrual
  less what was paid of it).
- **Allocation.** A repayment on day d first pays what is due by d, category by category in the
  product's order (default penalty → interest → principal), the oldest instalment first within each;
  what is left pays the next instalments in advance, each one's interest then principal as scheduled;
  beyond the whole schedule it is an overpayment, owed back to the cooperative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from betang.core.money import round_rupiah
from betang.fund.quality import days_past_due

ORDER = ("PENALTY", "INTEREST", "PRINCIPAL")


@dataclass(frozen=True)
class Due:
    number: int
    due_on: date
    principal: int
    interest: int
    capitalised: int = 0  # grace interest added to the principal on due_on (GraceInterest.CAPITALISE)
    penalty: int = 0  # penalty carried from an earlier schedule version, owed from the start


@dataclass(frozen=True)
class Payment:
    paid_on: date
    amount: int


@dataclass
class Line:
    number: int
    due_on: date
    principal: int
    interest: int
    principal_paid: int = 0
    interest_paid: int = 0
    penalty_paid: int = 0
    penalty_accrued: Decimal = Decimal(0)
    accrued_to: date | None = None
    capitalised: int = 0

    @property
    def unpaid(self) -> int:
        return self.principal - self.principal_paid + self.interest - self.interest_paid

    @property
    def penalty_owed(self) -> int:
        return round_rupiah(self.penalty_accrued) - self.penalty_paid

    def owed(self, category: str) -> int:
        if category == "PENALTY":
            return self.penalty_owed
        if category == "INTEREST":
            return self.interest - self.interest_paid
        return self.principal - self.principal_paid

    def pay(self, category: str, amount: int) -> None:
        if category == "PENALTY":
            self.penalty_paid += amount
        elif category == "INTEREST":
            self.interest_paid += amount
        else:
            self.principal_paid += amount


@dataclass(frozen=True)
class Allocation:
    paid_on: date
    amount: int
    penalty: int
    interest: int
    principal: int
    overpaid: int
    by_instalment: dict[int, dict[str, int]]  # number → {"PENALTY": n, "INTEREST": n, "PRINCIPAL": n}

    def as_dict(self) -> dict:
        return {
            "paid_on": self.paid_on.isoformat(),
            "amount": self.amount,
            "penalty": self.penalty,
            "interest": self.interest,
            "principal": self.principal,
            "overpaid": self.overpaid,
            "by_instalment": {str(k): v for k, v in self.by_instalment.items()},
        }


@dataclass
class Position:
    as_of: date
    lines: list[Line]
    allocations: list[Allocation] = field(default_factory=list)
    overpaid: int = 0

    @property
    def principal_outstanding(self) -> int:
        """Principal still owed on as_of: interest capitalised in a grace month counts from its due date."""
        return sum(x.principal - x.principal_paid for x in self.lines) - sum(
            x.capitalised for x in self.lines if x.due_on > self.as_of
        )

    @property
    def arrears(self) -> int:
        """Principal and interest due by as_of and unpaid."""
        return sum(x.unpaid for x in self.lines if x.due_on <= self.as_of)

    @property
    def penalty_owed(self) -> int:
        return sum(x.penalty_owed for x in self.lines)

    @property
    def oldest_unpaid_due(self) -> date | None:
        """The due date of the oldest instalment due before as_of and not wholly paid."""
        late = [x.due_on for x in self.lines if x.due_on < self.as_of and x.unpaid > 0]
        return min(late) if late else None

    @property
    def days_past_due(self) -> int:
        """Days since the oldest instalment due and not wholly paid (0 when none; no disaster pauses)."""
        return days_past_due(self.oldest_unpaid_due, self.as_of)

    @property
    def next_due(self) -> Line | None:
        return next((x for x in self.lines if x.unpaid > 0), None)

    @property
    def settled(self) -> bool:
        return all(x.unpaid == 0 for x in self.lines) and self.penalty_owed == 0


def _days_late(line: Line, day: date, grace_days: int) -> int:
    return max(0, (day - line.due_on).days - grace_days)


def _accrue(lines: list[Line], day: date, rate: Decimal, grace_days: int) -> None:
    """Penalties accrued on each instalment's unpaid part up to `day` (it was constant since the last)."""
    if not rate:
        return
    for line in lines:
        start = line.accrued_to or line.due_on
        if day <= start:
            continue
        days = _days_late(line, day, grace_days) - _days_late(line, start, grace_days)
        if days > 0 and line.unpaid > 0:
            line.penalty_accrued += Decimal(line.unpaid) * rate / 100 * days
        line.accrued_to = day


def replay(
    schedule: Sequence[Due],
    payments: Sequence[Payment],
    *,
    as_of: date,
    penalty_rate_per_day: Decimal = Decimal(0),
    penalty_grace_days: int = 0,
    order: Sequence[str] = ORDER,
) -> Position:
    """The loan's position on `as_of` after these payments (in date order; none after as_of)."""
    if sorted(order) != sorted(ORDER):
        raise ValueError("the order names PENALTY, INTEREST and PRINCIPAL, each once")
    rate = Decimal(penalty_rate_per_day)
    lines = [
        Line(d.number, d.due_on, d.principal, d.interest, penalty_accrued=Decimal(d.penalty), capitalised=d.capitalised)
        for d in sorted(schedule, key=lambda d: d.number)
    ]
    position = Position(as_of, lines)
    previous = None
    for payment in payments:
        if payment.amount <= 0:
            raise ValueError("a payment is a positive amount")
        if previous is not None and payment.paid_on < previous:
            raise ValueError("payments are replayed in date order")
        if payment.paid_on > as_of:
            raise ValueError("a payment after the day asked about")
        previous = payment.paid_on
        _accrue(lines, payment.paid_on, rate, penalty_grace_days)
        position.allocations.append(_allocate(position, payment, order))
    _accrue(lines, as_of, rate, penalty_grace_days)
    return position


def _allocate(position: Position, payment: Payment, order: Sequence[str]) -> Allocation:
    left = payment.amount
    taken: dict[int, dict[str, int]] = {}
    totals = dict.fromkeys(ORDER, 0)

    def take(line: Line, category: str) -> None:
        nonlocal left
        amount = min(left, line.owed(category))
        if amount > 0:
            line.pay(category, amount)
            left -= amount
            totals[category] += amount
            taken.setdefault(line.number, dict.fromkeys(ORDER, 0))[category] += amount

    due = [x for x in position.lines if x.due_on <= payment.paid_on]
    for category in order:  # what is due, category by category, oldest first
        for line in due:
            take(line, category)
    for line in position.lines:  # then the next instalments in advance, as scheduled
        if line.due_on > payment.paid_on:
            take(line, "INTEREST")
            take(line, "PRINCIPAL")
    position.overpaid += left
    return Allocation(
        payment.paid_on, payment.amount, totals["PENALTY"], totals["INTEREST"], totals["PRINCIPAL"], left, taken
    )


@dataclass(frozen=True)
class Standing:
    """What a loan owes on a day, to close it or to restructure it: the principal outstanding; the
    interest of the instalments due and unpaid; the interest of the running period up to that day,
    pro rata to its days (the rest of it, and every later instalment's interest, is not owed: the
    early-settlement rebate); less interest already paid in advance on instalments due after it; and
    the penalty owed."""

    on: date
    principal: int
    interest_arrears: int
    running_interest: int
    interest_prepaid: int
    penalty: int

    @property
    def interest(self) -> int:
        """Interest owed on the day, net of interest paid in advance (negative: paid beyond it)."""
        return self.interest_arrears + self.running_interest - self.interest_prepaid

    @property
    def payoff(self) -> int:
        """What closes the loan that day."""
        return self.principal + self.interest + self.penalty

    def as_dict(self) -> dict:
        return {
            "on": self.on.isoformat(),
            "principal": self.principal,
            "interest_arrears": self.interest_arrears,
            "running_interest": self.running_interest,
            "interest_prepaid": self.interest_prepaid,
            "penalty": self.penalty,
            "payoff": self.payoff,
        }


def standing(position: Position, *, period_start: date) -> Standing:
    """Where the loan stands on position.as_of (see Standing). `period_start` is the day the
    schedule's first period began (its disbursement, or the day its version took over).

    The running period is the one of the first instalment due after the day: from the previous
    instalment's due date (or period_start) to its own. Its interest (or, in a capitalising grace
    month, the interest it would add to the principal) is owed for the days elapsed, rounded half up."""
    on = position.as_of
    later = [x for x in position.lines if x.due_on > on]
    running = 0
    if later:
        line = later[0]
        before = [x.due_on for x in position.lines if x.due_on < line.due_on]
        start = max(before) if before else period_start
        days = (line.due_on - start).days
        elapsed = min(max((on - start).days, 0), days)
        if days > 0:
            running = round_rupiah(Decimal(line.interest or line.capitalised) * elapsed / days)
    return Standing(
        on=on,
        principal=position.principal_outstanding,
        interest_arrears=sum(x.interest - x.interest_paid for x in position.lines if x.due_on <= on),
        running_interest=running,
        interest_prepaid=sum(x.interest_paid for x in later),
        penalty=position.penalty_owed,
    )
