"""Masking of personal identifiers (NIK, KK, card numbers) for pages, exports, messages, logs and audit text."""

from __future__ import annotations

import re
from typing import Any

# A NIK, a KK number or a card number: sixteen digits, alone or inside a longer text.
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def mask_nik(nik: str) -> str:
    """`6271031203800003` → `6271••••••••0003`: region and serial stay readable, birth date hidden."""
    if not nik or len(nik) != 16:
        return nik
    return nik[:4] + "•" * 8 + nik[12:]


def mask_kk(kk: str) -> str:
    return mask_nik(kk)


def mask_text(text: str) -> str:
    """Every sixteen-digit number inside a text masked as `mask_nik` masks one."""
    return _SIXTEEN_DIGITS.sub(lambda m: m.group(1) + "•" * 8 + m.group(2), text)


def mask_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    """A change record (`{"field": [before, after]}`) with every identifier in it masked: for change
    histories and audit events, which people read without the right to see full numbers."""

    def masked(value: Any) -> Any:
        if isinstance(value, str):
            return mask_text(value)
        if isinstance(value, list | tuple):
            return [masked(v) for v in value]
        if isinstance(value, dict):
            return {k: masked(v) for k, v in value.items()}
        return value

    return {key: masked(value) for key, value in (changes or {}).items()}
