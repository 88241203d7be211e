"""Validation of NIK, KK and NIB: digits repaired from what spreadsheets do, region prefix, what a NIK encodes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from betang.registry.imports.checks import WARNING, Checked, Issue, RegionIndex, _issue

# --- identifier digits, repairing what spreadsheets do to them -------------------------------------

_SCI = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+]?\d+$")
_SEPARATORS = re.compile(r"[\s.\-'’`‘/_]")


def _excel_damage(name, field_name: str, text: str) -> Checked:
    return Checked(
        None,
        [
            _issue(
                f"{field_name}.scientific",
                _(
                    "%(name)s was damaged by Excel (%(text)s): digits are lost. Format the column as Text and type it again."
                ),
                field_name=field_name,
                name=name,
                text=text,
            )
        ],
    )


def identifier_digits(raw: Any, *, length: int, name: str, field_name: str) -> Checked:
    """Digits of a fixed-length identifier (NIK, KK, NIB) from what a person or Excel produced.

    Repairs spaces, dots, dashes and the leading apostrophe that forces text in Excel; refuses the
    scientific notation Excel writes for long numbers (`6.27101E+15`), because its lost digits cannot
    be recovered, and warns when a 16-digit number came from a numeric cell whose last digit Excel
    may have replaced by 0.
    """
    if type(raw) is str and len(raw) == length and raw.isdigit() and raw.isascii():
        return Checked(raw)  # already clean: most rows of most files
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Checked(
            None, [_issue(f"{field_name}.missing", _("%(name)s is empty."), field_name=field_name, name=name)]
        )
    if isinstance(raw, bool):
        raw = str(raw)
    repaired = _repaired(raw, length=length, name=name, field_name=field_name)
    if isinstance(repaired, Checked):
        return repaired
    text, numeric_cell = repaired
    return _checked_digits(text, numeric_cell, length=length, name=name, field_name=field_name)


def _repaired(raw: Any, *, length: int, name: str, field_name: str) -> tuple[str, bool] | Checked:
    """The cell as text without separators, and whether it came from a number (a cell, or Excel's
    scientific notation); or the refusal of a number that cannot be the identifier."""
    numeric_cell = isinstance(raw, int | float | Decimal)
    if isinstance(raw, float):
        if raw != int(raw):
            return Checked(
                None,
                [
                    _issue(
                        f"{field_name}.format",
                        _("%(name)s must be %(length)s digits."),
                        field_name=field_name,
                        name=name,
                        length=length,
                    )
                ],
            )
        return str(int(raw)), numeric_cell
    if isinstance(raw, int | Decimal):
        return str(int(raw)), numeric_cell
    text = str(raw).strip()
    if _SCI.match(text):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            number = None
        mantissa_digits = len(re.sub(r"\D", "", text.lower().split("e")[0]).lstrip("0"))
        if number is None or mantissa_digits < length:
            return _excel_damage(name, field_name, text)
        text = str(int(number))
        numeric_cell = True
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return _SEPARATORS.sub("", text), numeric_cell


def _checked_digits(text: str, numeric_cell: bool, *, length: int, name: str, field_name: str) -> Checked:
    """The repaired text as the identifier: ASCII digits of the right length, not cut short by Excel."""
    if not text.isdigit() or not text.isascii():
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.format",
                    _("%(name)s must contain digits only (%(text)s)."),
                    field_name=field_name,
                    name=name,
                    text=text,
                )
            ],
        )
    if len(text) != length:
        return Checked(
            None,
            [
                _issue(
                    f"{field_name}.length",
                    _("%(name)s must be %(length)s digits, found %(found)s."),
                    field_name=field_name,
                    name=name,
                    length=length,
                    found=len(text),
                )
            ],
        )
    if numeric_cell and length > 15 and text.endswith("0000"):
        # A number cell shown as 6.20301E+15 keeps only its first digits; no NIK or KK serial is 0000.
        return _excel_damage(name, field_name, text)
    issues: list[Issue] = []
    if numeric_cell and length > 15 and text.endswith("0"):
        issues.append(
            _issue(
                f"{field_name}.numeric_cell",
                _("%(name)s came from a number cell; Excel keeps 15 digits, so the last digit may be wrong."),
                WARNING,
                field_name,
                name=name,
            )
        )
    return Checked(text, issues)


def _region_prefix(digits: str, regions: RegionIndex, *, name: str, field_name: str) -> list[Issue]:
    """What the first six digits of a NIK or KK say about its region. The same few thousand districts
    come back row after row: each answer is kept on the region index, which lives for one import or
    one API call (one language: asking for it again would cost more than the answer)."""
    key = (digits[:6], field_name)
    issues = regions.prefix_answers.get(key)
    if issues is None:
        issues = regions.prefix_answers[key] = _region_prefix_issues(digits, regions, name=name, field_name=field_name)
    return list(issues)


def _region_prefix_issues(digits: str, regions: RegionIndex, *, name: str, field_name: str) -> list[Issue]:
    issues = []
    province, regency, district = (
        digits[0:2],
        digits[0:2] + "." + digits[2:4],
        ".".join((digits[0:2], digits[2:4], digits[4:6])),
    )
    if province not in regions.provinces:
        return [
            _issue(
                f"{field_name}.province",
                _("%(name)s starts with %(code)s, which is not a province."),
                field_name=field_name,
                name=name,
                code=digits[0:2],
            )
        ]
    regency_number = int(digits[2:4])
    if not (1 <= regency_number <= 69 or 71 <= regency_number <= 99):
        return [
            _issue(
                f"{field_name}.regency",
                _("%(name)s has regency code %(code)s, which cannot exist (01–69 or 71–99)."),
                field_name=field_name,
                name=name,
                code=digits[2:4],
            )
        ]
    if regency not in regions.regencies:
        issues.append(
            _issue(
                f"{field_name}.regency_unknown",
                _("%(name)s names regency %(code)s, not in today's list (it may predate a split)."),
                WARNING,
                field_name,
                name=name,
                code=regency,
            )
        )
    elif district not in regions.districts:
        issues.append(
            _issue(
                f"{field_name}.district_unknown",
                _("%(name)s names district %(code)s, not in today's list (it may predate a split)."),
                WARNING,
                field_name,
                name=name,
                code=district,
            )
        )
    return issues


@dataclass(frozen=True)
class NikFacts:
    birth_date: date | None
    sex: str  # "M" or "F"
    region_code: str  # district of first registration, dotted


def nik_facts(nik: str, *, today: date) -> NikFacts | None:
    """Birth date and sex encoded in a NIK (day + 40 for women); None when the date cannot exist."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "F" if day > 40 else "M"
    if sex == "F":
        day -= 40
    century = 2000 if 2000 + yy <= today.year else 1900
    try:
        born = date(century + yy, month, day)
    except ValueError:
        return None
    return NikFacts(birth_date=born, sex=sex, region_code=f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}")


def check_nik(
    raw: Any, regions: RegionIndex, *, today: date, birth_date: date | None = None, sex: str | None = None
) -> Checked:
    checked = identifier_digits(raw, length=16, name="NIK", field_name="nik")
    if not checked.ok:
        return checked
    nik = checked.value
    issues = list(checked.issues) + _region_prefix(nik, regions, name="NIK", field_name="nik")
    if any(i.is_error for i in issues):
        return Checked(None, issues)
    day = int(nik[6:8])
    facts = None
    if (1 <= day <= 31 or 41 <= day <= 71) and 1 <= int(nik[8:10]) <= 12:
        facts = nik_facts(nik, today=today)
    if facts is None:
        return Checked(
            None,
            [
                *issues,
                _issue(
                    "nik.birth_date",
                    _("NIK digits 7–12 (%(code)s) are not a birth date DDMMYY."),
                    field_name="nik",
                    code=nik[6:12],
                ),
            ],
        )
    if nik[12:16] == "0000":
        return Checked(
            None, [*issues, _issue("nik.serial", _("NIK serial (last 4 digits) cannot be 0000."), field_name="nik")]
        )
    return Checked(nik, issues + _disagreements(facts, birth_date=birth_date, sex=sex))


def _disagreements(facts: NikFacts, *, birth_date: date | None, sex: str | None) -> list[Issue]:
    """Warnings where the birth date or sex given differ from those the NIK encodes."""
    issues = []
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
        facts.birth_date.day,
        facts.birth_date.month,
        facts.birth_date.year % 100,
    ):
        issues.append(
            _issue(
                "nik.birth_date_mismatch",
                _("The birth date in the NIK (%(nik_date)s) differs from the birth date given (%(given)s)."),
                WARNING,
                "nik",
                nik_date=facts.birth_date.strftime("%d-%m-%y"),
                given=birth_date.strftime("%d-%m-%Y"),
            )
        )
    if sex is not None and sex != facts.sex:
        issues.append(
            _issue("nik.sex_mismatch", _("The NIK encodes a different sex than the one given."), WARNING, "nik")
        )
    return issues


def check_kk(raw: Any, regions: RegionIndex) -> Checked:
    checked = identifier_digits(raw, length=16, name=_("KK number"), field_name="kk")
    if not checked.ok:
        return checked
    issues = list(checked.issues) + _region_prefix(checked.value, regions, name=_("KK number"), field_name="kk")
    if any(i.is_error for i in issues):
        return Checked(None, issues)
    return Checked(checked.value, issues)


def check_nib(raw: Any) -> Checked:
    return identifier_digits(raw, length=13, name="NIB", field_name="nib")
