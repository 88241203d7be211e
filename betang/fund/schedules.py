"""Repayment schedules of revolving-fund loans, in integer rupiah. Pure functions: no database.

A loan of `amount` rupiah at `annual_rate` percent a year runs `months` monthly instalments, the
first due one month after `start` (the same day of the month, or the month's last day when it has no
such day). The first `grace` of them are the grace period; the method's instalments run for the
remaining `months - grace`.

- **Grace.** Only interest is due (`GraceInterest.PAY`), or nothing is due and each month's interest
  is added to the principal (`GraceInterest.CAPITALISE`); the instalments after it then repay the
  grown principal.
- **Methods**, on the principal P that the instalments repay over m months at i = annual_rate / 1200:
  - `flat`: interest each month is P × i on the principal at the start of the instalments (a flat
    rate), principal P / m;
  - `annuity`: equal instalments P × i / (1 − (1 + i)^−m) (numpy-financial's `pmt`), each paying the
    interest on the outstanding principal first and the rest off the principal;
  - `declining`: principal P / m each month, interest on the outstanding principal.

**Rounding, documented and the same everywhere**: every rupiah figure of an instalment is rounded to
the whole rupiah, half up (ROUND_HALF_UP), from exact decimal arithmetic: interest of the month,
the annuity's instalment, the flat and declining principal share. The last instalment absorbs what
rounding left over: it repays exactly the principal still outstanding (with that month's interest),
so the principal of the instalments sums exactly to the principal lent (plus interest capitalised in
the grace period), and the outstanding principal after it is zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from betang.core.money import round_rupiah
from betang.core.months import add_months


class Method(StrEnum):
    FLAT = "flat"
    ANNUITY = "annuity"
    DECLINING = "declining"


class GraceInterest(StrEnum):
    PAY = "pay"  # interest is due each month of the grace period
    CAPITALISE = "capitalise"  # interest is added to the principal; nothing is due


class ScheduleError(ValueError):
    """Terms that make no schedule (a negative amount, a grace as long as the loan...)."""


@dataclass(frozen=True)
class Terms:
    amount: int  # rupiah lent
    annual_rate: Decimal  # percent a year, e.g. Decimal("6")
    months: int  # instalments in all, grace included
    method: Method
    start: date  # the disbursement; the first instalment is due a month later
    grace: int = 0  # months of the grace period, within `months`
    grace_interest: GraceInterest = GraceInterest.PAY

    @property
    def capitalise_grace(self) -> bool:
        return self.grace > 0 and self.grace_interest == GraceInterest.CAPITALISE


@dataclass(frozen=True)
class Instalment:
    number: int
    due: date
    principal: int
    interest: int
    total: int
    outstanding: int  # principal outstanding after this instalment
    grace: bool = False
    capitalised: int = 0  # interest added to the principal this month (grace, CAPITALISE)

    def as_dict(self) -> dict:
        return asdict(self) | {"due": self.due.isoformat()}


def check(terms: Terms) -> None:
    if type(terms.amount) is not int or terms.amount <= 0:
        raise ScheduleError("The amount must be a positive whole number of rupiah.")
    if not isinstance(terms.annual_rate, Decimal) or terms.annual_rate < 0 or terms.annual_rate > 100:
        raise ScheduleError("The annual rate must be between 0 and 100 percent.")
    if terms.months < 1 or terms.months > 240:
        raise ScheduleError("A loan runs 1 to 240 monthly instalments.")
    if terms.grace < 0 or terms.grace >= terms.months:
        raise ScheduleError("The grace period must be shorter than the loan.")


def schedule(terms: Terms) -> list[Instalment]:
    """Every instalment of the loan, in order (see the module's documentation for the rules)."""
    check(terms)
    with localcontext() as ctx:
        ctx.prec = 40
        i = Decimal(terms.annual_rate) / Decimal(1200)
        lines: list[Instalment] = []
        principal = terms.amount
        for n in range(1, terms.grace + 1):
            interest = round_rupiah(principal * i)
            due = add_months(terms.start, n)
            if terms.grace_interest == GraceInterest.CAPITALISE:
                principal += interest
                lines.append(Instalment(n, due, 0, 0, 0, principal, grace=True, capitalised=interest))
            else:
                lines.append(Instalment(n, due, 0, interest, interest, principal, grace=True))
        lines += _repayments(principal, i, terms.months - terms.grace, terms.method, terms.start, terms.grace)
    return lines


def _repayments(principal: int, i: Decimal, m: int, method: Method, start: date, after: int) -> list[Instalment]:
    if method == Method.ANNUITY:
        payment = round_rupiah(Decimal(principal) / m if i == 0 else principal * i / (1 - (1 + i) ** -m))
    else:
        share = round_rupiah(Decimal(principal) / m)
    flat_interest = round_rupiah(principal * i)
    outstanding, lines = principal, []
    for k in range(1, m + 1):
        interest = flat_interest if method == Method.FLAT else round_rupiah(outstanding * i)
        if k == m:  # the last repays what is left
            paid = outstanding
        elif method == Method.ANNUITY:
            paid = min(max(payment - interest, 0), outstanding)
        else:
            paid = min(share, outstanding)
        outstanding -= paid
        lines.append(Instalment(after + k, add_months(start, after + k), paid, interest, paid + interest, outstanding))
    return lines


def totals(lines: list[Instalment]) -> dict[str, int]:
    return {
        "principal": sum(x.principal for x in lines),
        "interest": sum(x.interest for x in lines),
        "total": sum(x.total for x in lines),
        "capitalised": sum(x.capitalised for x in lines),
    }
