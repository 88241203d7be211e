"""The revolving fund's nightly portfolio run over BENCH_FUND_LOANS loans (default 100,000), disbursed
over two years with their repayments' effect on every instalment (most paid on time, some stopped
paying months ago, some part-paid), beside a bare SQL aggregate of the same instalments in the same
run. The instalments' paid state is written as the repayment service writes it back."""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from bench.harness import Result, Timer
from betang.core.bulk import bulk_insert
from betang.core.ids import new_id
from betang.fund import posting
from betang.fund.models import Application, Fund, Instalment, Loan, LoanHealth
from betang.fund.schedules import Method, add_months, schedule
from betang.fund.selectors import portfolio_summary
from betang.fund.services.funds import fund_capital_add, fund_create, product_create, terms_of
from betang.fund.services.portfolio import portfolio_run
from betang.ledger.services import accounts_open_many
from betang.registry.models import Cooperative

LOANS = int(os.environ.get("BENCH_FUND_LOANS", "100000"))
AS_OF = date(2026, 11, 21)
PROVINCE = "65"


def _world():
    now = timezone.now()
    officer = get_user_model().objects.create(username=f"bench-fund-{new_id().hex[-6:]}", role="FUND_OFFICER")
    fund = fund_create(
        code=f"bench-{new_id().hex[-6:]}", name="Bench fund", region_code=PROVINCE, occurred_at=now, actor=officer
    )
    fund_capital_add(fund=fund, amount=10**15, reference="bench", occurred_at=now, recorded_at=now, actor=officer)
    product = product_create(
        fund=fund, code="stimulus", name="Stimulus", min_amount=200_000_000, max_amount=300_000_000,
        annual_rate=Decimal("6"), method=Method.ANNUITY, months=36, grace=6, penalty_rate_per_day=Decimal("0.05"),
        penalty_grace_days=3, occurred_at=now, actor=officer,
    )  # fmt: skip
    coops = Cooperative.objects.bulk_create(
        Cooperative(
            name=f"KDMP {n}",
            name_key=f"kdmp {n}",
            kind=Cooperative.Kind.KDMP,
            region_code=f"{PROVINCE}.{1 + n // 100 % 10:02d}.{1 + n // 10 % 10:02d}.{1000 + n % 10}",
            created_at=now,
            updated_at=now,
        )
        for n in range(1_000)
    )
    return fund, product, coops, officer, now


def _load(fund, product, coops, officer, now) -> tuple[int, int]:
    """Loans, their applications and receivables, and every instalment with what was paid of it."""
    rng = random.Random(65)
    templates = {}
    loans, applications, instalments = [], [], []
    ids = [new_id() for _ in range(LOANS)]
    accounts = accounts_open_many(
        (
            posting.receivable_account(fund.code, loan_id, f"B-{n}", coops[n % len(coops)].region_code)
            for n, loan_id in enumerate(ids)
        ),
        occurred_at=now,
    )
    late_loans = 0
    for n, loan_id in enumerate(ids):
        coop = coops[n % len(coops)]
        amount = (200_000_000, 250_000_000, 300_000_000)[n % 3]
        disbursed = AS_OF - timedelta(days=rng.randint(0, 730))
        if amount not in templates:
            templates[amount] = schedule(terms_of(product, amount, date(2026, 1, 1)))
        application = new_id()
        applications.append((application, product.pk, coop.pk, coop.region_code, amount, "bench", "DISBURSED", now))
        loans.append((
            loan_id, f"B-{n}", application, fund.pk, product.pk, coop.pk, coop.region_code, amount, 0,
            product.annual_rate, product.method, product.months, product.grace, product.grace_interest, disbursed,
            "bench", accounts[f"fund:{fund.code}:loan:{loan_id}"], new_id(), "ACTIVE", 1, officer.pk, now,
        ))  # fmt: skip
        roll = rng.random()
        stopped = rng.randint(1, 8) if roll < 0.10 else 0  # 10%: stopped paying 1–8 months ago
        part = roll >= 0.95  # 5%: the last instalment due is part-paid
        due_lines = [x for x in templates[amount] if add_months(disbursed, x.number) <= AS_OF]
        paid_through = len(due_lines) - stopped
        late_loans += bool(stopped or part)
        for x in templates[amount]:
            paid = x.number <= paid_through
            p_paid, i_paid = (x.principal, x.interest) if paid else (0, 0)
            if part and x.number == len(due_lines) and paid:
                p_paid = x.principal // 2
            instalments.append((
                loan_id, 1, x.number, add_months(disbursed, x.number), x.principal, x.interest, x.total,
                x.outstanding, x.grace, 0, p_paid, i_paid, 0, Decimal(0), None,
            ))  # fmt: skip
    bulk_insert(
        Application,
        ["id", "product", "cooperative", "region_code", "amount", "purpose", "status", "submitted_at"],
        applications,
    )
    bulk_insert(
        Loan,
        ["id", "number", "application", "fund", "product", "cooperative", "region_code", "amount", "admin_fee",
         "annual_rate", "method", "months", "grace", "grace_interest", "disbursed_on", "bank_reference",
         "receivable_account", "entry_id", "status", "schedule_version", "disbursed_by", "created_at"],
        loans,
    )  # fmt: skip
    bulk_insert(
        Instalment,
        ["loan", "version", "number", "due_on", "principal", "interest", "total", "outstanding", "grace",
         "capitalised", "principal_paid", "interest_paid", "penalty_paid", "penalty_accrued", "penalty_accrued_to"],
        instalments,
    )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE fund_instalment; ANALYZE fund_loan")
    return len(instalments), late_loans


def _bare(fund) -> float:
    """The floor: the run's grouped read of the same instalments, bare, nothing written."""
    as_of = connection.ops.adapt_datefield_value(AS_OF)
    with Timer() as t, connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id, SUM(x.principal - x.principal_paid), "
            "SUM(CASE WHEN x.due_on <= %s THEN x.principal + x.interest - x.principal_paid - x.interest_paid ELSE 0 END), "
            "MIN(CASE WHEN x.due_on < %s AND x.principal_paid + x.interest_paid < x.principal + x.interest THEN x.due_on END) "
            "FROM fund_loan l JOIN fund_instalment x ON x.loan_id = l.id AND x.version = l.schedule_version "
            "WHERE l.fund_id = %s AND l.status = 'ACTIVE' GROUP BY l.id",
            [as_of, as_of, Fund._meta.pk.get_db_prep_value(fund.pk, connection)],
        )
        cursor.fetchall()
    return t.seconds


def run() -> list[Result]:
    fund, product, coops, officer, now = _world()
    with Timer() as loaded:
        rows, late = _load(fund, product, coops, officer, now)
    bare = min(_bare(fund) for _ in range(3))
    with Timer() as first:
        result = portfolio_run(fund=fund, as_of=AS_OF, actor=None, occurred_at=now)
    with Timer() as again:  # the next night: every row is there already, updated in place
        portfolio_run(fund=fund, as_of=AS_OF + timedelta(days=1), actor=None, occurred_at=now)
    summary = portfolio_summary(fund)
    label = f"fund portfolio run, {LOANS:,} loans ({rows:,} instalments)"
    note = (
        f"{result.written:,} loans classed; {late:,} late or part-paid; PAR30 "
        f"{summary.par_percent(30) or 0:.1f}%, problem loans {summary.problem_percent or 0:.1f}%; "
        f"health rows {LoanHealth.objects.filter(fund=fund).count():,}; loading took {loaded.seconds:.0f} s"
    )
    return [
        Result(
            label, "nightly run (first night)", round(first.seconds, 2), "s", round(bare, 2), "bare SQL aggregate", note
        ),
        Result(
            label,
            "nightly run (next night, rows updated)",
            round(again.seconds, 2),
            "s",
            round(bare, 2),
            "bare SQL aggregate",
        ),
    ]
