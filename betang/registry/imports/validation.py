"""Validation rules for registry data, each with a stable code and an Indonesian message.

Every rule returns the cleaned value and a list of issues. An *error* rejects the row; a *warning*
keeps it and flags it for review (a NIK whose birth date disagrees with the one given, say).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from betang.regions import codes
from betang.registry.imports.checks import ERROR, WARNING, Checked, Issue, RegionIndex, _issue
from betang.registry.imports.identifiers import NikFacts, check_kk, check_nib, check_nik, identifier_digits, nik_facts

# The rules are read as one vocabulary (`v.check_nik`, `v.Issue`): the shared types and the identifier
# rules live in their own modules and are named here too.
__all__ = [
    "ERROR",
    "MONTHS",
    "SEX_WORDS",
    "WARNING",
    "Checked",
    "Issue",
    "NikFacts",
    "RegionIndex",
    "check_amount",
    "check_date",
    "check_kk",
    "check_name",
    "check_nib",
    "check_nik",
    "check_phone",
    "check_sex",
    "check_village",
    "identifier_digits",
    "nik_facts",
    "parse_date",
]

_DIGIT = re.compile(r"\d")
_RP_PREFIX = re.compile(r"(?i)^rp\.?\s*")
_ZERO_CENTS = re.compile(r",00$")


# --- phone numbers ----------------------------------------------------------------------------------


def check_phone(raw: Any) -> Checked:
    """Indonesian phone numbers in any usual writing, normalised to +62…; empty is allowed."""
    if raw is None or not str(raw).strip():
        return Checked(None)
    text = str(int(raw)) if isinstance(raw, int | float) else str(raw).strip()
    # `'+62…`: the apostrophe Excel users type, and our own exports write, so that `+` is not a formula.
    digits = re.sub(r"[\s().\-]", "", text.removeprefix("'"))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            return Checked(
                None,
                [
                    _issue(
                        "phone.country",
                        _("Phone number %(text)s is not Indonesian (+62)."),
                        field_name="phone",
                        text=text,
                    )
                ],
            )
        national = digits[2:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits  # a spreadsheet dropped the leading 0 (812…)
    national = national.lstrip("0")
    if not national.isdigit() or not 8 <= len(national) <= 12 or national[0] == "1":
        return Checked(
            None,
            [
                _issue(
                    "phone.format",
                    _("Phone number %(text)s is not a valid Indonesian number."),
                    field_name="phone",
                    text=text,
                )
            ],
        )
    return Checked("+62" + national)


# --- dates ------------------------------------------------------------------------------------------

MONTHS = {
    "januari": 1,
    "jan": 1,
    "january": 1,
    "februari": 2,
    "feb": 2,
    "pebruari": 2,
    "february": 2,
    "maret": 3,
    "mar": 3,
    "march": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "juni": 6,
    "jun": 6,
    "june": 6,
    "juli": 7,
    "jul": 7,
    "july": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "aug": 8,
    "august": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "october": 10,
    "november": 11,
    "nov": 11,
    "nop": 11,
    "nopember": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "december": 12,
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")


def parse_date(raw: Any) -> date | None:
    """`1980-01-31`, `31/01/1980`, `31-01-1980`, `31.01.1980`, `31 Januari 1980`, or an Excel date cell."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = " ".join(str(raw).split())
    if " 00:00:00" in text:
        text = text.replace(" 00:00:00", "")
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if (m := _WORDS.match(text)) and m[2].lower() in MONTHS:
            return date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    except ValueError:
        return None
    return None


def check_date(
    raw: Any, *, field_name: str, label: str, today: date, required: bool = False, past: bool = True
) -> Checked:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            return Checked(
                None, [_issue(f"{field_name}.missing", _("%(label)s is empty."), field_name=field_name, label=label)]
            )
        return Checked(None)
    parsed = parse_date(raw)
    if parsed is None:
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.format",
                    _("%(label)s %(text)s is not a date (use 31-01-1980, 31/01/1980, 1980-01-31 or 31 Januari 1980)."),
                    field_name=field_name,
                    label=label,
                    text=str(raw),
                )
            ],
        )
    if past and parsed > today:
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.future",
                    _("%(label)s %(text)s is in the future."),
                    field_name=field_name,
                    label=label,
                    text=parsed.isoformat(),
                )
            ],
        )
    if parsed.year < 1900:
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.too_old",
                    _("%(label)s %(text)s is before 1900."),
                    field_name=field_name,
                    label=label,
                    text=parsed.isoformat(),
                )
            ],
        )
    return Checked(parsed)


# --- small vocabularies -----------------------------------------------------------------------------

SEX_WORDS = {
    "l": "M",
    "lk": "M",
    "laki": "M",
    "laki-laki": "M",
    "laki laki": "M",
    "pria": "M",
    "m": "M",
    "male": "M",
    "1": "M",
    "p": "F",
    "pr": "F",
    "perempuan": "F",
    "wanita": "F",
    "f": "F",
    "female": "F",
    "w": "F",
    "2": "F",
}


def check_sex(raw: Any) -> Checked:
    key = str(raw or "").strip().lower()
    if not key:
        return Checked(None, [_issue("sex.missing", _("Sex is empty (L or P)."), field_name="sex")])
    if key not in SEX_WORDS:
        return Checked(
            None,
            [_issue("sex.format", _("Sex %(text)s is not understood (use L or P)."), field_name="sex", text=str(raw))],
        )
    return Checked(SEX_WORDS[key])


def check_village(raw: Any, regions: RegionIndex) -> Checked:
    if raw is None or not str(raw).strip():
        return Checked(None, [_issue("village.missing", _("Village code is empty."), field_name="region_code")])
    text = str(int(raw)) if isinstance(raw, int | float) else str(raw)
    code = codes.normalise(text)
    if code is None or codes.level_of(code) != "village":
        return Checked(
            None,
            [
                _issue(
                    "village.format",
                    _("Village code %(text)s is not a village code (62.03.01.2001)."),
                    field_name="region_code",
                    text=text,
                )
            ],
        )
    if code not in regions.villages:
        return Checked(
            None,
            [
                _issue(
                    "village.unknown", _("Village code %(code)s does not exist."), field_name="region_code", code=code
                )
            ],
        )
    return Checked(code)


def check_name(raw: Any, *, field_name: str = "name", label: str | None = None) -> Checked:
    label = label or _("Name")
    text = " ".join(str(raw or "").split())
    if not text:
        return Checked(
            None, [_issue(f"{field_name}.missing", _("%(label)s is empty."), field_name=field_name, label=label)]
        )
    if len(text) > 150:
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.length",
                    _("%(label)s is longer than 150 characters."),
                    field_name=field_name,
                    label=label,
                )
            ],
        )
    issues = []
    if _DIGIT.search(text):
        issues.append(_issue(f"{field_name}.digits", _("%(label)s contains digits."), WARNING, field_name, label=label))
    return Checked(text, issues)


def check_amount(raw: Any, *, field_name: str, label: str) -> Checked:
    """Whole rupiah from `1250000`, `1.250.000`, `Rp1.250.000` or a number cell; empty is allowed."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Checked(None)
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and raw == int(raw):
        value = int(raw)
    else:
        text = _RP_PREFIX.sub("", str(raw).strip())
        text = _ZERO_CENTS.sub("", text).replace(".", "").replace(" ", "")
        # ASCII digits only ("²".isdigit() is True but int("²") fails), within a 64-bit rupiah column
        if not text.isdigit() or not text.isascii() or len(text) > 15:
            return Checked(
                None,
                [
                    _issue(
                        f"{field_name}.format",
                        _("%(label)s %(text)s is not an amount in whole rupiah."),
                        field_name=field_name,
                        label=label,
                        text=str(raw),
                    )
                ],
            )
        value = int(text)
    if value < 0:
        return Checked(
            None,
            [_issue(f"{field_name}.negative", _("%(label)s cannot be negative."), field_name=field_name, label=label)],
        )
    return Checked(value)
