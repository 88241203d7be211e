"""API of the registry: scoped search and read, and create/update with the import's own validation."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import DomainError, PermissionDenied
from betang.core.masking import mask_nik
from betang.registry import selectors
from betang.registry.imports.kinds import ORG_SPECS
from betang.registry.models import Bumdes, Cooperative, Enterprise, ImportBatch
from betang.registry.services.rows import registry_row_save
from betang.web.api import BODY, SAFE_TEXT, ErrorOut, Pages, StrictIn, Text, errors
from betang.web.search import holds_identifier

router = Router(tags=["registry"])

# Bounds the database can hold: a string longer than its column, or an integer beyond 64 bits, would
# fail in SQL (a 500) instead of being refused here as a 422 invalid_request.
MAX_RUPIAH = 10**15


class IdentifierInQuery(DomainError):
    code = "registry.identifier_in_query"
    http_status = 400
    message = gettext_lazy(
        "A NIK, KK or other long number does not belong in a URL (it is written to access logs): "
        "search with POST /api/v1/registry/households/search."
    )


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

    @staticmethod
    def resolve_kk_masked(obj) -> str:
        return mask_nik(obj.kk_number)


class HouseholdDetailOut(Schema):
    id: UUID
    kk_masked: str
    region_code: str
    address: str
    latest_decile: int | None
    members: list[MemberOut]


class PersonIn(StrictIn):
    nik: Text = Field(max_length=32, description="16 digits (spaces and dots allowed)")
    name: Text = Field(max_length=150)
    birth_date: Text = Field(max_length=20, description="YYYY-MM-DD or DD-MM-YYYY")
    sex: Text = Field(max_length=20)
    kk: Text = Field(max_length=32)
    region_code: Text = Field(max_length=20)
    relation: Text = Field("", max_length=30)
    address: Text = Field("", max_length=300)
    phone: Text = Field("", max_length=30)
    decile: StrictInt | None = Field(None, ge=1, le=10)


class OrgOut(Schema):
    id: UUID
    name: str
    region_code: str
    details: dict[str, Any]

    @staticmethod
    def resolve_details(obj) -> dict[str, Any]:
        details = {f.name: getattr(obj, f.name) for f in obj._meta.fields if f.name not in _HIDDEN}
        if "owner_nik" in details:
            details["owner_nik"] = mask_nik(details["owner_nik"])
        return details


# A row the import's rules reject is a 422 with its issues (SaveOut); a body of the wrong shape or types
# is a 422 invalid_request (ErrorOut) before any rule runs.
SAVE_ERRORS = {**errors(*BODY), 422: SaveOut | ErrorOut}
SAVE_DOC = (
    "200 updated or unchanged, 201 created; 422 either the row as the import's rules rejected it "
    "(`outcome: REJECTED` with its issues) or `invalid_request` for a body of the wrong shape or types."
)


def _save(request, kind: str, fields: dict[str, Any]) -> Status:
    _require(request, "registry.edit")
    result = registry_row_save(kind=kind, fields=fields, actor=request.user, occurred_at=clock.now())
    body = SaveOut(
        outcome=result.outcome,
        id=result.object_id,
        issues=[IssueOut(code=i.code, message=i.message, severity=i.severity, field=i.field) for i in result.issues],
        changes=result.changes,
    )
    status = {"CREATED": 201, "REJECTED": 422}.get(result.outcome, 200)
    return Status(status, body)


def _households(request, *, q: str, village: str, decile: int | None):
    """The queryset itself: the page is cut in SQL, never by building every household of the area first."""
    _require(request, "registry.persons")
    return selectors.household_list(
        scope=request.user.region_scope, q=q, village=village, decile="" if decile is None else str(decile)
    )


@router.get(
    "/households",
    response={200: list[HouseholdOut], **errors()},
    summary="Search households by name or village (KK masked)",
    description="A `q` holding a NIK, KK or any number of ten digits or more is refused (400 "
    "`registry.identifier_in_query`): a URL is written to access logs and browser histories. "
    "Search by identifier with `POST /households/search`.",
)
@paginate(Pages, page_size=50)
def household_search(
    request,
    q: str = Query("", max_length=100, pattern=SAFE_TEXT, description="part of a member's name"),
    village: str = Query(
        "", max_length=20, pattern=SAFE_TEXT, description="a region code: the village or an area above it"
    ),
    decile: int | None = Query(None, ge=1, le=10),
):
    if holds_identifier(q):
        raise IdentifierInQuery()
    return _households(request, q=q, village=village, decile=decile)


class HouseholdSearchIn(StrictIn):
    q: Text = Field("", max_length=100, description="a NIK or KK number (16 digits), or part of a member's name")
    village: Text = Field("", max_length=20, description="a region code: the village or an area above it")
    decile: StrictInt | None = Field(None, ge=1, le=10)


@router.post(
    "/households/search",
    response={200: list[HouseholdOut], **errors(*BODY)},
    summary="Search households by NIK, KK or name, the search in the body (KK masked)",
    description="The identifier travels in the body, never in a URL or an access log; pages with `?page=`.",
)
@paginate(Pages, page_size=50)
def household_search_by_body(request, body: HouseholdSearchIn):
    return _households(request, q=body.q, village=body.village, decile=body.decile)


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **errors(404)},
    summary="One household with its members",
)
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
    "/persons",
    response={200: SaveOut, 201: SaveOut, **SAVE_ERRORS},
    summary="Create or update a person and household",
    description=SAVE_DOC,
)
def person_save(request, payload: PersonIn):
    return _save(request, ImportBatch.Kind.HOUSEHOLDS, payload.dict())


class FullNikOut(Schema):
    nik: str


@router.get("/persons/{person_id}/nik", response={200: FullNikOut, **errors(404)}, summary="The full NIK (audited)")
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


class MemberIn(StrictIn):
    nik: Text = Field(max_length=32)
    name: Text = Field(max_length=150)
    role: Text = Field("", max_length=30)  # anggota (default), ketua, sekretaris, bendahara, pengawas
    joined_date: Text = Field("", max_length=20)
    term_end: Text = Field("", max_length=20)
    phone: Text = Field("", max_length=30)


class CoopMemberOut(Schema):
    person_id: UUID
    nik_masked: str
    name: str
    role: str
    joined_date: date | None
    term_end: date | None


class OutletIn(StrictIn):
    name: Text = Field(max_length=200)
    kind: Text = Field("", max_length=40)  # sembako (default), apotek, klinik, simpan pinjam, gudang, logistik, …
    address: Text = Field("", max_length=300)
    is_active: Text = Field("", max_length=10)


@router.get(
    "/cooperatives/{org_id}/members",
    response={200: list[CoopMemberOut], **errors(404)},
    summary="A cooperative's members (NIK masked)",
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
    response={200: SaveOut, 201: SaveOut, **SAVE_ERRORS, 404: ErrorOut},
    summary="Add or update a member (a person by NIK) with the import's rules",
    description=SAVE_DOC,
)
def cooperative_member_save(request, org_id: UUID, payload: MemberIn):
    coop = selectors.org_get(Cooperative, scope=request.user.region_scope, pk=org_id)
    return _save(request, "members", payload.dict() | {"coop_id": coop.pk})


@router.post(
    "/cooperatives/{org_id}/outlets",
    response={200: SaveOut, 201: SaveOut, **SAVE_ERRORS, 404: ErrorOut},
    summary="Add or update an outlet (known by its name) with the import's rules",
    description=SAVE_DOC,
)
def cooperative_outlet_save(request, org_id: UUID, payload: OutletIn):
    coop = selectors.org_get(Cooperative, scope=request.user.region_scope, pk=org_id)
    return _save(request, "outlets", payload.dict() | {"coop_id": coop.pk})


@router.get(
    "/{kind}",
    response={200: list[OrgOut], **errors()},
    summary="Search cooperatives, enterprises (UMKM) or BUMDes by name, NIB or village",
)
@paginate(Pages, page_size=50)
def org_search(
    request,
    kind: OrgKind,
    q: str = Query("", max_length=100, pattern=SAFE_TEXT, description="part of the name, or a NIB"),
    village: str = Query(
        "", max_length=20, pattern=SAFE_TEXT, description="a region code: the village or an area above it"
    ),
):
    _require(request, "registry.view")
    return _ORG_LIST[kind](scope=request.user.region_scope, q=q, village=village)


@router.get("/{kind}/{org_id}", response={200: OrgOut, **errors(404)}, summary="One cooperative, enterprise or BUMDes")
def org_detail(request, kind: OrgKind, org_id: UUID):
    _require(request, "registry.view")
    return selectors.org_get(_ORG_MODEL[kind], scope=request.user.region_scope, pk=org_id)


class OrgIn(StrictIn):
    """Fields of the three kinds; those a kind does not have are ignored (same names as the import columns)."""

    name: Text = Field(max_length=200)
    region_code: Text = Field(max_length=20)
    phone: Text = Field("", max_length=30)
    kind: Text = Field("", max_length=40)
    legal_number: Text = Field("", max_length=60)
    nib: Text = Field("", max_length=20)
    founded_date: Text = Field("", max_length=20)
    business_units: Text = Field("", max_length=1000)
    bank_name: Text = Field("", max_length=60)
    bank_account_number: Text = Field("", max_length=30)
    bank_account_name: Text = Field("", max_length=150)
    owner_name: Text = Field("", max_length=150)
    owner_nik: Text = Field("", max_length=32)
    kbli: Text = Field("", max_length=10)
    capital: StrictInt | None = Field(None, ge=0, le=MAX_RUPIAH, description="whole rupiah (an integer)")
    annual_turnover: StrictInt | None = Field(None, ge=0, le=MAX_RUPIAH, description="whole rupiah (an integer)")
    is_joint: StrictBool = False
    member_village_codes: Text = Field("", max_length=2000)


@router.post(
    "/{kind}",
    response={200: SaveOut, 201: SaveOut, **SAVE_ERRORS},
    summary="Create or update an organisation",
    description=SAVE_DOC,
)
def org_save(request, kind: OrgKind, payload: OrgIn):
    known = {c.field for c in ORG_SPECS[kind].columns}
    return _save(request, kind, {k: v for k, v in payload.dict().items() if k in known})
