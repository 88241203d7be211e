"""Re-lending: the pool month by month from the ledger, and how much has been lent out of repaid
money (capital counted as lent first)."""

import itertools
from datetime import date

import pytest

from betang.fund.selectors import pool_flows, relending
from betang.fund.services.funds import pool_balance
from tests.fund.conftest import disbursed, repay

pytestmark = pytest.mark.django_db


def test_loans_beyond_the_capital_are_lent_from_repaid_money(world):
    loans = [disbursed(world) for _ in range(4)]  # 4 × (250,000,000 − 0.5% fee) = 995,000,000 of 1,000,000,000
    before = relending(world.fund)
    assert (before.loans, before.revolved_loans, before.revolved_amount) == (4, 0, 0)
    assert before.disbursed == 995_000_000
    assert before.capital == 1_000_000_000

    repay(world, loans[0], 260_000_000, date(2026, 3, 1), "TRF-BIG")
    disbursed(world)  # needs the repaid money: only 5,000,000 of capital is left
    after = relending(world.fund)
    assert after.revolved_loans == 1
    assert after.revolved_cooperatives == 1
    assert after.revolved_amount == 248_750_000 - 5_000_000
    assert after.repaid == 260_000_000
    assert after.turns == pytest.approx(1_243_750_000 / 1_000_000_000)


def test_the_pool_month_by_month_ends_at_its_balance(world):
    loan = disbursed(world)
    repay(world, loan, 5_000_000, date(2026, 4, 1), "TRF-1")
    months = pool_flows(world.fund)
    assert sum(m.capital for m in months) == 1_000_000_000
    assert sum(m.disbursed for m in months) == 248_750_000
    assert sum(m.repaid for m in months) == 5_000_000
    assert months[-1].balance == pool_balance(world.fund)
    assert all(b.month > a.month for a, b in itertools.pairwise(months))  # every month, in order
