"""Funds, their capital and their loan products: a fund opens its three ledger accounts (pool,
capital source, income); capital is posted into the pool; a product fixes the terms its loans copy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.fund import posting
from betang.fund.models import Fund, Product
from betang.fund.schedules import GraceInterest, Method, ScheduleError, Terms, schedule
from betang.ledger import selectors as ledger
from betang.ledger.services import account_open, journal_post

# First path segments of the fund's pages (fund.urls): a fund coded so would be hidden behind them.
RESERVED_CODES = frozenset({"koperasi", "pengajuan", "pinjaman", "angsuran", "perubahan"})


class FundError(DomainError):
    code = "fund"
    http_status = 409


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
        audit_record(actor=actor, event="fund.fund.created", occurred_at=occurred_at, obj=fund, changes={"code": code})
    return fund


def fund_capital_add(
    *, fund: Fund, amount: int, reference: str, occurred_at: datetime, recorded_at: datetime, actor: Any
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
                event="fund.capital.added",
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
            event="fund.product.created",
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
