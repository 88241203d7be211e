"""API of the registry: scoped search and read, and create/update with the import's own validation."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import PermissionDenied
from betang.registry import selectors, services
from betang.registry.importing import ORG_SPECS
from betang.registry.masking import mask_nik
from betang.registry.models import Bumdes, Cooperative, Enterprise, ImportBatch

router = Router(tags=["registry"])


def _require(request, capability: str) -> None:
    if not request.user.has_capability(capability):
        raise PermissionDenied()


class IssueOut(Schema):
    code: str
    message: str
    severity: str
    field: str


class SaveOut(Schema):
    outcome: str
    id: UUID | None
    issues: list[IssueOut]
    changes: dict[str, Any]


class MemberOut(Schema):
    id: UUID
    nik_masked: str
    name: str
    birth_date: date
    sex: str
    relation: str
    review: str


class HouseholdOut(Schema):
    id: UUID
    kk_masked: str
    region_code: str
    head_name: str | None
    member_count: int
    latest_decile: int | None


class HouseholdDetailOut(Schema):
    id: UUID
    kk_masked: str
    region_code: str
    address: str
    latest_decile: int | None
    members: list[MemberOut]


class PersonIn(Schema):
    nik: str
    name: str
    birth_date: str
    sex: str
    kk: str
    region_code: str
    relation: str = ""
    address: str = ""
    phone: str = ""
    decile: int | None = None


class OrgOut(Schema):
    id: UUID
    name: str
    region_code: str
    details: dict[str, Any]


def _save(request, kind: str, fields: dict[str, Any]) -> Status:
    _require(request, "registry.edit")
    result = services.registry_row_save(kind=kind, fields=fields, actor=request.user, occurred_at=clock.now())
    body = SaveOut(
        outcome=result.outcome,
        id=result.object_id,
        issues=[IssueOut(code=i.code, message=i.message, severity=i.severity, field=i.field) for i in result.issues],
        changes=result.changes,
    )
    status = {"CREATED": 201, "REJECTED": 422}.get(result.outcome, 200)
    return Status(status, body)


@router.get("/households", response=list[HouseholdOut], summary="Search households (KK masked)")
@paginate(PageNumberPagination, page_size=50)
def household_search(request, q: str = "", village: str = "", decile: str = ""):
    _require(request, "registry.persons")
    households = selectors.household_list(scope=request.user.region_scope, q=q, village=village, decile=decile)
    return [
        HouseholdOut(
            id=h.pk,
            kk_masked=mask_nik(h.kk_number),
            region_code=h.region_code,
            head_name=h.head_name,
            member_count=h.member_count,
            latest_decile=h.latest_decile,
        )
        for h in households
    ]


@router.get("/households/{household_id}", response=HouseholdDetailOut, summary="One household with its members")
def household_detail(request, household_id: UUID):
    _require(request, "registry.persons")
    household = selectors.household_get(scope=request.user.region_scope, pk=household_id)
    return HouseholdDetailOut(
        id=household.pk,
        kk_masked=mask_nik(household.kk_number),
        region_code=household.region_code,
        address=household.address,
        latest_decile=household.latest_decile,
        members=[
            MemberOut(
                id=p.pk,
                nik_masked=mask_nik(p.nik),
                name=p.name,
                birth_date=p.birth_date,
                sex=p.sex,
                relation=p.relation,
                review=p.review,
            )
            for p in selectors.household_members(household)
        ],
    )


@router.post(
    "/persons", response={200: SaveOut, 201: SaveOut, 422: SaveOut}, summary="Create or update a person and household"
)
def person_save(request, payload: PersonIn):
    return _save(request, ImportBatch.Kind.HOUSEHOLDS, payload.dict())


class FullNikOut(Schema):
    nik: str


@router.get("/persons/{person_id}/nik", response=FullNikOut, summary="The full NIK (audited)")
def person_full_nik(request, person_id: UUID):
    _require(request, "registry.full_nik")
    person = selectors.person_get(scope=request.user.region_scope, pk=person_id)
    audit_record(
        actor=request.user,
        event="registry.person.nik_viewed",
        occurred_at=clock.now(),
        obj=person,
        region_code=person.region_code,
    )
    return FullNikOut(nik=person.nik)


OrgKind = Literal["cooperatives", "enterprises", "bumdes"]
_ORG_LIST = {
    "cooperatives": selectors.cooperative_list,
    "enterprises": selectors.enterprise_list,
    "bumdes": selectors.bumdes_list,
}
_ORG_MODEL = {"cooperatives": Cooperative, "enterprises": Enterprise, "bumdes": Bumdes}
_HIDDEN = {"id", "name", "region_code", "name_key", "created_at", "updated_at"}


def _org_out(obj) -> OrgOut:
    details = {f.name: getattr(obj, f.name) for f in obj._meta.fields if f.name not in _HIDDEN}
    if "owner_nik" in details:
        details["owner_nik"] = mask_nik(details["owner_nik"])
    return OrgOut(id=obj.pk, name=obj.name, region_code=obj.region_code, details=details)


class MemberIn(Schema):
    nik: str
    name: str
    role: str = ""  # anggota (default), ketua, sekretaris, bendahara, pengawas
    joined_date: str = ""
    term_end: str = ""
    phone: str = ""


class CoopMemberOut(Schema):
    person_id: UUID
    nik_masked: str
    name: str
    role: str
    joined_date: date | None
    term_end: date | None


class OutletIn(Schema):
    name: str
    kind: str = ""  # sembako (default), apotek, klinik, simpan pinjam, gudang, logistik, kantor, or another
    address: str = ""
    is_active: str = ""


@router.get(
    "/cooperatives/{org_id}/members", response=list[CoopMemberOut], summary="A cooperative's members (NIK masked)"
)
def cooperative_members(request, org_id: UUID):
    _require(request, "registry.persons")
    coop = selectors.org_get(Cooperative, scope=request.user.region_scope, pk=org_id)
    return [
        CoopMemberOut(
            person_id=m.person_id,
            nik_masked=mask_nik(m.person.nik),
            name=m.person.name,
            role=m.role,
            joined_date=m.joined_date,
            term_end=m.term_end,
        )
        for m in selectors.cooperative_members(coop)
    ]


@router.post(
    "/cooperatives/{org_id}/members",
    response={200: SaveOut, 201: SaveOut, 422: SaveOut},
    summary="Add or update a member (a person by NIK) with the import's rules",
)
def cooperative_member_save(request, org_id: UUID, payload: MemberIn):
    coop = selectors.org_get(Cooperative, scope=request.user.region_scope, pk=org_id)
    return _save(request, "members", payload.dict() | {"coop_id": coop.pk})


@router.post(
    "/cooperatives/{org_id}/outlets",
    response={200: SaveOut, 201: SaveOut, 422: SaveOut},
    summary="Add or update an outlet (known by its name) with the import's rules",
)
def cooperative_outlet_save(request, org_id: UUID, payload: OutletIn):
    coop = selectors.org_get(Cooperative, scope=request.user.region_scope, pk=org_id)
    return _save(request, "outlets", payload.dict() | {"coop_id": coop.pk})


@router.get("/{kind}", response=list[OrgOut], summary="Search cooperatives, enterprises (UMKM) or BUMDes")
@paginate(PageNumberPagination, page_size=50)
def org_search(request, kind: OrgKind, q: str = "", village: str = ""):
    _require(request, "registry.view")
    return [_org_out(o) for o in _ORG_LIST[kind](scope=request.user.region_scope, q=q, village=village)]


@router.get("/{kind}/{org_id}", response=OrgOut, summary="One cooperative, enterprise or BUMDes")
def org_detail(request, kind: OrgKind, org_id: UUID):
    _require(request, "registry.view")
    return _org_out(selectors.org_get(_ORG_MODEL[kind], scope=request.user.region_scope, pk=org_id))


class OrgIn(Schema):
    """Fields of the three kinds; those a kind does not have are ignored (same names as the import columns)."""

    name: str
    region_code: str
    phone: str = ""
    kind: str = ""
    legal_number: str = ""
    nib: str = ""
    founded_date: str = ""
    business_units: str = ""
    bank_name: str = ""
    bank_account_number: str = ""
    bank_account_name: str = ""
    owner_name: str = ""
    owner_nik: str = ""
    kbli: str = ""
    capital: int | None = None
    annual_turnover: int | None = None
    is_joint: bool = False
    member_village_codes: str = ""


@router.post("/{kind}", response={200: SaveOut, 201: SaveOut, 422: SaveOut}, summary="Create or update an organisation")
def org_save(request, kind: OrgKind, payload: OrgIn):
    known = {c.field for c in ORG_SPECS[kind].columns}
    return _save(request, kind, {k: v for k, v in payload.dict().items() if k in known})
