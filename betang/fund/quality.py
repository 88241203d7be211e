"""Loan quality (kolektibilitas) from days past due, by a configurable rule set, with delinquency
paused in declared disaster periods. Pure: no database.

Rule sets (DOMAIN §6.3; the day thresholds are as commonly published and must be confirmed against
the regulation a fund follows, so they are data, not code):
- `bank`: POJK 40/2019's five classes — 1 Lancar (0 days), 2 Dalam Perhatian Khusus (1–90),
  3 Kurang Lancar (91–120), 4 Diragukan (121–180), 5 Macet (over 180).
- `cooperative`: the four classes of the cooperative health assessment — Lancar, Kurang Lancar,
  Diragukan, Macet. Their day thresholds were not found in the sources; the defaults here (0–30,
  31–90, 91–180, over 180) follow the BPR rule for Lancar (arrears up to 30 days) and the bank
  thresholds above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class QualityClass:
    code: str
    name: str
    from_days: int  # the class holds from this many days past due up to the next class's from_days − 1
    problem: bool  # counted as a problem loan (NPL / KDBB)


RULE_SETS: dict[str, tuple[QualityClass, ...]] = {
    "bank": (
        QualityClass("1", "Lancar", 0, False),
        QualityClass("2", "Dalam Perhatian Khusus", 1, False),
        QualityClass("3", "Kurang Lancar", 91, True),
        QualityClass("4", "Diragukan", 121, True),
        QualityClass("5", "Macet", 181, True),
    ),
    "cooperative": (
        QualityClass("L", "Lancar", 0, False),
        QualityClass("KL", "Kurang Lancar", 31, True),
        QualityClass("D", "Diragukan", 91, True),
        QualityClass("M", "Macet", 181, True),
    ),
}


def classify(days_past_due: int, rules: Sequence[QualityClass]) -> QualityClass:
    """The class whose day range holds `days_past_due`."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    ordered = sorted(rules, key=lambda c: c.from_days)
    if not ordered or ordered[0].from_days != 0:
        raise ValueError("a rule set starts at 0 days")
    found = ordered[0]
    for quality in ordered:
        if days_past_due >= quality.from_days:
            found = quality
    return found


def days_past_due(oldest_unpaid_due: date | None, as_of: date, paused: Iterable[tuple[date, date]] = ()) -> int:
    """Days since the oldest instalment due and unpaid, not counting the days of declared disaster
    periods (first and last day inclusive) that fall after it: a cooperative in a disaster area does
    not grow delinquent while the disaster lasts."""
    if oldest_unpaid_due is None or as_of <= oldest_unpaid_due:
        return 0
    late = (as_of - oldest_unpaid_due).days  # the days after the due date, up to as_of
    first_late, last_late = oldest_unpaid_due + timedelta(days=1), as_of
    spans = sorted((max(start, first_late), min(end, last_late)) for start, end in paused)
    covered, reach = 0, first_late - timedelta(days=1)
    for start, end in spans:  # merged, so overlapping declarations are not counted twice
        start = max(start, reach + timedelta(days=1))
        if end >= start:
            covered += (end - start).days + 1
            reach = end
    return late - covered
