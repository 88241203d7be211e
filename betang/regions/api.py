"""API of regions: one region with its children, and village search, both scoped."""

from __future__ import annotations

from ninja import Router, Schema

from betang.regions import selectors

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


@router.get("/villages", response=list[VillageOut], summary="Search villages by name or code")
def village_search(request, q: str, limit: int = 20):
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


@router.get("/{code}", response=RegionOut, summary="A region with its ancestors and children")
def region_detail(request, code: str):
    return selectors.region_get(code=code, scope=request.user.region_scope)
