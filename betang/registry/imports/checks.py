"""What every validation rule shares: an issue (stable code, message, severity), a checked value, the region codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from betang.regions.models import District, Province, Regency, Village

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
        return cls(
            provinces=frozenset(Province.objects.values_list("code", flat=True)),
            regencies=frozenset(Regency.objects.values_list("code", flat=True)),
            districts=frozenset(District.objects.values_list("code", flat=True)),
            villages=frozenset(Village.objects.filter(is_active=True).values_list("code", flat=True)),
        )
