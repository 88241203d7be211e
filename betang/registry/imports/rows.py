"""What every import kind shares: a row's outcome, the run's context, refusals by area, and cell helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from betang.regions.scope import RegionScope
from betang.registry.imports import validation as v
from betang.registry.models import ImportRow

Outcome = ImportRow.Outcome


@dataclass
class RowResult:
    line: int
    outcome: str
    issues: list[v.Issue] = field(default_factory=list)
    data: list[str] | None = None
    object_id: Any = None
    changes: dict[str, Any] = field(default_factory=dict)

    def as_tuple(self, batch_id: Any) -> tuple:
        return (
            batch_id,
            self.line,
            self.outcome,
            ",".join(i.code for i in self.issues)[:200],
            " ".join(i.message for i in self.issues),
            self.data or [],
            self.object_id,
            self.changes,
        )


@dataclass
class Context:
    source: str  # what DTSEN snapshots name as their source: the file, or "API"
    regions: v.RegionIndex
    scope: RegionScope
    today: date
    now: datetime
    original: Callable[[list[Any]], list[str]]  # a row's cells as text, kept for rejected rows


# A clean row of the kinds other than households, as their `flush` receives it: line, cells as read,
# clean values, issues (warnings only: a row with an error never gets this far).
CleanRow = tuple[int, list[Any], dict[str, Any], list[v.Issue]]


def _in_scope(ctx: Context, region_code: str) -> list[v.Issue]:
    if ctx.scope.contains(region_code):
        return []
    return [
        v.Issue(
            "village.out_of_scope",
            _("Village %(code)s is outside your area.") % {"code": region_code},
            field="region_code",
        )
    ]


def _elsewhere(code: str, what: str, field_name: str) -> v.Issue:
    """A refusal for a match registered outside the user's area. It says only that the NIK, KK or number
    is registered elsewhere (unavoidable: it cannot be registered twice), never whose it is or where,
    and what to do: the other area's officer moves it, or it is corrected."""
    messages = {
        "nik": _(
            "This NIK is registered in another area: ask that area's officer to move the person, or correct the NIK."
        ),
        "kk": _(
            "This KK is registered in another area: ask that area's officer to move the household, or correct the KK."
        ),
        "org": _(
            "This number is registered to an organisation in another area: ask that area's officer, or correct it."
        ),
    }
    return v.Issue(code, messages[what], field=field_name)


def _words(value: Any) -> str:
    """A cell as lower-case words with single spaces, for lookups in the tables of accepted terms."""
    return " ".join(str(value or "").lower().split())


def _issues(*checks: v.Checked) -> list[v.Issue]:
    return [issue for check in checks for issue in check.issues]


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in {"ya", "y", "yes", "1", "true", "bersama"}


def _units(value: Any) -> list[str]:
    return [u.strip() for u in str(value or "").replace(";", ",").split(",") if u.strip()]


def _text_field(fields: dict[str, Any], name: str, limit: int) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return " ".join(str(value).split())[:limit]
