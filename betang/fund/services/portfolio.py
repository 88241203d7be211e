"""Portfolio health: the nightly run that puts every active loan of a fund in its quality class (its
figures are read by `fund.selectors.portfolio_summary`), and queueing it for the worker.

The run is set-based: every instalment already carries what was paid of it and its penalty accrued
to its last repayment (written back by each repayment), so one grouped read gives each loan's
principal outstanding, arrears and oldest unpaid due date; only the instalments late and unpaid are
read one by one, for their penalty. Days past due skip declared disaster periods (fund.quality).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q

from betang.core.bulk import bulk_insert
from betang.core.ids import as_uuid, uuid_param
from betang.core.money import round_rupiah
from betang.core.tasks import enqueue_on_commit
from betang.fund.models import Disaster, Fund, Instalment, Loan, LoanHealth
from betang.fund.quality import RULE_SETS, classify, days_past_due
from betang.fund.services.loans import capitalisation_post
from betang.regions.scope import RegionScope


@dataclass
class RunResult:
    fund: str
    as_of: date
    loans: int = 0
    written: int = 0


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite gives text


def portfolio_run(*, fund: Fund, as_of: date, actor: Any, occurred_at: datetime) -> RunResult:
    """Every active loan of the fund, as it stands on `as_of`, into LoanHealth (one row per loan;
    rows of loans no longer active are removed). The grace interest due by then is posted first, by
    `actor` (None for the nightly run)."""
    result = RunResult(fund.code, as_of)
    rules = RULE_SETS[fund.quality_rules]
    _capitalise(fund, as_of, actor=actor, occurred_at=occurred_at)
    i, lo = Instalment._meta.db_table, Loan._meta.db_table
    q = connection.ops.quote_name
    as_of_param = connection.ops.adapt_datefield_value(as_of)
    with connection.cursor() as cursor:
        # One grouped pass: principal outstanding, arrears (due by as_of, unpaid), oldest unpaid due.
        cursor.execute(
            f"SELECT l.id, l.region_code, "  # noqa: S608 - table names from model meta
            f"SUM(x.principal - x.principal_paid - CASE WHEN x.due_on > %s THEN x.capitalised ELSE 0 END), "
            f"SUM(CASE WHEN x.due_on <= %s THEN x.principal + x.interest - x.principal_paid - x.interest_paid ELSE 0 END), "
            f"MIN(CASE WHEN x.due_on < %s AND x.principal_paid + x.interest_paid < x.principal + x.interest THEN x.due_on END) "
            f"FROM {q(lo)} l JOIN {q(i)} x ON x.loan_id = l.id AND x.version = l.schedule_version "
            f"WHERE l.fund_id = %s AND l.status = %s GROUP BY l.id, l.region_code",
            [as_of_param] * 3 + [uuid_param(fund.pk), Loan.Status.ACTIVE],
        )
        loans = cursor.fetchall()
    penalties = _penalties(fund, as_of)
    disasters = [
        (RegionScope(area), start, end)
        for area, start, end in Disaster.objects.filter(starts_on__lte=as_of).values_list(
            "region_code", "starts_on", "ends_on"
        )
    ]
    rows = []
    for raw_id, region, outstanding, arrears, oldest in loans:
        loan_id = as_uuid(raw_id)  # SQLite gives the id as text
        paused = [(start, end) for area, start, end in disasters if area.contains(region)]
        days = days_past_due(_date(oldest), as_of, paused)
        quality = classify(days, rules)
        rows.append(
            (loan_id, fund.pk, region, as_of, int(outstanding or 0), int(arrears or 0), penalties.get(loan_id, 0),
             days, quality.code, quality.problem)
        )  # fmt: skip
    fields = ["loan", "fund", "region_code", "as_of", "principal_outstanding", "arrears", "penalty_owed",
              "days_past_due", "quality", "problem"]  # fmt: skip
    with transaction.atomic():  # the fund's rows replaced at once (COPY on PostgreSQL): readers see one run
        LoanHealth.objects.filter(fund=fund).delete()
        bulk_insert(LoanHealth, fields, rows)
    result.loans, result.written = len(loans), len(rows)
    return result


def _capitalise(fund: Fund, as_of: date, *, actor: Any, occurred_at: datetime) -> None:
    """Grace interest capitalised by as_of and not yet in the receivables, posted first (only loans of
    capitalising products have any)."""
    pending = (
        Instalment.objects.filter(
            loan__fund=fund, loan__status=Loan.Status.ACTIVE, capitalised__gt=0, due_on__lte=as_of,
            capitalised_entry_id__isnull=True, version=F("loan__schedule_version"),
        )
        .values_list("loan_id", flat=True)
        .distinct()
    )  # fmt: skip
    for loan_id in list(pending):
        with transaction.atomic():  # the loan locked, as a repayment locks it
            loan = Loan.objects.select_for_update().select_related("fund").get(pk=loan_id)
            capitalisation_post(loan=loan, as_of=as_of, actor=actor, occurred_at=occurred_at)


def _penalties(fund: Fund, as_of: date) -> dict[Any, int]:
    """Each loan's penalty owed on as_of: of every instalment late and unpaid, its accrual so far plus
    what accrued since on what is unpaid, rounded half up, less what was paid of it (fund.allocation's
    rule, from the state the last repayment left). Only late instalments are read."""
    owed: dict[Any, int] = defaultdict(int)
    late = (
        Instalment.objects.filter(loan__fund=fund, loan__status=Loan.Status.ACTIVE)
        .filter(Q(due_on__lt=as_of) | Q(penalty_carried__gt=0))  # late, or owing a penalty carried onto it
        .exclude(loan__product__penalty_rate_per_day=0)
        .filter(version=F("loan__schedule_version"))
        .filter(  # unpaid, or a penalty accrued beyond what was paid of it
            Q(principal_paid__lt=F("principal"))
            | Q(interest_paid__lt=F("interest"))
            | Q(penalty_accrued__gt=F("penalty_paid"))
        )
        .values_list(
            "loan_id",
            "due_on",
            "principal",
            "interest",
            "principal_paid",
            "interest_paid",
            "penalty_paid",
            "penalty_accrued",
            "penalty_accrued_to",
            "loan__product__penalty_rate_per_day",
            "loan__product__penalty_grace_days",
        )
    )
    for loan_id, due_on, principal, interest, p_paid, i_paid, pen_paid, accrued, accrued_to, rate, grace in late:
        unpaid = principal + interest - p_paid - i_paid

        def days_late(day: date, due_on=due_on, grace=grace) -> int:
            return max(0, (day - due_on).days - grace)

        since = accrued_to or due_on
        total = Decimal(accrued)
        if unpaid > 0 and as_of > since:
            total += Decimal(unpaid) * Decimal(rate) / 100 * (days_late(as_of) - days_late(since))
        if (left := round_rupiah(total) - pen_paid) > 0:
            owed[loan_id] += left
    return owed


def portfolio_run_queue(*, fund: Fund, as_of: date, actor: Any, then: Callable[[str], None] | None = None) -> None:
    """Queue the portfolio run of `fund` on `as_of` for the worker (`fund.tasks.portfolio_task`),
    once the caller's transaction commits; `then` receives the task's id. The task checks again that
    `actor` (None: the nightly run) covers the fund's area. Nothing is written until it runs."""
    enqueue_on_commit(
        "betang.fund.tasks.portfolio_task",
        then=then,
        fund_code=fund.code,
        as_of=as_of.isoformat(),
        actor_id=getattr(actor, "pk", None),
    )
