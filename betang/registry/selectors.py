"""Reads of the registry, always inside the reader's region scope (404 outside it)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connection
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.core.ids import as_uuid, uuid_param
from betang.core.masking import mask_changes
from betang.core.models import AuditEvent
from betang.regions.scope import RegionScope
from betang.registry.models import (
    Bumdes,
    Cooperative,
    CooperativeMember,
    CooperativeStaff,
    DuplicateCandidate,
    Enterprise,
    Household,
    ImportBatch,
    ImportRow,
    Outlet,
    Person,
)
from betang.web.worklist import Figure, Work


def _digits(text: str) -> str:
    return re.sub(r"[\s.\-']", "", text)


_DECILE = re.compile(r"[0-9]{1,2}")


def household_list(*, scope: RegionScope, q: str = "", village: str = "", decile: str = "") -> QuerySet[Household]:
    heads = Person.objects.filter(household=OuterRef("pk"), relation=Person.Relation.HEAD, merged_into__isnull=True)
    members = Person.objects.filter(household=OuterRef("pk"), merged_into__isnull=True).order_by()
    qs = (
        Household.objects.filter(scope.q("region_code"))
        .annotate(
            # Per row, as subqueries: evaluated for the page's 50 households only, never grouped over all.
            head_name=Subquery(heads.values("name")[:1]),
            member_count=Coalesce(Subquery(members.values("household").annotate(n=Count("*")).values("n")[:1]), 0),
        )
        .order_by("region_code", "kk_number")
    )
    if village:
        qs = qs.filter(Q(region_code=village) | Q(region_code__startswith=village + "."))
    if _DECILE.fullmatch(decile or ""):  # ASCII only: "²".isdigit() is True but int("²") fails
        qs = qs.filter(latest_decile=int(decile))
    text = q.strip()
    if text:
        digits = _digits(text)
        if re.fullmatch(r"[0-9]{16}", digits):
            member = Person.objects.filter(household=OuterRef("pk"), nik=digits)
            qs = qs.filter(Q(kk_number=digits) | Exists(member))
        else:
            member = Person.objects.filter(household=OuterRef("pk"), name__icontains=text, merged_into__isnull=True)
            qs = qs.filter(Exists(member))
    return qs


def household_by_kk(*, scope: RegionScope, kk_number: str) -> Household | None:
    """The household in the user's area whose current KK number this is (spaces and dots allowed)."""
    return Household.objects.filter(scope.q("region_code"), kk_number=_digits(kk_number)).first()


def household_get(*, scope: RegionScope, pk: Any) -> Household:
    return get_object_or_404(Household.objects.filter(scope.q("region_code")), pk=pk)


def household_members(household: Household) -> QuerySet[Person]:
    order = {r: i for i, r in enumerate(Person.Relation.values)}
    members = list(household.members.filter(merged_into__isnull=True))
    members.sort(key=lambda p: (order.get(p.relation, 99), p.birth_date))
    return members


def person_get(*, scope: RegionScope, pk: Any) -> Person:
    return get_object_or_404(Person.objects.filter(scope.q("region_code")), pk=pk)


def _org_list(model, *, scope: RegionScope, q: str, village: str) -> QuerySet:
    qs = model.objects.filter(scope.q("region_code")).order_by("region_code", "name")
    if village:
        qs = qs.filter(Q(region_code=village) | Q(region_code__startswith=village + "."))
    text = q.strip()
    if text:
        digits = _digits(text)
        condition = Q(name__icontains=text)
        if re.fullmatch(r"[0-9]{1,13}", digits) and hasattr(model, "nib"):
            condition |= Q(nib=digits)
        qs = qs.filter(condition)
    return qs


def cooperative_list(*, scope: RegionScope, q: str = "", village: str = "", kind: str = "") -> QuerySet[Cooperative]:
    qs = _org_list(Cooperative, scope=scope, q=q, village=village).annotate(outlet_count=Count("outlets"))
    return qs.filter(kind=kind) if kind else qs


def enterprise_list(*, scope: RegionScope, q: str = "", village: str = "", scale: str = "") -> QuerySet[Enterprise]:
    qs = _org_list(Enterprise, scope=scope, q=q, village=village)
    return qs.filter(scale=scale) if scale else qs


def bumdes_list(*, scope: RegionScope, q: str = "", village: str = "") -> QuerySet[Bumdes]:
    return _org_list(Bumdes, scope=scope, q=q, village=village)


def org_get(model, *, scope: RegionScope, pk: Any):
    return get_object_or_404(model.objects.filter(scope.q("region_code")), pk=pk)


def acting_cooperative_id(*, user: Any, cooperative_id: Any, outlet_id: Any = None) -> UUID:
    """The id of the cooperative (and outlet) a user takes payments or sells for: inside their scope
    and, for cooperative staff, only the cooperative they are bound to; 404 otherwise (what is out of
    reach does not exist). One plain statement, asked on every card payment of the API, where
    compiling the ORM's query cost more than running it (measured)."""
    q = connection.ops.quote_name
    sql = f"SELECT k.id FROM {q(Cooperative._meta.db_table)} k WHERE k.id = %s"  # noqa: S608 - a table name
    cooperative_id = _uuid_or_404(cooperative_id)
    params: list[Any] = [uuid_param(cooperative_id)]
    if prefix := user.region_scope.prefix:  # codes are digits and dots: nothing LIKE would read as a wildcard
        sql += " AND (k.region_code = %s OR k.region_code LIKE %s)"
        params += [prefix, prefix + ".%"]
    if user.role in COOPERATIVE_BOUND_ROLES and not user.is_superuser:
        sql += f" AND EXISTS (SELECT 1 FROM {q(CooperativeStaff._meta.db_table)} s WHERE s.cooperative_id = k.id AND s.user_id = %s)"  # noqa: S608 - a table name
        params.append(user.pk)
    if outlet_id is not None:
        sql += f" AND EXISTS (SELECT 1 FROM {q(Outlet._meta.db_table)} o WHERE o.id = %s AND o.cooperative_id = k.id)"  # noqa: S608 - a table name
        params.append(uuid_param(_uuid_or_404(outlet_id)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.fetchone() is None:
            raise Http404
    return cooperative_id


def _uuid_or_404(value: Any) -> UUID:
    try:
        return as_uuid(value)
    except ValueError:
        raise Http404 from None


def cooperative_of_staff(user: Any) -> Cooperative | None:
    """The cooperative a cooperative operator or cashier works for, if any."""
    return Cooperative.objects.filter(staff__user=user).first()


def cooperative_members(cooperative: Cooperative) -> QuerySet[CooperativeMember]:
    """Board and supervisors first, then members by name."""
    return (
        CooperativeMember.objects.filter(cooperative=cooperative)
        .select_related("person")
        .order_by(
            Case(
                *[When(role=role, then=i) for i, role in enumerate(CooperativeMember.Role.values[1:])],
                default=len(CooperativeMember.Role.values),
            ),
            "person__name",
        )
    )


def registry_summary(*, scope: RegionScope) -> dict[str, int]:
    return {
        "households": Household.objects.filter(scope.q("region_code")).count(),
        "persons": Person.objects.filter(scope.q("region_code"), merged_into__isnull=True).count(),
        "cooperatives": Cooperative.objects.filter(scope.q("region_code")).count(),
        "enterprises": Enterprise.objects.filter(scope.q("region_code")).count(),
        "bumdes": Bumdes.objects.filter(scope.q("region_code")).count(),
        "duplicates": DuplicateCandidate.objects.filter(
            scope.q("region_code"), status=DuplicateCandidate.Status.OPEN
        ).count(),
    }


PERSON_IMPORT_KINDS = (ImportBatch.Kind.HOUSEHOLDS, ImportBatch.Kind.MEMBERS)


def import_batch_list(*, user: Any, scope: RegionScope) -> QuerySet[ImportBatch]:
    """Batches uploaded inside the reader's area (an uploader's area is at least as wide as its rows);
    files of households or members only to a reader who may see persons."""
    qs = ImportBatch.objects.select_related("uploaded_by")
    if not user.has_capability("registry.persons"):
        qs = qs.exclude(kind__in=PERSON_IMPORT_KINDS)
    if not scope.is_national:
        qs = qs.filter(Q(scope_region_code=scope.prefix) | Q(scope_region_code__startswith=scope.prefix + "."))
    return qs.order_by("-created_at")


def import_batch_get(*, user: Any, scope: RegionScope, pk: Any) -> ImportBatch:
    return get_object_or_404(import_batch_list(user=user, scope=scope), pk=pk)


def import_rows(batch: ImportBatch, outcome: str = "") -> QuerySet[ImportRow]:
    qs = batch.rows.order_by("line")
    if outcome:
        qs = qs.filter(outcome=outcome)
    else:
        qs = qs.exclude(outcome__in=[ImportRow.Outcome.CREATED, ImportRow.Outcome.UNCHANGED], codes="")
    return qs


def duplicate_list(*, scope: RegionScope) -> QuerySet[DuplicateCandidate]:
    return (
        DuplicateCandidate.objects.filter(scope.q("region_code"), status=DuplicateCandidate.Status.OPEN)
        .select_related("existing__household", "candidate__household")
        .order_by("-score", "created_at")
    )


def change_history(*, object_ids: list[Any], limit: int = 50) -> list[dict[str, Any]]:
    """What changed on these rows and through which door: import rows (file, line) and audited edits.
    Identifiers in the changes are masked: a full NIK or KK is shown only by its audited view."""
    entries = [
        {
            "at": row.batch.created_at,
            "source": f"{row.batch.original_name}, baris {row.line}",
            "outcome": row.get_outcome_display(),
            "changes": mask_changes(row.changes),
            "object_id": row.object_id,
        }
        for row in ImportRow.objects.filter(object_id__in=object_ids)
        .exclude(outcome=ImportRow.Outcome.UNCHANGED)
        .select_related("batch")
        .order_by("-batch__created_at")[:limit]
    ]
    entries += [
        {
            "at": e.occurred_at,
            "source": e.actor.username if e.actor else "sistem",
            "outcome": e.event,
            "changes": mask_changes(e.changes),
            "object_id": e.object_id,
        }
        for e in AuditEvent.objects.filter(object_id__in=[str(i) for i in object_ids]).select_related("actor")[:limit]
    ]
    return sorted(entries, key=lambda e: e["at"], reverse=True)[:limit]


def households_for_programs(*, regions: list[str], max_decile: int | None) -> QuerySet[Household]:
    """Households in any of the region prefixes (all if none) with a decile at most `max_decile`.

    For program eligibility (aid): `.values_list("id", "region_code")`, members counted on request.
    """
    qs = Household.objects.all()
    if regions:
        condition = Q()
        for prefix in regions:
            condition |= RegionScope(prefix).q("region_code")
        qs = qs.filter(condition)
    if max_decile is not None:
        qs = qs.filter(latest_decile__isnull=False, latest_decile__lte=max_decile)
    return qs


def member_counts(household_ids: list[Any]) -> dict[Any, int]:
    """Living, unmerged members per household."""
    rows = (
        Person.objects.filter(household_id__in=household_ids, merged_into__isnull=True)
        .values_list("household_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def home_cooperatives(village_codes: set[str]) -> dict[str, Any]:
    """village code → the id of its active cooperative (the Koperasi Desa/Kelurahan Merah Putih first)."""
    found: dict[str, Any] = {}
    rows = (  # KDMP and KKMP sort before OTHER
        Cooperative.objects.filter(region_code__in=village_codes, status=Cooperative.Status.ACTIVE)
        .order_by("region_code", "kind", "created_at")
        .values_list("region_code", "id")
    )
    for code, pk in rows:
        found.setdefault(code, pk)
    return found


def household_heads(household_ids: list[Any]) -> dict[Any, str]:
    """household id → the name of its head (or its first member, when no head is recorded)."""
    names: dict[Any, str] = {}
    rows = (
        Person.objects.filter(household_id__in=household_ids, merged_into__isnull=True)
        .order_by("household_id", Case(When(relation=Person.Relation.HEAD, then=0), default=1), "birth_date")
        .values_list("household_id", "name")
    )
    for household_id, name in rows:
        names.setdefault(household_id, name)
    return names


def kk_numbers(*, scope: RegionScope, household_ids: list[Any]) -> dict[str, str]:
    """str(household id) → its current KK number, for the households in the reader's area."""
    ids = [i for i in household_ids if i]
    rows = Household.objects.filter(scope.q("region_code"), pk__in=ids).values_list("pk", "kk_number")
    return {str(pk): kk for pk, kk in rows}


def cooperative_names(ids: set[Any]) -> dict[UUID, str]:
    """id → name of the given cooperatives (ids as text or UUID)."""
    return dict(Cooperative.objects.filter(pk__in=[as_uuid(i) for i in ids]).values_list("id", "name"))


# --- the home page's worklist and figures (registered in apps.py) ---------------------------------------


def work_for(user: Any) -> list[Any]:
    """Duplicates to review; the user's imports of the last 30 days with rejected or held rows."""
    work, scope = [], user.region_scope
    if user.has_capability("registry.review_duplicates"):
        n = duplicate_list(scope=scope)[:1000].count()
        work.append(
            Work(
                ngettext("%(n)s possible duplicate to review", "%(n)s possible duplicates to review", n) % {"n": n},
                n,
                reverse("registry:duplicates"),
            )
        )
    if user.has_capability("registry.edit"):
        since = timezone.now() - timezone.timedelta(days=30)
        batches = import_batch_list(user=user, scope=scope).filter(
            uploaded_by=user, status=ImportBatch.Status.DONE, created_at__gte=since
        )[:50]
        waiting = [b for b in batches if b.counts.get("REJECTED") or b.counts.get("HELD")]
        for batch in waiting[:5]:
            n = batch.counts.get("REJECTED", 0) + batch.counts.get("HELD", 0)
            work.append(
                Work(
                    ngettext("%(n)s row of %(file)s to fix or review", "%(n)s rows of %(file)s to fix or review", n)
                    % {"n": n, "file": batch.original_name},
                    n,
                    reverse("registry:import_detail", args=[batch.pk]),
                )
            )
    return work


def figures_for(user: Any) -> list[Any]:
    """Households (for those who may see them) and cooperatives registered in the user's area."""
    if not user.has_capability("registry.view"):
        return []
    scope, figures = user.region_scope, []
    if user.has_capability("registry.persons"):
        households = Household.objects.filter(scope.q("region_code")).count()
        figures.append(Figure(_("households registered"), intcomma(households), reverse("registry:households")))
    cooperatives = Cooperative.objects.filter(scope.q("region_code")).count()
    figures.append(Figure(_("cooperatives"), intcomma(cooperatives), reverse("registry:orgs", args=["koperasi"])))
    return figures


def area_figures(user: Any, code: str) -> list[Any]:
    """A region's registry on its page: cooperatives, UMKM, BUMDes and (for who may see them)
    households registered in it, each leading to its list narrowed to the region."""
    if not user.has_capability("registry.view"):
        return []
    area = RegionScope(code)
    query = "?" + urlencode({"village": code})
    figures = []
    if user.has_capability("registry.persons"):
        n = Household.objects.filter(area.q("region_code")).count()
        figures.append(Figure(_("households registered"), intcomma(n), reverse("registry:households") + query))
    for model, label, slug in (
        (Cooperative, _("cooperatives"), "koperasi"),
        (Enterprise, _("UMKM"), "umkm"),
        (Bumdes, _("BUMDes"), "bumdes"),
    ):
        n = model.objects.filter(area.q("region_code")).count()
        figures.append(Figure(label, intcomma(n), reverse("registry:orgs", args=[slug]) + query))
    return figures
