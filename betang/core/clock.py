"""The one place that reads the clock; services take `occurred_at` from their callers instead."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def day_start(day: date) -> datetime:
    """The moment a local calendar day begins (midnight in TIME_ZONE): the bound of "sales of a day"."""
    return timezone.make_aware(datetime.combine(day, time.min))
