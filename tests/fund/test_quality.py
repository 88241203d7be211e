"""Loan quality from days past due, by rule set; delinquency paused in declared disaster periods."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betang.fund.quality import RULE_SETS, QualityClass, classify, days_past_due


@pytest.mark.parametrize(
    ("days", "bank", "cooperative"),
    [(0, "1", "L"), (1, "2", "L"), (30, "2", "L"), (31, "2", "KL"), (90, "2", "KL"), (91, "3", "D"), (120, "3", "D"),
     (121, "4", "D"), (180, "4", "D"), (181, "5", "M"), (2000, "5", "M")],
)  # fmt: skip
def test_each_rule_set_classes_days_past_due_at_its_thresholds(days, bank, cooperative):
    assert classify(days, RULE_SETS["bank"]).code == bank
    assert classify(days, RULE_SETS["cooperative"]).code == cooperative


def test_problem_loans_are_kurang_lancar_and_worse():
    assert [c.problem for c in RULE_SETS["bank"]] == [False, False, True, True, True]


def test_a_rule_set_must_start_at_zero_days():
    with pytest.raises(ValueError):
        classify(5, [QualityClass("A", "A", 1, False)])


def test_a_disaster_period_pauses_delinquency():
    due = date(2026, 3, 12)
    assert days_past_due(due, date(2026, 4, 11)) == 30
    flood = (date(2026, 3, 20), date(2026, 3, 29))  # ten days of a declared flood
    assert days_past_due(due, date(2026, 4, 11), [flood]) == 20
    overlapping = [flood, (date(2026, 3, 25), date(2026, 4, 2))]  # declared again, overlapping
    assert days_past_due(due, date(2026, 4, 11), overlapping) == 30 - 14
    before = [(date(2026, 1, 1), date(2026, 3, 12))]  # ended on the due date: no late day paused
    assert days_past_due(due, date(2026, 4, 11), before) == 30
    assert days_past_due(due, date(2026, 3, 25), [(date(2026, 3, 1), date(2026, 12, 31))]) == 0
    assert days_past_due(None, date(2026, 4, 11), [flood]) == 0


@given(
    st.integers(min_value=0, max_value=400),
    st.lists(st.tuples(st.integers(min_value=-50, max_value=450), st.integers(min_value=0, max_value=60)), max_size=5),
)
def test_pauses_never_add_days_and_count_each_paused_day_once(late, raw):
    due = date(2026, 1, 1)
    as_of = due + timedelta(days=late)
    paused = [(due + timedelta(days=s), due + timedelta(days=s + length)) for s, length in raw]
    days = days_past_due(due, as_of, paused)
    covered = {d for s, e in paused for d in range((s - due).days, (e - due).days + 1) if 1 <= d <= late}
    assert days == late - len(covered)
