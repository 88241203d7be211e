"""Rows that belong to a cooperative (members, outlets): the columns naming it, and finding it for a chunk."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from betang.registry.imports import validation as v
from betang.registry.imports.rows import CleanRow, Context, Outcome, RowResult, _in_scope, _text_field
from betang.registry.imports.tabular import Column
from betang.registry.models import Cooperative
from betang.registry.services import matching

# Rows that belong to a cooperative name it by its legal entity number, or by its village code (and its
# name, when the village has more than one cooperative); the API, by its id.
_COOP_REF_COLUMNS = [
    Column(
        "coop_legal_number",
        "Nomor Badan Hukum Koperasi",
        ("no badan hukum koperasi", "nomor ahu koperasi", "no ahu", "nomor ahu", "nomor badan hukum", "legal number"),
    ),
    Column(
        "coop_region_code",
        "Kode Desa Koperasi",
        ("kode desa", "kode kelurahan", "kode wilayah", "village code", "cooperative village code"),
    ),
    Column("coop_name", "Nama Koperasi", ("koperasi", "cooperative", "cooperative name", "nama kopdes")),
]


def _clean_coop_ref(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    legal = _text_field(fields, "coop_legal_number", 60)
    issues: list[v.Issue] = []
    village = ""
    if fields.get("coop_region_code") not in (None, ""):
        checked = v.check_village(fields.get("coop_region_code"), ctx.regions)
        issues += checked.issues
        village = checked.value or ""
    name = _text_field(fields, "coop_name", 200)
    if not legal and not village and not fields.get("coop_id") and not any(i.is_error for i in issues):
        issues.append(
            v.Issue(
                "cooperative.missing",
                _("Name the cooperative: its legal entity number, or its village code (and its name)."),
                field="coop_legal_number",
            )
        )
    key = (matching.name_key(name) or name.lower()) if name else ""
    coop_id = fields.get("coop_id")  # the API names the cooperative by its id (in its path)
    return {"coop_legal_number": legal, "coop_region_code": village, "coop_name_key": key, "coop_id": coop_id}, issues


def _resolve_cooperatives(ctx: Context, pending: list[CleanRow], results: list[RowResult]) -> dict[int, Cooperative]:
    """Each row's cooperative (by line); a row whose cooperative is unknown, ambiguous or outside the
    user's area is rejected into `results` and left out."""
    known = _Cooperatives.load(pending)
    found: dict[int, Cooperative] = {}
    for line, raw, values, _issues_of_row in pending:
        coop, problem = known.named_by(values)
        if coop is not None and not ctx.scope.contains(coop.region_code):
            problem, coop = _outside(ctx, values), None
        if coop is None:
            results.append(RowResult(line, Outcome.REJECTED, [problem], data=ctx.original(raw)))
        else:
            found[line] = coop
    return found


class _Cooperatives:
    """The cooperatives a chunk's rows name: by id (the API), by legal entity number, by village."""

    def __init__(self, by_id: dict[Any, Cooperative], by_legal: dict[str, Cooperative], by_village: dict[str, list]):
        self.by_id, self.by_legal, self.by_village = by_id, by_legal, by_village

    @classmethod
    def load(cls, pending: list[CleanRow]) -> _Cooperatives:
        legal_numbers = {values["coop_legal_number"] for _, _, values, _ in pending if values["coop_legal_number"]}
        villages = {values["coop_region_code"] for _, _, values, _ in pending if values["coop_region_code"]}
        ids = {values["coop_id"] for _, _, values, _ in pending if values.get("coop_id")}
        by_id = {c.pk: c for c in Cooperative.objects.filter(pk__in=ids)} if ids else {}
        by_legal: dict[str, Cooperative] = {}
        by_village: dict[str, list[Cooperative]] = {}
        if legal_numbers:
            by_legal = {c.legal_number: c for c in Cooperative.objects.filter(legal_number__in=legal_numbers)}
        if villages:
            for coop in Cooperative.objects.filter(region_code__in=villages).order_by("name"):
                by_village.setdefault(coop.region_code, []).append(coop)
        return cls(by_id, by_legal, by_village)

    def named_by(self, values: dict[str, Any]) -> tuple[Cooperative | None, v.Issue | None]:
        """The cooperative a row names, or why there is none."""
        legal, village, key = values["coop_legal_number"], values["coop_region_code"], values["coop_name_key"]
        if values.get("coop_id"):
            coop = self.by_id.get(values["coop_id"])
            return coop, None if coop else v.Issue("cooperative.not_found", _("No such cooperative."), field="coop_id")
        if legal:
            coop = self.by_legal.get(legal)
            if coop is not None:
                return coop, None
            return None, v.Issue(
                "cooperative.not_found",
                _("No cooperative has legal entity number %(number)s.") % {"number": legal},
                field="coop_legal_number",
            )
        candidates = self.by_village.get(village, [])
        if key:
            candidates = [c for c in candidates if c.name_key == key]
        if len(candidates) == 1:
            return candidates[0], None
        if not candidates:
            return None, v.Issue(
                "cooperative.not_found",
                _("No such cooperative in village %(code)s.") % {"code": village},
                field="coop_name" if key else "coop_region_code",
            )
        return None, v.Issue(
            "cooperative.ambiguous",
            _("Village %(code)s has %(count)s cooperatives: add the cooperative's name or legal entity number.")
            % {"code": village, "count": len(candidates)},
            field="coop_name",
        )


def _outside(ctx: Context, values: dict[str, Any]) -> v.Issue:
    """Why a row's cooperative outside the user's area is refused. Found by the village the user typed:
    it is outside their area. Found by a number or an id: as if unknown (the existence of another
    area's cooperative is not revealed)."""
    village = values["coop_region_code"]
    if village and not values["coop_legal_number"] and not values.get("coop_id"):
        return _in_scope(ctx, village)[0]
    return v.Issue("cooperative.not_found", _("No such cooperative."), field="coop_legal_number")
