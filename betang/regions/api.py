"""API of regions: one region with its children, and village search, both scoped."""

from __future__ import annotations

from ninja import Path, Query, Router, Schema

from betang.regions import selectors
from betang.web.api import SAFE_TEXT, errors

router = Router(tags=["regions"])


class RegionRefOut(Schema):
    code: str
    name: str
    level: str


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    is_active: bool
    ancestors: list[RegionRefOut]
    children: list[RegionRefOut]


class VillageOut(Schema):
    code: str
    name: str
    kind: str
    district: str
    regency: str
    province: str


@router.get("/villages", response={200: list[VillageOut], **errors()}, summary="Search villages by name or code")
def village_search(
    request,
    q: str = Query(..., max_length=100, pattern=SAFE_TEXT, description="part of a village's name or code"),
    limit: int = Query(20, ge=1, le=100),
):
    villages = selectors.village_search(query=q, scope=request.user.region_scope, limit=min(max(limit, 1), 100))
    return [
        VillageOut(
            code=v.code,
            name=v.name,
            kind=v.kind,
            district=v.district.name,
            regency=v.district.regency.name,
            province=v.district.regency.province.name,
        )
        for v in villages
    ]


@router.get("/{code}", response={200: RegionOut, **errors(404)}, summary="A region with its ancestors and children")
def region_detail(
    request, code: str = Path(..., max_length=20, pattern=r"^[0-9][0-9.]*$", description="e.g. `62` or `62.03.01.1006`")
):
    return selectors.region_get(code=code, scope=request.user.region_scope)
