"""A loan's position replayed from its schedule and repayments: late penalties accrued day by day on
what is unpaid, each repayment allocated in the product's order, advance payments and overpayment."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betang.fund.allocation import Due, Payment, replay

# Three instalments: interest only, then two of principal and interest.
SCHEDULE = [
    Due(1, date(2026, 2, 12), 0, 1_000_000),
    Due(2, date(2026, 3, 12), 5_000_000, 1_000_000),
    Due(3, date(2026, 4, 12), 5_000_000, 500_000),
]
PENALTY = {"penalty_rate_per_day": Decimal("0.1"), "penalty_grace_days": 3}


def test_a_repayment_on_the_due_date_pays_that_instalment():
    p = replay(SCHEDULE, [Payment(date(2026, 2, 12), 1_000_000)], as_of=date(2026, 2, 12), **PENALTY)
    (a,) = p.allocations
    assert (a.penalty, a.interest, a.principal, a.overpaid) == (0, 1_000_000, 0, 0)
    assert (p.arrears, p.days_past_due, p.principal_outstanding, p.next_due.number) == (0, 0, 10_000_000, 2)


def test_a_late_repayment_pays_the_penalty_first():
    # Ten days late, three of grace: 7 days × 0.1% × 1,000,000 = 7,000.
    late = replay(SCHEDULE, [], as_of=date(2026, 2, 22), **PENALTY)
    assert (late.arrears, late.penalty_owed, late.days_past_due) == (1_000_000, 7_000, 10)
    p = replay(SCHEDULE, [Payment(date(2026, 2, 22), 1_000_000)], as_of=date(2026, 2, 22), **PENALTY)
    (a,) = p.allocations
    assert (a.penalty, a.interest, a.principal) == (7_000, 993_000, 0)
    assert (p.arrears, p.penalty_owed, p.days_past_due) == (7_000, 0, 10)  # 7,000 of interest still unpaid


def test_a_partial_repayment_lowers_the_penalty_base_from_that_day():
    payments = [Payment(date(2026, 2, 20), 600_000)]  # 5 days beyond grace on 1,000,000: 5,000 penalty
    p = replay(SCHEDULE, payments, as_of=date(2026, 2, 25), **PENALTY)
    assert p.allocations[0].penalty == 5_000
    assert p.allocations[0].interest == 595_000
    # Then 5 more days on the 405,000 still unpaid: 2,025.
    assert (p.penalty_owed, p.arrears) == (2_025, 405_000)


def test_the_products_order_decides_what_is_paid_first():
    order = ("PRINCIPAL", "INTEREST", "PENALTY")
    p = replay(SCHEDULE, [Payment(date(2026, 3, 22), 5_500_000)], as_of=date(2026, 3, 22), order=order, **PENALTY)
    (a,) = p.allocations
    assert (a.principal, a.interest, a.penalty) == (5_000_000, 500_000, 0)
    assert a.by_instalment == {
        2: {"PENALTY": 0, "INTEREST": 0, "PRINCIPAL": 5_000_000},
        1: {"PENALTY": 0, "INTEREST": 500_000, "PRINCIPAL": 0},
    }


def test_money_beyond_what_is_due_pays_the_next_instalments_in_advance_then_is_overpaid():
    p = replay(SCHEDULE, [Payment(date(2026, 2, 12), 7_000_000)], as_of=date(2026, 2, 12), **PENALTY)
    (a,) = p.allocations
    assert (a.interest, a.principal, a.overpaid) == (2_000_000, 5_000_000, 0)  # no. 1, then no. 2 in advance
    assert p.next_due.number == 3
    done = replay(SCHEDULE, [Payment(date(2026, 2, 12), 13_000_000)], as_of=date(2026, 2, 12), **PENALTY)
    assert (done.allocations[0].overpaid, done.overpaid, done.settled, done.principal_outstanding) == (
        500_000,
        500_000,
        True,
        0,
    )


def test_payments_are_replayed_in_date_order_only():
    with pytest.raises(ValueError):
        replay(SCHEDULE, [Payment(date(2026, 3, 1), 1), Payment(date(2026, 2, 1), 1)], as_of=date(2026, 4, 1))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=120), st.integers(min_value=1, max_value=8_000_000)),
        max_size=12,
    ),
    st.decimals(min_value=0, max_value=1, places=3),
    st.integers(min_value=0, max_value=10),
)
def test_every_rupiah_of_every_repayment_is_allocated_once(raw, rate, grace_days):
    start = date(2026, 2, 1)
    payments = [Payment(start + timedelta(days=d), amount) for d, amount in sorted(raw)]
    p = replay(
        SCHEDULE, payments, as_of=start + timedelta(days=150), penalty_rate_per_day=rate, penalty_grace_days=grace_days
    )
    for payment, a in zip(payments, p.allocations, strict=True):
        assert a.penalty + a.interest + a.principal + a.overpaid == payment.amount
        assert min(a.penalty, a.interest, a.principal, a.overpaid) >= 0
        assert sum(sum(parts.values()) for parts in a.by_instalment.values()) == payment.amount - a.overpaid
    paid_principal = sum(a.principal for a in p.allocations)
    assert p.principal_outstanding + paid_principal == 10_000_000
    assert all(0 <= x.principal_paid <= x.principal and 0 <= x.interest_paid <= x.interest for x in p.lines)
    assert p.penalty_owed >= 0
    assert p.overpaid == sum(a.overpaid for a in p.allocations)
    if p.overpaid:
        assert p.settled  # only what is beyond everything owed is overpaid
