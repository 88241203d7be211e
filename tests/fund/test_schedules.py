"""Loan schedules in integer rupiah: exact worked examples, and every method over many random products
checked against an independent oracle (numpy-financial's pmt/ipmt, in floating point) and the
invariants (principal sums exactly to the loan, the last instalment absorbs the remainder)."""

import itertools
import json
from datetime import date
from decimal import Decimal
from io import StringIO

import numpy_financial as npf
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from betang.fund.schedules import GraceInterest, Method, ScheduleError, Terms, add_months, schedule, totals


def terms(**kw) -> Terms:
    base = {
        "amount": 250_000_000,
        "annual_rate": Decimal("6"),
        "months": 36,
        "method": Method.ANNUITY,
        "start": date(2026, 1, 12),
    }
    return Terms(**(base | kw))


def test_the_annuity_of_the_issue_example_pays_interest_in_grace_then_equal_instalments():
    lines = schedule(terms(grace=6))
    assert len(lines) == 36
    assert [(x.number, x.due, x.principal, x.interest, x.total) for x in lines[:1]] == [
        (1, date(2026, 2, 12), 0, 1_250_000, 1_250_000)
    ]
    assert all(x.grace and x.total == 1_250_000 and x.outstanding == 250_000_000 for x in lines[:6])
    # 250,000,000 over 30 months at 0.5%: pmt = 8,994,729.60 → 8,994,730 (half up)
    assert {x.total for x in lines[6:-1]} == {8_994_730}
    assert (lines[6].interest, lines[6].principal) == (1_250_000, 7_744_730)
    assert (lines[7].interest, lines[7].principal, lines[7].outstanding) == (1_211_276, 7_783_454, 234_471_816)
    last = lines[-1]
    assert (last.due, last.outstanding) == (date(2029, 1, 12), 0)
    assert totals(lines)["principal"] == 250_000_000


def test_a_small_annuity_worked_by_hand():
    lines = schedule(terms(amount=12_000_000, annual_rate=Decimal("12"), months=12, start=date(2026, 1, 31)))
    assert [x.due for x in lines[:3]] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert [(x.principal, x.interest, x.total) for x in lines[:2]] == [
        (946_185, 120_000, 1_066_185),
        (955_647, 110_538, 1_066_185),
    ]
    assert (lines[-1].principal, lines[-1].interest, lines[-1].total) == (1_055_635, 10_556, 1_066_191)
    assert totals(lines) == {"principal": 12_000_000, "interest": 794_226, "total": 12_794_226, "capitalised": 0}


def test_flat_interest_on_the_original_principal_and_the_last_instalment_absorbs_the_remainder():
    lines = schedule(terms(amount=10_000_000, annual_rate=Decimal("6"), months=3, method=Method.FLAT))
    # 10,000,000 / 3 = 3,333,333.33 → 3,333,333, twice; the last takes 3,333,334; interest 50,000 each.
    assert [(x.principal, x.interest, x.total, x.outstanding) for x in lines] == [
        (3_333_333, 50_000, 3_383_333, 6_666_667),
        (3_333_333, 50_000, 3_383_333, 3_333_334),
        (3_333_334, 50_000, 3_383_334, 0),
    ]


def test_declining_principal_with_interest_on_what_is_outstanding():
    lines = schedule(terms(amount=10_000_000, annual_rate=Decimal("6"), months=3, method=Method.DECLINING))
    assert [(x.principal, x.interest, x.total) for x in lines] == [
        (3_333_333, 50_000, 3_383_333),
        (3_333_333, 33_333, 3_366_666),  # 6,666,667 × 0.5% = 33,333.335 → 33,333
        (3_333_334, 16_667, 3_350_001),  # 3,333,334 × 0.5% = 16,666.67 → 16,667
    ]


def test_capitalised_grace_interest_grows_the_principal_and_nothing_is_due():
    lines = schedule(terms(amount=100_000_000, months=12, grace=2, grace_interest=GraceInterest.CAPITALISE))
    assert [(x.total, x.capitalised, x.outstanding) for x in lines[:2]] == [
        (0, 500_000, 100_500_000),
        (0, 502_500, 101_002_500),
    ]
    assert totals(lines)["principal"] == 101_002_500 == 100_000_000 + totals(lines)["capitalised"]
    assert lines[-1].outstanding == 0


@pytest.mark.parametrize(
    "bad",
    [{"amount": 0}, {"months": 0}, {"grace": 36}, {"annual_rate": Decimal("-1")}, {"amount": 1.5}],
)
def test_terms_that_make_no_schedule_are_refused(bad):
    with pytest.raises(ScheduleError):
        schedule(terms(**bad))


def test_due_dates_keep_the_day_or_take_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


products = st.builds(
    Terms,
    amount=st.integers(min_value=1_000_000, max_value=5_000_000_000),
    annual_rate=st.decimals(min_value=0, max_value=24, places=2),
    months=st.integers(min_value=1, max_value=120),
    method=st.sampled_from(list(Method)),
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    grace=st.integers(min_value=0, max_value=12),
    grace_interest=st.sampled_from(list(GraceInterest)),
).filter(lambda t: t.grace < t.months)


@settings(max_examples=400, deadline=None)
@given(products)
def test_every_schedule_keeps_the_invariants(t):
    lines = schedule(t)
    assert [x.number for x in lines] == list(range(1, t.months + 1))
    assert [x.due for x in lines] == [add_months(t.start, n) for n in range(1, t.months + 1)]
    sums = totals(lines)
    assert sums["principal"] == t.amount + sums["capitalised"]  # to the rupiah
    assert lines[-1].outstanding == 0
    assert all(type(v) is int for x in lines for v in (x.principal, x.interest, x.total, x.outstanding))
    assert all(x.total == x.principal + x.interest and x.principal >= 0 and x.interest >= 0 for x in lines)
    repaying = lines[t.grace :]
    assert all(a.outstanding >= b.outstanding for a, b in itertools.pairwise(repaying))
    assert all(x.principal == 0 for x in lines[: t.grace])
    if t.grace_interest == GraceInterest.CAPITALISE:
        assert all(x.total == 0 for x in lines[: t.grace])


@settings(max_examples=400, deadline=None)
@given(products)
def test_every_schedule_agrees_with_numpy_financial(t):
    """The oracle computes in floating point from the principal the instalments repay: the annuity's
    instalment by `pmt`, and the principal outstanding after k instalments of it by `fv`. Ours rounds
    each month's interest half up to the rupiah, so the principal outstanding may drift from the
    oracle's by at most half a rupiah a month, compounded: E_k = 0.5 × ((1 + i)^k − 1) / i. Every
    figure must lie within that proven bound."""
    lines = schedule(t)
    i = float(t.annual_rate) / 1200
    principal = lines[t.grace - 1].outstanding if t.grace else t.amount
    m = t.months - t.grace
    repaying = lines[t.grace :]
    for x in lines[: t.grace]:  # grace: the month's interest on the principal then
        assert abs((x.interest or x.capitalised) - (x.outstanding - x.capitalised) * i) <= 0.5 + 1e-6
    if t.method == Method.ANNUITY:
        oracle_payment = -npf.pmt(i, m, principal) if i else principal / m
        payment = repaying[0].total if m > 1 else None
        if payment is not None:
            assert abs(payment - oracle_payment) <= 0.5 + 1e-6  # pmt, rounded half up
        drift = (lambda k: 0.5 * ((1 + i) ** k - 1) / i) if i else (lambda k: 0.0)
        before = principal
        for k, x in enumerate(repaying[:-1], start=1):
            assert x.total == payment
            oracle_before = -npf.fv(i, k - 1, -payment, principal) if i else principal - (k - 1) * payment
            oracle_after = -npf.fv(i, k, -payment, principal) if i else principal - k * payment
            assert abs(before - oracle_before) <= drift(k - 1) + 1e-3
            assert abs(x.interest - i * oracle_before) <= 0.5 + i * drift(k - 1) + 1e-3
            assert abs(x.outstanding - oracle_after) <= drift(k) + 1e-3
            before = x.outstanding
        assert repaying[-1].principal == before  # the last repays exactly what is left
    else:
        share = principal / m
        rounded_share = int(share + 0.5)  # half up, as the schedule rounds it
        for k, x in enumerate(repaying[:-1], start=1):
            assert x.principal == rounded_share
            base = principal if t.method == Method.FLAT else principal - (k - 1) * rounded_share
            assert abs(x.interest - base * i) <= 0.5 + 1e-6
        assert repaying[-1].principal == principal - (m - 1) * rounded_share


def test_the_command_prints_json_and_a_table(capsys):
    out = StringIO()
    call_command(
        "fund", "schedule", "--amount", "250000000", "--annual-rate", "6", "--months", "36", "--grace", "6",
        "--method", "annuity", "--start", "2026-01-12", "--format", "json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert len(data["instalments"]) == 36
    assert data["instalments"][6] == {
        "number": 7, "due": "2026-08-12", "principal": 7_744_730, "interest": 1_250_000, "total": 8_994_730,
        "outstanding": 242_255_270, "grace": False, "capitalised": 0,
    }  # fmt: skip
    assert data["totals"]["principal"] == 250_000_000
    table = StringIO()
    call_command(
        "fund",
        "schedule",
        "--amount",
        "10000000",
        "--annual-rate",
        "6",
        "--months",
        "3",
        "--method",
        "flat",
        "--start",
        "2026-01-12",
        stdout=table,
    )
    assert "Rp3.383.334" in table.getvalue()
    assert "2026-04-12" in table.getvalue()
    with pytest.raises(CommandError):
        call_command("fund", "schedule", "--amount", "1000", "--annual-rate", "6", "--months", "3", "--grace", "3")
