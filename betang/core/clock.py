"""The one place that reads the clock; services take `occurred_at` from their callers instead."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
