"""Pages of the registry: summary, scoped lists with search and XLSX export, details, imports, duplicates."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from betang.core import clock
from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.core.exports import export_start
from betang.core.masking import mask_nik
from betang.core.money import format_rupiah
from betang.core.paging import CappedPaginator
from betang.core.progress import progress_get
from betang.core.spreadsheet import xlsx
from betang.registry import selectors
from betang.registry.imports.kinds import columns_for
from betang.registry.models import Bumdes, Cooperative, Enterprise, ImportBatch, ImportRow
from betang.registry.services import duplicates, exports
from betang.registry.services.imports import import_batch_create
from betang.registry.tasks import export_run_task
from betang.web.access import capability_required
from betang.web.search import audit_filters, list_filters

VIEW, EDIT, FULL_NIK, REVIEW = "registry.view", "registry.edit", "registry.full_nik", "registry.review_duplicates"
PERSONS = "registry.persons"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@capability_required(VIEW)
def registry_home_view(request):
    summary = selectors.registry_summary(scope=request.user.region_scope)
    return render(
        request,
        "registry/home.html",
        {
            "summary": summary,
            "can_edit": request.user.has_capability(EDIT),
            "can_see_persons": request.user.has_capability(PERSONS),
        },
    )


# --- households ------------------------------------------------------------------------------------------


@capability_required(PERSONS)
def household_list_view(request):
    params, answer = list_filters(request, ("q", "village", "decile"))  # a NIK or KK never goes in a URL
    if answer:
        return answer
    households = selectors.household_list(scope=request.user.region_scope, **params)
    if request.GET.get("format") == "xlsx":
        return _household_export(request, households, params)
    page = CappedPaginator(households, 50).get_page(request.GET.get("page"))
    return render(request, "registry/household_list.html", {"page": page, "params": params, "deciles": range(1, 11)})


def _household_export(request, households, params):
    full = request.user.has_capability(FULL_NIK)
    persons = exports.household_persons(households)
    audit_record(
        actor=request.user,
        event="registry.households.exported",
        occurred_at=clock.now(),
        region_code=request.user.scope_region_code,
        changes={"filters": [None, audit_filters(params)], "full_identifiers": [None, full]},
    )
    if _exceeds(persons, settings.EXPORT_TASK_ROWS):
        return _export_in_background(
            request,
            kind="registry.households",
            label=_("Household export"),
            filename="rumah-tangga.xlsx",
            params={"filters": params},
            full=full,
        )
    out = io.BytesIO()
    exports.households_write(out, persons, full=full)
    return _xlsx_response(out.getvalue(), "rumah-tangga.xlsx")


def _exceeds(rows, limit: int) -> bool:
    """More than `limit` rows, counted no further than `limit + 1` (a province is a million)."""
    return rows[: limit + 1].count() > limit


def _export_in_background(request, *, kind, label, filename, params, full):
    """A large export is made by the task worker; the progress page follows it and offers the file."""
    export = export_start(
        kind=kind,
        label=label,
        filename=filename,
        params=params | {"language": translation.get_language()},
        full_identifiers=full,
        user=request.user,
        region_code=request.user.scope_region_code,
        enqueue=lambda export_id: export_run_task.enqueue(export_id=export_id),
        occurred_at=clock.now(),
    )
    messages.info(
        request, _("The file is large: it is being made in the background, and this page offers it when done.")
    )
    return redirect("web_task_progress", task_id=export.task_id)


@capability_required(PERSONS)
def household_detail_view(request, pk):
    household = selectors.household_get(scope=request.user.region_scope, pk=pk)
    members = selectors.household_members(household)
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": members,
            "history": selectors.change_history(object_ids=[household.pk, *[m.pk for m in members]]),
            "kk_history": household.kk_history.all(),
            "snapshots": household.dtsen_snapshots.all()[:10],
            "can_see_full": request.user.has_capability(FULL_NIK),
        },
    )


@require_POST
@capability_required(FULL_NIK)
def person_full_nik_view(request, pk):
    """Shows one full NIK and records who looked, when (the page shows masked numbers otherwise)."""
    person = selectors.person_get(scope=request.user.region_scope, pk=pk)
    audit_record(
        actor=request.user,
        event="registry.person.nik_viewed",
        occurred_at=clock.now(),
        obj=person,
        region_code=person.region_code,
    )
    return HttpResponse(f'<code data-testid="full-nik">{person.nik}</code>')


# --- cooperatives, enterprises, BUMDes ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrgPage:
    model: Any
    title: Any
    list_selector: Any
    filter_name: str  # an extra filter beside search and village
    filter_choices: Any
    columns: list[tuple[Any, str]]  # label, attribute
    text_columns: set[int]
    slug: str


ORG_PAGES = {
    "koperasi": OrgPage(
        Cooperative,
        gettext_lazy("Cooperatives"),
        selectors.cooperative_list,
        "kind",
        Cooperative.Kind.choices,
        [
            (gettext_lazy("Name"), "name"),
            (gettext_lazy("Kind"), "get_kind_display"),
            (gettext_lazy("Village code"), "region_code"),
            (gettext_lazy("Legal entity number (AHU)"), "legal_number"),
            ("NIB", "nib"),
            (gettext_lazy("Status"), "get_status_display"),
            (gettext_lazy("Phone"), "phone"),
        ],
        {2, 3, 4, 6},
        "koperasi",
    ),
    "umkm": OrgPage(
        Enterprise,
        gettext_lazy("Enterprises (UMKM)"),
        selectors.enterprise_list,
        "scale",
        Enterprise.Scale.choices,
        [
            (gettext_lazy("Name"), "name"),
            ("NIB", "nib"),
            (gettext_lazy("Owner"), "owner_name"),
            (gettext_lazy("Village code"), "region_code"),
            ("KBLI", "kbli"),
            (gettext_lazy("Scale"), "get_scale_display"),
            (gettext_lazy("Business capital (Rp)"), "capital"),
            (gettext_lazy("Annual turnover (Rp)"), "annual_turnover"),
        ],
        {1, 3, 4},
        "umkm",
    ),
    "bumdes": OrgPage(
        Bumdes,
        gettext_lazy("BUMDes"),
        selectors.bumdes_list,
        "",
        (),
        [
            (gettext_lazy("Name"), "name"),
            (gettext_lazy("Village code"), "region_code"),
            (gettext_lazy("Joint (BUM Desa bersama)"), "is_joint"),
            (gettext_lazy("Legal entity certificate number"), "legal_number"),
            (gettext_lazy("Phone"), "phone"),
        ],
        {1, 3, 4},
        "bumdes",
    ),
}


def _value(obj, attr: str):
    value = getattr(obj, attr)
    return value() if callable(value) else value


@capability_required(VIEW)
def org_list_view(request, kind: str):
    spec = ORG_PAGES.get(kind)
    if spec is None:
        raise Http404
    names = ("q", "village", spec.filter_name) if spec.filter_name else ("q", "village")
    filters, answer = list_filters(request, names)  # an owner's NIK searched never goes in a URL
    if answer:
        return answer
    params = {k: filters[k] for k in ("q", "village")}
    extra = filters.get(spec.filter_name, "")
    kwargs = dict(params, **({spec.filter_name: extra} if spec.filter_name else {}))
    rows = spec.list_selector(scope=request.user.region_scope, **kwargs)
    if request.GET.get("format") == "xlsx":
        body = ([_value(o, attr) for _, attr in spec.columns] for o in rows.iterator(chunk_size=2000))
        content = xlsx(
            [str(label) for label, _ in spec.columns], body, text_columns=spec.text_columns, title=str(spec.title)
        )
        return _xlsx_response(content, f"{spec.slug}.xlsx")
    page = CappedPaginator(rows, 50).get_page(request.GET.get("page"))
    table = [(o, [_shown(attr, _value(o, attr)) for _, attr in spec.columns]) for o in page]
    return render(
        request,
        "registry/org_list.html",
        {
            "spec": spec,
            "kind": kind,
            "page": page,
            "table": table,
            "params": params,
            "extra": extra,
            "headers": [label for label, _ in spec.columns],
        },
    )


@capability_required(VIEW)
def org_detail_view(request, kind: str, pk):
    spec = ORG_PAGES.get(kind)
    if spec is None:
        raise Http404
    obj = selectors.org_get(spec.model, scope=request.user.region_scope, pk=pk)
    fields = [
        (f.verbose_name, _display(obj, f))
        for f in spec.model._meta.fields
        if f.name not in {"id", "name_key", "created_at", "updated_at"}
    ]
    context = {"spec": spec, "obj": obj, "fields": fields, "kind": kind}
    if kind == "koperasi":
        context |= {
            "outlets": obj.outlets.order_by("-is_active", "name"),
            "staff": obj.staff.select_related("user").order_by("user__username"),
        }
        if request.user.has_capability(PERSONS):  # members are persons: not for a buyer or a fund officer
            members = selectors.cooperative_members(obj)
            if request.GET.get("format") == "xlsx":
                return _members_export(obj, members)
            context["members"] = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(request, "registry/org_detail.html", context)


def _members_export(cooperative, members):
    """A cooperative's members as XLSX, NIK masked (the export is for lists, not identification)."""
    headers = [_("NIK"), _("Name"), _("Role"), _("Joined on"), _("Term ends"), _("Village code")]
    body = (
        [mask_nik(m.person.nik), m.person.name, m.get_role_display(), m.joined_date, m.term_end, m.person.region_code]
        for m in members.iterator(chunk_size=2000)
    )
    content = xlsx([str(h) for h in headers], body, text_columns={0, 5}, title=str(_("Members")))
    return _xlsx_response(content, f"anggota-{cooperative.region_code}.xlsx")


MONEY_FIELDS = {"capital", "annual_turnover"}


def _shown(attr: str, value: Any) -> Any:
    """A value as a page shows it (the XLSX keeps numbers): rupiah for money, ya/tidak for a flag."""
    if attr in MONEY_FIELDS and isinstance(value, int):
        return format_rupiah(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _display(obj, field) -> Any:
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    value = getattr(obj, field.name)
    if field.name == "owner_nik":
        return mask_nik(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _shown(field.name, value)


# --- imports -----------------------------------------------------------------------------------------------------


@capability_required(VIEW)
def import_list_view(request):
    scope = request.user.region_scope
    if request.method == "POST":
        if not request.user.has_capability(EDIT):
            raise PermissionDenied(EDIT)
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if upload is None or kind not in ImportBatch.Kind.values:
            messages.error(request, _("Choose what the file contains and a CSV or XLSX file."))
            return redirect("registry:imports")
        try:
            batch = import_batch_create(
                kind=kind, file=upload, original_name=upload.name, actor=request.user, occurred_at=clock.now()
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("registry:imports")
        return redirect("registry:import_detail", pk=batch.pk)
    page = Paginator(selectors.import_batch_list(user=request.user, scope=scope), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/import_list.html",
        {"page": page, "kinds": ImportBatch.Kind.choices, "can_edit": request.user.has_capability(EDIT)},
    )


@capability_required(VIEW)
def import_detail_view(request, pk):
    batch = selectors.import_batch_get(user=request.user, scope=request.user.region_scope, pk=pk)
    progress = progress_get(batch.task_id) if batch.task_id else None
    finished = batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED)
    outcome = request.GET.get("outcome", "")
    rows = (
        CappedPaginator(selectors.import_rows(batch, outcome), 50).get_page(request.GET.get("page"))
        if finished
        else None
    )
    context = {
        "batch": batch,
        "progress": progress,
        "finished": finished,
        "rows": rows,
        "outcome": outcome,
        "outcomes": ImportRow.Outcome.choices,
        "counts": [(label, batch.counts.get(value, 0), value) for value, label in ImportRow.Outcome.choices],
    }
    template = "registry/_import_status.html" if request.headers.get("HX-Request") else "registry/import_detail.html"
    return render(request, template, context)


@capability_required(VIEW)
def import_rejects_view(request, pk):
    batch = selectors.import_batch_get(user=request.user, scope=request.user.region_scope, pk=pk)
    outcomes = (
        (ImportRow.Outcome.REJECTED, ImportRow.Outcome.HELD)
        if request.GET.get("held")
        else (ImportRow.Outcome.REJECTED,)
    )
    stem = batch.original_name.rsplit(".", 1)[0]
    # Masked like the page unless the user may see full NIKs; a full file is for fixing and uploading
    # again, and who took one is recorded, as for every full NIK shown.
    full = request.user.has_capability(FULL_NIK)
    if full:
        audit_record(
            actor=request.user,
            event="registry.import.rejects_exported",
            occurred_at=clock.now(),
            obj=batch,
            region_code=request.user.scope_region_code,
            changes={"outcomes": [None, list(outcomes)], "full_identifiers": [None, True]},
        )
    if sum(batch.counts.get(o, 0) for o in outcomes) > settings.EXPORT_TASK_ROWS:
        return _export_in_background(
            request,
            kind="registry.rejects",
            label=_("Rejected rows of %(file)s") % {"file": batch.original_name},
            filename=f"{stem}-ditolak.xlsx",
            params={"batch": str(batch.pk), "outcomes": list(outcomes)},
            full=full,
        )
    return _xlsx_response(exports.rejected_rows_xlsx(batch, outcomes, full=full), f"{stem}-ditolak.xlsx")


@capability_required(EDIT)
def import_template_view(request, kind: str):
    if kind not in ImportBatch.Kind.values:
        raise Http404
    columns = columns_for(kind)
    content = xlsx([c.label for c in columns], [], text_columns=set(range(len(columns))), title=kind)
    return _xlsx_response(content, f"templat-{kind}.xlsx")


# --- duplicates --------------------------------------------------------------------------------------------------


@capability_required(REVIEW)
def duplicate_list_view(request):
    page = Paginator(selectors.duplicate_list(scope=request.user.region_scope), 25).get_page(request.GET.get("page"))
    return render(request, "registry/duplicate_list.html", {"page": page})


@require_POST
@capability_required(REVIEW)
def duplicate_decide_view(request, pk):
    pair = selectors.duplicate_list(scope=request.user.region_scope).filter(pk=pk).first()
    if pair is None:
        raise Http404
    decision = request.POST.get("decision")
    try:
        if decision == "merge":
            duplicates.duplicate_merge(candidate_id=pair.pk, actor=request.user, occurred_at=clock.now())
            messages.success(request, _("Merged: %(name)s keeps every reference.") % {"name": pair.existing.name})
        elif decision == "distinct":
            duplicates.duplicate_mark_distinct(candidate_id=pair.pk, actor=request.user, occurred_at=clock.now())
            messages.success(request, _("Marked as different people; the pair will not be proposed again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("registry:duplicates"))
