"""Cooperative outlets, the file's rows: known by their cooperative and name, in the cooperative's village."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from betang.registry.imports import validation as v
from betang.registry.imports.coop_refs import _COOP_REF_COLUMNS, _clean_coop_ref, _resolve_cooperatives
from betang.registry.imports.organisations import OrgSpec
from betang.registry.imports.rows import CleanRow, Context, Outcome, RowResult, _text_field, _words, _yes
from betang.registry.imports.tabular import Column
from betang.registry.models import Cooperative, Outlet
from betang.registry.services import matching

OUTLET_KINDS = {
    "sembako": "SEMBAKO",
    "gerai sembako": "SEMBAKO",
    "apotek": "APOTEK",
    "apotek desa": "APOTEK",
    "klinik": "KLINIK",
    "klinik desa": "KLINIK",
    "simpan pinjam": "SIMPAN_PINJAM",
    "unit simpan pinjam": "SIMPAN_PINJAM",
    "kantor koperasi": "KANTOR",
    "kantor": "KANTOR",
    "pergudangan": "GUDANG",
    "gudang": "GUDANG",
    "cold storage": "GUDANG",
    "logistik": "LOGISTIK",
    "distribusi": "LOGISTIK",
}


def _clean_outlet(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_coop_ref(ctx, fields)
    name = v.check_name(fields.get("name"), label=_("Outlet name"))
    kind_text = _words(fields.get("kind"))
    kind = OUTLET_KINDS.get(kind_text, "") if kind_text else ""  # empty: SEMBAKO when made, kept when known
    if kind_text and not kind:  # the standard units have names; a cooperative may add its own
        kind = "LAINNYA"
        issues.append(
            v.Issue(
                "outlet.kind",
                _("Outlet kind %(text)s is not a standard unit; kept as other.") % {"text": kind_text},
                v.WARNING,
                "kind",
            )
        )
    active = fields.get("is_active")
    issues += name.issues
    values |= {
        "name": name.value,
        "name_key": (matching.name_key(name.value) or name.value.lower()) if name.value else "",
        "kind": kind,
        "address": _text_field(fields, "address", 300),
        "is_active": None if active in (None, "") else _yes(active) or str(active).strip().lower() == "aktif",
    }
    return values, issues


def _flush_outlets(ctx: Context, spec: OrgSpec, pending: list[CleanRow], results: list[RowResult]) -> None:
    """An outlet is known by its cooperative and its name (normalised); it sits in the cooperative's village."""
    coops = _resolve_cooperatives(ctx, pending, results)
    existing = {
        (o.cooperative_id, matching.name_key(o.name) or o.name.lower()): o
        for o in Outlet.objects.filter(cooperative_id__in={c.pk for c in coops.values()})
    }
    chunk = _OutletChunk(ctx, existing)
    for line, raw, values, issues in pending:
        if (coop := coops.get(line)) is not None:
            results.append(chunk.match(line, raw, values, issues, coop))
    Outlet.objects.bulk_create(chunk.to_create, batch_size=1000)
    if chunk.to_update:
        Outlet.objects.bulk_update(
            list(chunk.to_update.values()), ["name", "kind", "address", "is_active", "updated_at"]
        )


@dataclass
class _OutletChunk:
    """One chunk's outlet rows matched in file order: an outlet made earlier in the chunk is found by the next."""

    ctx: Context
    existing: dict[tuple[Any, str], Outlet]  # by (cooperative id, name key)
    to_create: list[Outlet] = field(default_factory=list)
    created: set[Any] = field(default_factory=set)
    to_update: dict[Any, Outlet] = field(default_factory=dict)

    def match(
        self, line: int, raw: list[Any], values: dict[str, Any], issues: list[v.Issue], coop: Cooperative
    ) -> RowResult:
        now = self.ctx.now
        outlet = self.existing.get((coop.pk, values["name_key"]))
        if outlet is None:
            outlet = Outlet(
                cooperative=coop,
                name=values["name"],
                kind=values["kind"] or "SEMBAKO",
                address=values["address"],
                is_active=values["is_active"] is not False,
                region_code=coop.region_code,
                created_at=now,
                updated_at=now,
            )
            self.existing[(coop.pk, values["name_key"])] = outlet
            self.to_create.append(outlet)
            self.created.add(outlet.pk)
            data = self.ctx.original(raw) if issues else None
            return RowResult(line, Outcome.CREATED, issues, object_id=outlet.pk, data=data)
        changes = {}
        for attr in ("name", "kind", "address", "is_active"):
            new = values[attr]
            if new in (None, ""):
                continue  # an empty cell never erases what the registry knows
            if getattr(outlet, attr) != new:
                changes[attr] = [str(getattr(outlet, attr)), str(new)]
                setattr(outlet, attr, new)
        if not changes:
            return RowResult(line, Outcome.UNCHANGED, issues, object_id=outlet.pk)
        outlet.updated_at = now
        if outlet.pk not in self.created:
            self.to_update[outlet.pk] = outlet
        return RowResult(line, Outcome.UPDATED, issues, object_id=outlet.pk, changes=changes)


_OUTLET_COLUMNS = [
    *_COOP_REF_COLUMNS,
    Column("name", "Nama Gerai", ("gerai", "nama unit", "outlet", "outlet name", "nama outlet"), required=True),
    Column("kind", "Jenis Gerai", ("jenis", "jenis unit", "unit usaha", "kind")),
    Column("address", "Alamat", ("alamat gerai", "address")),
    Column("is_active", "Aktif", ("status", "active")),
]
SPEC = OrgSpec(model=Outlet, columns=_OUTLET_COLUMNS, clean=_clean_outlet, keys=(), compare=(), flush=_flush_outlets)
