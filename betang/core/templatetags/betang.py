"""Template filters for Indonesian formats: `rupiah` (Rp1.250.000) and `tanggal` (21 November 2026)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from django import template
from django.utils import timezone, translation

from betang.core.money import format_rupiah

register = template.Library()


def _locale() -> str:
    return "id_ID" if (translation.get_language() or "id").startswith("id") else "en_GB"


@register.filter
def rupiah(value: int | None) -> str:
    if value is None or value == "":
        return ""
    return format_rupiah(int(value))


@register.filter
def tanggal(value: date | datetime | None) -> str:
    """Long date in the active language: `21 November 2026`."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return format_date(value, format="d MMMM y", locale=_locale())


@register.filter
def waktu(value: datetime | None) -> str:
    """Date and time in local time: `21 November 2026 14.05`."""
    if value is None or value == "":
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_datetime(local, format="d MMMM y HH.mm", locale=_locale())


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"outlets.sell" %}`: whether the user holds a capability (accounts decides)."""
    check = getattr(user, "has_capability", None)
    return bool(check and check(capability))
