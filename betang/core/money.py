"""Rupiah amounts: whole integers, formatted the Indonesian way (Rp1.250.000), rounded by one rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_rupiah(amount: int) -> str:
    """`1250000` → `Rp1.250.000`; negatives as `-Rp1.250.000` (PUEBI: no space, no period after Rp)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"rupiah amounts are whole integers, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def round_rupiah(value: Decimal) -> int:
    """Round a computed Decimal (interest, shares) to whole rupiah, halves away from zero."""
    if not isinstance(value, Decimal):
        raise TypeError("round_rupiah takes a Decimal, never a float")
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
