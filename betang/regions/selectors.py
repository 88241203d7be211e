"""Reads of the region tables: one region with its ancestry and children, and village search."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from betang.core.errors import NotFound
from betang.regions import codes
from betang.regions.models import District, Province, Regency, Village
from betang.regions.scope import RegionScope

MODELS = {"province": Province, "regency": Regency, "district": District, "village": Village}
CHILD_LEVEL = {"province": "regency", "regency": "district", "district": "village"}


@dataclass(frozen=True)
class RegionRef:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class RegionView:
    """A region, the path down to it, and its children, as a page or the API shows them."""

    code: str
    name: str
    level: str
    kind: str
    is_active: bool
    ancestors: list[RegionRef]
    children: list[RegionRef]


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def region_get(*, code: str, scope: RegionScope) -> RegionView:
    """One region with its ancestors and children; NotFound when absent or outside `scope`."""
    normalised = codes.normalise(code)
    level = codes.level_of(normalised) if normalised else None
    if level is None or not scope.overlaps(normalised):
        raise NotFound("Region not found.")
    region = MODELS[level].objects.filter(code=normalised).first()
    if region is None:
        raise NotFound("Region not found.")
    ancestor_codes = _ancestors(normalised)
    names: dict[str, str] = {}
    for anc_code in ancestor_codes:
        anc_level = codes.level_of(anc_code)
        names[anc_code] = MODELS[anc_level].objects.values_list("name", flat=True).get(code=anc_code)
    children: list[RegionRef] = []
    child_level = CHILD_LEVEL.get(level)
    if child_level:
        rows = MODELS[child_level].objects.filter(code__startswith=normalised + ".", is_active=True)
        children = [
            RegionRef(code=c, name=n, level=child_level)
            for c, n in rows.order_by("code").values_list("code", "name")
            if scope.overlaps(c)
        ]
    return RegionView(
        code=region.code,
        name=region.name,
        level=level,
        kind=getattr(region, "kind", ""),
        is_active=region.is_active,
        ancestors=[RegionRef(code=c, name=names[c], level=codes.level_of(c)) for c in ancestor_codes],
        children=children,
    )


def province_list(*, scope: RegionScope) -> list[RegionRef]:
    """The provinces a scope reaches (all 38 nationally, one for a regional officer)."""
    qs = Province.objects.filter(is_active=True).order_by("code")
    return [RegionRef(code=c, name=n, level="province") for c, n in qs.values_list("code", "name") if scope.overlaps(c)]


def village_search(*, query: str, scope: RegionScope, limit: int = 20) -> QuerySet[Village]:
    """Villages whose name contains `query` (any case) or whose code starts with it, inside `scope`."""
    text = " ".join(query.split())
    if len(text) < 2:
        return Village.objects.none()
    qs = Village.objects.filter(is_active=True).filter(scope.q("code"))
    prefix = codes.code_prefix_digits(text)
    if prefix is not None:
        # Codes hold only digits and dots (both sort before ':'), so this range is exactly
        # "starts with prefix" and walks the primary key on SQLite and PostgreSQL alike.
        qs = qs.filter(code__gte=prefix, code__lt=prefix + ":").order_by("code")
    else:
        # PostgreSQL answers this from a trigram index on UPPER(name) (migration 0002).
        qs = qs.filter(name__icontains=text).order_by("name", "code")
    return qs.select_related("district__regency__province")[:limit]


def village_names(village_codes: set[str]) -> dict[str, str]:
    """village code → its name."""
    return region_names("village", village_codes)


def regencies_within(prefix: str) -> list[RegionRef]:
    """The active regencies and cities under a province (or the one a regency code names; all if empty)."""
    qs = Regency.objects.filter(is_active=True).order_by("code")
    if prefix:
        qs = qs.filter(code=prefix) if codes.level_of(prefix) == "regency" else qs.filter(code__startswith=prefix + ".")
    return [RegionRef(code=c, name=n, level="regency") for c, n in qs.values_list("code", "name")]


def region_names(level: str, region_codes: set[str]) -> dict[str, str]:
    """code → name of the given codes of one level."""
    return dict(MODELS[level].objects.filter(code__in=region_codes).values_list("code", "name"))
