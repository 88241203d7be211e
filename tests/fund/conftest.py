"""A revolving fund with capital, a product and a cooperative; users to apply, assess and approve."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from betang.fund.models import Application, Fund, Loan, Product
from betang.fund.schedules import Method
from betang.fund.services.applications import CHECKLIST, application_approve, application_assess, application_submit
from betang.fund.services.loans import loan_disburse, repayment_record
from betang.registry.models import Cooperative
from tests.conftest import NOW
from tests.factories.fund import FundFactory, ProductFactory
from tests.factories.registry import CooperativeFactory

ALL_YES = dict.fromkeys(CHECKLIST, True)


@dataclass
class World:
    fund: Fund
    product: Product
    cooperative: Cooperative
    operator: object
    assessor: object
    approver: object


@pytest.fixture
def world(make_user) -> World:
    officer = make_user(role="FUND_OFFICER", scope="62", username="dana.a")
    fund = FundFactory(code="khbs-bergulir", name="Stimulus Bergulir KHBS", capital=1_000_000_000, actor=officer)
    product = ProductFactory(
        fund=fund, code="stimulus", name="Stimulus koperasi", min_amount=200_000_000, max_amount=300_000_000,
        annual_rate=Decimal("6"), method=Method.ANNUITY, months=36, grace=6, admin_fee_rate=Decimal("0.5"),
        penalty_rate_per_day=Decimal("0.05"), penalty_grace_days=3, actor=officer,
    )  # fmt: skip  # the numbers the tests count on, spelled out
    coop = CooperativeFactory(name="KDMP Sei Pasah", region_code="62.03.01.1006")
    operator = make_user(role="COOPERATIVE_OPERATOR", scope="62.03.01.1006", username="pengurus")
    return World(fund, product, coop, operator, officer, make_user(role="FUND_OFFICER", scope="62", username="dana.b"))


def approved(world, amount=250_000_000) -> Application:
    application = application_submit(
        product=world.product, cooperative=world.cooperative, amount=amount, purpose="Modal gerai sembako",
        actor=world.operator, occurred_at=NOW,
    )  # fmt: skip
    application_assess(
        application=application, checklist=ALL_YES, score=82, note="Layak.", actor=world.assessor, occurred_at=NOW
    )
    return application_approve(application=application, actor=world.approver, occurred_at=NOW)


def disbursed(world, amount=250_000_000) -> Loan:
    return loan_disburse(application=approved(world, amount), disbursed_on=date(2026, 1, 12), bank_reference="SP2D-1",
                         actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip


def repay(world, loan, amount, paid_on, reference):
    return repayment_record(loan=loan, amount=amount, paid_on=paid_on, bank_reference=reference, actor=world.assessor,
                            occurred_at=NOW, recorded_at=NOW)  # fmt: skip
