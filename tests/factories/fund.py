"""factory_boy factories for the revolving fund: funds (their three ledger accounts, optionally
capitalised) and products, made through the fund's own services."""

from decimal import Decimal

import factory

from betang.fund.models import Fund, Product
from betang.fund.schedules import Method
from betang.fund.services.funds import fund_capital_add, fund_create, product_create
from tests.conftest import NOW


class FundFactory(factory.Factory):
    """A provincial revolving fund (`fund_create`: pool, capital and income accounts). With
    `capital=` the APBD's investment is paid into its pool (`fund_capital_add`, reference `SP2D-001`)."""

    class Meta:
        model = Fund

    code = factory.Sequence(lambda n: f"bergulir{n}")
    name = "Stimulus Bergulir KHBS"
    region_code = "62"
    occurred_at = NOW
    capital = 0
    actor = None

    @classmethod
    def _create(cls, model_class, *args, capital=0, **kwargs):
        fund = fund_create(**kwargs)
        if capital:
            fund_capital_add(
                fund=fund, amount=capital, reference="SP2D-001", occurred_at=fund.created_at,
                recorded_at=fund.created_at, actor=kwargs["actor"],
            )  # fmt: skip
        return fund


class ProductFactory(factory.Factory):
    """A product of the fund (`product_create`); by default the cooperative stimulus: Rp200–300 million
    at 6% a year, annuity over 36 months of which 6 of grace (interest only), a 0.5% admin fee and a
    penalty of 0.05% a day after 3 days of grace."""

    class Meta:
        model = Product

    fund = factory.SubFactory(FundFactory)
    code = factory.Sequence(lambda n: f"produk{n}")
    name = "Stimulus koperasi"
    min_amount = 200_000_000
    max_amount = 300_000_000
    annual_rate = Decimal("6")
    method = Method.ANNUITY
    months = 36
    grace = 6
    admin_fee_rate = Decimal("0.5")
    penalty_rate_per_day = Decimal("0.05")
    penalty_grace_days = 3
    occurred_at = NOW
    actor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return product_create(**kwargs)
