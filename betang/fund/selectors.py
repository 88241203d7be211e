"""Reads of the revolving fund, scoped: an officer sees the loans of their area, a cooperative's
treasurer only its own cooperative's; the pool's own figures (capital, flows, re-lending) belong to
the whole fund and are shown to everyone who may see the fund."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.core.ids import as_uuid
from betang.core.money import format_rupiah
from betang.core.months import add_months
from betang.fund.models import (
    BANK_STATEMENT_OWNER,
    Application,
    Disaster,
    Fund,
    Instalment,
    Loan,
    LoanChange,
    LoanHealth,
    Product,
    Repayment,
)
from betang.fund.quality import RULE_SETS
from betang.ledger import selectors as ledger
from betang.ledger import statements
from betang.regions.models import Province, Regency
from betang.regions.scope import RegionScope
from betang.regions.selectors import region_names
from betang.registry.models import Cooperative
from betang.web.worklist import Figure, Work


def is_cooperative_bound(user: Any) -> bool:
    return user.role in COOPERATIVE_BOUND_ROLES and not user.is_superuser


def _scoped(rows: QuerySet, user: Any) -> QuerySet:
    """Rows (with `region_code` and `cooperative`) the user may see."""
    rows = rows.filter(user.region_scope.q("region_code"))
    if is_cooperative_bound(user):
        rows = rows.filter(cooperative__staff__user=user)
    return rows


def fund_list(*, user: Any) -> list[Fund]:
    """The funds lending in (or over) the user's area."""
    return [f for f in Fund.objects.order_by("name") if user.region_scope.overlaps(f.region_code)]


def fund_get(*, user: Any, code: str) -> Fund:
    fund = Fund.objects.filter(code=code).first()
    if fund is None or not user.region_scope.overlaps(fund.region_code):
        raise Http404
    return fund


def product_list(fund: Fund, *, active_only: bool = True) -> QuerySet[Product]:
    rows = fund.products.order_by("name")
    return rows.filter(is_active=True) if active_only else rows


def cooperatives_for(*, user: Any) -> QuerySet[Cooperative]:
    """The cooperatives the user may apply for: a treasurer its own, an officer those of their area."""
    rows = Cooperative.objects.filter(user.region_scope.q("region_code")).order_by("name")
    if is_cooperative_bound(user):
        rows = rows.filter(staff__user=user)
    return rows


def application_list(*, user: Any, fund: Fund, status: str = "") -> QuerySet[Application]:
    rows = _scoped(Application.objects.filter(product__fund=fund), user)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("cooperative", "product").order_by("-submitted_at")


def _uuid(pk: Any):
    try:
        return as_uuid(pk)
    except ValueError:
        raise Http404 from None


def application_get(*, user: Any, pk: Any) -> Application:
    found = (
        _scoped(Application.objects.filter(pk=_uuid(pk)), user).select_related("cooperative", "product__fund").first()
    )
    if found is None:
        raise Http404
    return found


def loan_list(
    *, user: Any, fund: Fund | None = None, status: str = "", quality: str = "", q: str = "", overdue: bool = False
) -> QuerySet:
    """Loans the user may see; with `overdue`, only those in arrears at the last portfolio run, the
    longest overdue first."""
    rows = _scoped(Loan.objects.all(), user)
    if fund is not None:
        rows = rows.filter(fund=fund)
    if status:
        rows = rows.filter(status=status)
    if quality:
        rows = rows.filter(health__quality=quality)
    if q := q.strip():
        rows = rows.filter(Q(number__icontains=q) | Q(cooperative__name__icontains=q))
    rows = rows.select_related("cooperative", "health", "fund")
    if overdue:
        return rows.filter(health__days_past_due__gt=0).order_by("-health__days_past_due", "number")
    return rows.order_by("-disbursed_on", "-number")


def loan_get(*, user: Any, pk: Any) -> Loan:
    found = _scoped(Loan.objects.filter(pk=_uuid(pk)), user).select_related("cooperative", "product", "fund").first()
    if found is None:
        raise Http404
    return found


def repayment_get(*, user: Any, pk: Any) -> Repayment:
    found = Repayment.objects.filter(pk=_uuid(pk)).select_related("loan").first()
    if found is None:
        raise Http404
    loan_get(user=user, pk=found.loan_id)  # the same reach as its loan
    return found


def change_get(*, user: Any, pk: Any) -> LoanChange:
    found = LoanChange.objects.filter(pk=_uuid(pk)).first()
    if found is None:
        raise Http404
    loan_get(user=user, pk=found.loan_id)  # the same reach as its loan
    return found


def changes_waiting(*, user: Any, fund: Fund) -> list[LoanChange]:
    """Restructurings and write-offs proposed on the fund's loans the user may see, waiting for a decision."""
    loans = _scoped(Loan.objects.filter(fund=fund), user)
    rows = LoanChange.objects.filter(status=LoanChange.Status.PROPOSED, loan__in=loans)
    return list(rows.select_related("loan__cooperative", "proposed_by").order_by("proposed_at")[:50])


def disaster_list(*, user: Any, fund: Fund) -> list[Disaster]:
    """Declared disasters over the fund's area that the user's area touches, newest first."""
    rows = Disaster.objects.select_related("declared_by").order_by("-starts_on")
    fund_area = RegionScope(fund.region_code)
    return [d for d in rows if user.region_scope.overlaps(d.region_code) and fund_area.overlaps(d.region_code)]


def disaster_areas(*, user: Any, fund: Fund) -> list[tuple[str, str]]:
    """The areas a disaster can be declared over: the fund's province and its regencies/cities, within
    the user's area."""
    scope, province, fund_area = user.region_scope, fund.region_code[:2], RegionScope(fund.region_code)
    rows = [(p.code, p.name) for p in Province.objects.filter(code=province)]
    rows += [(r.code, r.name) for r in Regency.objects.filter(code__startswith=f"{province}.").order_by("name")]
    return [(code, name) for code, name in rows if scope.contains(code) and fund_area.overlaps(code)]


def bank_statement_list(*, fund: Fund) -> QuerySet[statements.BankStatement]:
    """The fund account's latest statements uploaded (the caller has checked the fund is the user's)."""
    return statements.bank_statement_list(owner_kind=BANK_STATEMENT_OWNER, owner_id=fund.pk)[:20]


def bank_statement_get(*, fund: Fund, pk: Any) -> statements.BankStatement:
    """One statement of the fund's account; 404 for another owner's (the caller checks the fund)."""
    found = statements.bank_statement_find(owner_kind=BANK_STATEMENT_OWNER, owner_id=fund.pk, pk=_uuid(pk))
    if found is None:
        raise Http404
    return found


# --- the pool over time, and re-lending ---------------------------------------------------------


@dataclass
class Month:
    month: date
    capital: int = 0  # capital paid in
    disbursed: int = 0  # leaving the pool for loans (net of the admin fee kept)
    repaid: int = 0  # repayments, net of reversals
    other: int = 0
    balance: int = 0  # the pool at the month's end

    @property
    def inflow(self) -> int:
        return self.capital + self.repaid + max(self.other, 0)

    @property
    def outflow(self) -> int:
        return self.disbursed + max(-self.other, 0)


_FLOW_OF_KIND = {
    "fund.capital": "capital",
    "fund.capital.reversal": "capital",
    "fund.loan.disbursed": "disbursed",
    "fund.loan.disbursed.reversal": "disbursed",
    "fund.loan.repaid": "repaid",
    "fund.loan.repaid.reversal": "repaid",
}


def pool_flows(fund: Fund) -> list[Month]:
    """The pool month by month, every month from the first movement to the last (one grouped read of
    the pool's postings)."""
    by_month: dict[date, Month] = {}
    for month, kind, amount in ledger.account_flows(fund.pool_account_id):
        row = by_month.setdefault(month, Month(month))
        where = _FLOW_OF_KIND.get(kind, "other")
        if where == "disbursed":
            row.disbursed -= amount  # out of the pool: a positive outflow
        else:
            setattr(row, where, getattr(row, where) + amount)
    if not by_month:
        return []
    months, day, last, balance = [], min(by_month), max(by_month), 0
    while day <= last:
        row = by_month.get(day, Month(day))
        balance += row.capital + row.repaid + row.other - row.disbursed
        row.balance = balance
        months.append(row)
        day = add_months(day, 1)
    return months


@dataclass
class Relending:
    capital: int = 0  # paid in so far
    disbursed: int = 0  # lent out so far (net of admin fees kept)
    repaid: int = 0  # come back so far (principal, interest and penalties)
    loans: int = 0
    cooperatives: int = 0
    revolved_loans: int = 0  # loans paid wholly or partly from money that came back
    revolved_cooperatives: int = 0
    revolved_amount: int = 0  # rupiah lent out of repaid money
    revolved: list[dict[str, Any]] = field(default_factory=list)  # the loans, newest first

    @property
    def turns(self) -> float | None:
        """How many times the capital has been lent (display only)."""
        return self.disbursed / self.capital if self.capital else None


def relending(fund: Fund) -> Relending:
    """The "bergulir" effect: capital is lent first; a loan disbursed once the capital paid in so far
    is used up is lent out of repaid money (the part beyond it). The disbursements are read in the
    order they left the pool, beside the capital paid in up to each."""
    result = Relending()
    capital_in = ledger.account_movements(fund.pool_account_id, kind="fund.capital")
    capital_in += ledger.account_movements(fund.pool_account_id, kind="fund.capital.reversal")
    capital_in.sort()
    loans = list(
        Loan.objects.filter(fund=fund)
        .order_by("created_at", "number")
        .values_list("created_at", "number", "cooperative_id", "cooperative__name", "amount", "admin_fee")
    )
    result.repaid = (
        Repayment.objects.filter(loan__fund=fund, status=Repayment.Status.POSTED).aggregate(s=Sum("amount"))["s"] or 0
    )
    i, capital, lent = 0, 0, 0
    everyone, revolved = set(), set()
    for created_at, number, cooperative_id, name, amount, fee in loans:
        while i < len(capital_in) and capital_in[i][0] <= created_at:
            capital += capital_in[i][1]
            i += 1
        net = amount - fee
        beyond = min(net, max(0, lent + net - capital))
        lent += net
        everyone.add(cooperative_id)
        if beyond > 0:
            revolved.add(cooperative_id)
            result.revolved_loans += 1
            result.revolved_amount += beyond
            result.revolved.append({"number": number, "cooperative": name, "amount": net, "revolved": beyond})
    result.capital = sum(amount for _, amount in capital_in)
    result.disbursed, result.loans, result.cooperatives = lent, len(loans), len(everyone)
    result.revolved_cooperatives = len(revolved)
    result.revolved.reverse()
    return result


# --- portfolio by area ---------------------------------------------------------------------------


@dataclass
class AreaRow:
    code: str  # regency code, or the cooperative's id
    name: str
    regency: str = ""
    loans: int = 0
    outstanding: int = 0
    arrears: int = 0
    penalty: int = 0
    par30: int = 0
    problem: int = 0  # outstanding of problem loans
    worst_days: int = 0
    by_quality: dict[str, int] = field(default_factory=dict)  # class → loans

    @property
    def par30_percent(self) -> float | None:
        return 100 * self.par30 / self.outstanding if self.outstanding else None

    @property
    def problem_percent(self) -> float | None:
        return 100 * self.problem / self.outstanding if self.outstanding else None


def portfolio_by_area(fund: Fund, *, user: Any, by: str = "regency") -> list[AreaRow]:
    """The last portfolio run's loans of the user's area, totalled per regency or per cooperative."""
    rows = LoanHealth.objects.filter(user.region_scope.q("region_code"), fund=fund)
    if is_cooperative_bound(user):
        rows = rows.filter(loan__cooperative__staff__user=user)
    found: dict[str, AreaRow] = {}
    regencies: set[str] = set()
    for region, cooperative_id, cooperative, outstanding, arrears, penalty, days, quality, problem in rows.values_list(
        "region_code", "loan__cooperative_id", "loan__cooperative__name", "principal_outstanding", "arrears",
        "penalty_owed", "days_past_due", "quality", "problem",
    ):  # fmt: skip
        regency = region[:5]
        regencies.add(regency)
        key = regency if by == "regency" else str(cooperative_id)
        row = found.setdefault(key, AreaRow(key, cooperative if by != "regency" else "", regency=regency))
        row.loans += 1
        row.outstanding += outstanding
        row.arrears += arrears
        row.penalty += penalty
        row.par30 += outstanding if days > 30 else 0
        row.problem += outstanding if problem else 0
        row.worst_days = max(row.worst_days, days)
        row.by_quality[quality] = row.by_quality.get(quality, 0) + 1
    names = region_names("regency", regencies)
    for row in found.values():
        row.regency = names.get(row.regency, row.regency)
        if by == "regency":
            row.name = row.regency
    return sorted(found.values(), key=lambda r: (-r.par30, r.regency, r.name))


def quality_classes(fund: Fund) -> tuple:
    return RULE_SETS[fund.quality_rules]


def last_run(fund: Fund) -> date | None:
    return LoanHealth.objects.filter(fund=fund).order_by("-as_of").values_list("as_of", flat=True).first()


def status_counts(*, user: Any, fund: Fund) -> dict[str, int]:
    rows = _scoped(Application.objects.filter(product__fund=fund), user).values("status").annotate(n=Count("pk"))
    return defaultdict(int, {r["status"]: r["n"] for r in rows})


# --- the portfolio's figures (from the last run) -------------------------------------------------

AGEING = ((1, 30), (31, 60), (61, 90), (91, 180), (181, None))  # days past due buckets of the arrears


@dataclass
class Summary:
    loans: int = 0
    outstanding: int = 0
    arrears: int = 0
    penalty: int = 0
    par: dict[int, int] = field(default_factory=dict)  # 30/60/90 → outstanding of loans past that many days
    problem_outstanding: int = 0
    by_quality: dict[str, tuple[int, int]] = field(default_factory=dict)  # class → (loans, outstanding)
    ageing: dict[str, int] = field(default_factory=dict)  # "1–30" → arrears

    def par_percent(self, days: int) -> float | None:
        """For display only; the rupiah stay integers."""
        return 100 * self.par[days] / self.outstanding if self.outstanding else None

    @property
    def problem_percent(self) -> float | None:
        return 100 * self.problem_outstanding / self.outstanding if self.outstanding else None


def portfolio_summary(fund: Fund, *, region: str = "") -> Summary:
    """The figures of the last run, over an area (a region prefix, by whole segments; "" for all)."""
    rows = LoanHealth.objects.filter(RegionScope(region).q(), fund=fund)
    summary = Summary(par=dict.fromkeys((30, 60, 90), 0), ageing={_bucket(lo, hi): 0 for lo, hi in AGEING})
    for outstanding, arrears, penalty, days, quality, problem in rows.values_list(
        "principal_outstanding", "arrears", "penalty_owed", "days_past_due", "quality", "problem"
    ):
        summary.loans += 1
        summary.outstanding += outstanding
        summary.arrears += arrears
        summary.penalty += penalty
        for limit in summary.par:
            if days > limit:
                summary.par[limit] += outstanding
        if problem:
            summary.problem_outstanding += outstanding
        count, total = summary.by_quality.get(quality, (0, 0))
        summary.by_quality[quality] = (count + 1, total + outstanding)
        for lo, hi in AGEING:
            if days >= lo and (hi is None or days <= hi):
                summary.ageing[_bucket(lo, hi)] += arrears
    return summary


def _bucket(lo: int, hi: int | None) -> str:
    return f"{lo}–{hi}" if hi is not None else f">{lo - 1}"


def collection_rate(fund: Fund, *, start: date, end: date) -> tuple[int, int]:
    """(paid, due) of principal and interest of the instalments due from start to end, inclusive."""
    totals = (
        Instalment.objects.filter(
            loan__fund=fund, due_on__gte=start, due_on__lte=end, version=F("loan__schedule_version")
        )
        .exclude(loan__status=Loan.Status.WRITTEN_OFF)
        .aggregate(due=Sum(F("principal") + F("interest")), paid=Sum(F("principal_paid") + F("interest_paid")))
    )
    return totals["paid"] or 0, totals["due"] or 0


# --- the home page's worklist and figures (registered in apps.py) ---------------------------------------


def work_for(user: Any) -> list[Any]:
    """Applications to assess (the maker) or approve (the checker, never their own assessment),
    loan changes waiting for a decision, loans overdue, from the nightly portfolio run."""
    manage, approve = user.has_capability("fund.manage"), user.has_capability("fund.approve")
    if not (manage or approve) or is_cooperative_bound(user):
        return []
    work = []
    for fund in fund_list(user=user):
        applications = reverse("fund:applications", args=[fund.code])
        if manage:
            n = application_list(user=user, fund=fund, status=Application.Status.SUBMITTED).count()
            work.append(
                Work(
                    ngettext("%(n)s loan application to assess", "%(n)s loan applications to assess", n) % {"n": n},
                    n,
                    f"{applications}?status=SUBMITTED",
                )
            )
        if approve:
            n = (
                application_list(user=user, fund=fund, status=Application.Status.ASSESSED)
                .exclude(assessed_by=user)
                .count()
            )
            work.append(
                Work(
                    ngettext(
                        "%(n)s loan application waits for your approval",
                        "%(n)s loan applications wait for your approval",
                        n,
                    )
                    % {"n": n},
                    n,
                    f"{applications}?status=ASSESSED",
                    urgent=True,
                )
            )
            n = len([c for c in changes_waiting(user=user, fund=fund) if c.proposed_by_id != user.pk])
            work.append(
                Work(
                    ngettext(
                        "%(n)s loan change waits for your decision", "%(n)s loan changes wait for your decision", n
                    )
                    % {"n": n},
                    n,
                    reverse("fund:fund", args=[fund.code]),
                    urgent=True,
                )
            )
        overdue = loan_list(user=user, fund=fund, overdue=True).count()  # the count its link lists
        work.append(
            Work(
                ngettext("%(n)s loan overdue", "%(n)s loans overdue", overdue) % {"n": overdue},
                overdue,
                reverse("fund:loans", args=[fund.code]) + "?menunggak=1",
            )
        )
    return work


def figures_for(user: Any) -> list[Any]:
    """Each fund's principal outstanding and portfolio at risk (30 days) in the user's area, as the
    nightly run left them."""
    if not user.has_capability("fund.view") or is_cooperative_bound(user):
        return []
    figures = []
    for fund in fund_list(user=user):
        health = _scoped(LoanHealth.objects.filter(fund=fund), user).aggregate(
            outstanding=Sum("principal_outstanding"),
            at_risk=Sum("principal_outstanding", filter=Q(days_past_due__gt=30)),
        )
        outstanding, at_risk = health["outstanding"] or 0, health["at_risk"] or 0
        url = reverse("fund:portfolio", args=[fund.code])
        figures.append(
            Figure(_("%(fund)s: principal outstanding") % {"fund": fund.name}, format_rupiah(outstanding), url)
        )
        if outstanding:
            share = f"{100 * at_risk / outstanding:.1f}".replace(".", ",")
            figures.append(Figure(_("%(fund)s: at risk over 30 days (PAR 30)") % {"fund": fund.name}, f"{share}%", url))
    return figures
