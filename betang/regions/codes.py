"""Kemendagri region codes: levels, shapes, and normalising what people type (6203 → 62.03)."""

from __future__ import annotations

import re

LEVELS = ("province", "regency", "district", "village")
# Digits per segment: PP.KK.CC.DDDD
_SEGMENTS = (2, 2, 2, 4)
CODE_PATTERNS = {
    "province": re.compile(r"^\d{2}$"),
    "regency": re.compile(r"^\d{2}\.\d{2}$"),
    "district": re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    "village": re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
_DOTTED_ANY = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def level_of(code: str) -> str | None:
    """The level a well-formed dotted code names, or None."""
    for level, pattern in CODE_PATTERNS.items():
        if pattern.match(code):
            return level
    return None


def parent_code(code: str) -> str:
    """`62.03.01` → `62.03`; a province has the empty parent."""
    return code.rpartition(".")[0]


def normalise(text: str) -> str | None:
    """Dotted code from what a person or a spreadsheet gave: `6203`, `62.03`, ` 62 03 01 2001 `.

    Returns None when the text cannot be a region code.
    """
    raw = text.strip()
    if _DOTTED_ANY.match(raw):
        return raw
    digits = re.sub(r"[\s.\-]", "", raw)
    if not digits.isdigit():
        return None
    parts, pos = [], 0
    for width in _SEGMENTS:
        if pos >= len(digits):
            break
        part = digits[pos : pos + width]
        if len(part) != width:
            return None
        parts.append(part)
        pos += width
    if pos != len(digits):
        return None
    return ".".join(parts)


def code_prefix_digits(text: str) -> str | None:
    """For search: a partial code (`62.03.0`, `620301`) as a dotted prefix, or None if not code-like."""
    raw = text.strip()
    if not raw or not re.fullmatch(r"[\d.\s]+", raw):
        return None
    digits = re.sub(r"[\s.]", "", raw)
    out, pos = [], 0
    for width in _SEGMENTS:
        if pos >= len(digits):
            break
        out.append(digits[pos : pos + width])
        pos += width
    if pos < len(digits):
        return None
    return ".".join(out)
