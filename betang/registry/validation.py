"""Validation rules for registry data, each with a stable code and an Indonesian message.

Every rule returns the cleaned value and a list of issues. An *error* rejects the row; a *warning*
keeps it and flags it for review (a NIK whose birth date disagrees with the one given, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    severity: str = ERROR
    field: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass
class Checked:
    value: Any = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)


def _issue(issue_code: str, message, severity: str = ERROR, field: str = "", /, **params) -> Issue:
    field = params.pop("field_name", field)
    text = str(message) % params if params else str(message)
    return Issue(code=issue_code, message=text, severity=severity, field=field)


@dataclass(frozen=True)
class RegionIndex:
    """The codes a validator checks against: today's provinces, regencies, districts and villages."""

    provinces: frozenset[str]
    regencies: frozenset[str]
    districts: frozenset[str]
    villages: frozenset[str]
    prefix_answers: dict = field(default_factory=dict, compare=False, repr=False)  # see _region_prefix

    @classmethod
    def load(cls) -> RegionIndex:
        from betang.regions.models import District, Province, Regency, Village

        return cls(
            provinces=frozenset(Province.objects.values_list("code", flat=True)),
            regencies=frozenset(Regency.objects.values_list("code", flat=True)),
            districts=frozenset(District.objects.values_list("code", flat=True)),
            villages=frozenset(Village.objects.filter(is_active=True).values_list("code", flat=True)),
        )


# --- identifier digits, repairing what spreadsheets do to them -------------------------------------

_SCI = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+]?\d+$")
_SEPARATORS = re.compile(r"[\s.\-'’`‘/_]")
_DIGIT = re.compile(r"\d")
_RP_PREFIX = re.compile(r"(?i)^rp\.?\s*")
_ZERO_CENTS = re.compile(r",00$")


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
    issues: list[Issue] = []
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Checked(
            None, [_issue(f"{field_name}.missing", _("%(name)s is empty."), field_name=field_name, name=name)]
        )
    if isinstance(raw, bool):
        raw = str(raw)
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
        text = str(int(raw))
    elif isinstance(raw, int | Decimal):
        text = str(int(raw))
    else:
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
        text = _SEPARATORS.sub("", text)
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
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= int(nik[8:10]) <= 12:
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
    return Checked(nik, issues)


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
    from betang.regions import codes

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
