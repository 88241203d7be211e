"""What the organisation kinds share: the kind's spec, common cleaning, matching by keys and writing in bulk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from betang.registry.imports import validation as v
from betang.registry.imports.rows import (
    CleanRow,
    Context,
    Outcome,
    RowResult,
    _elsewhere,
    _in_scope,
    _issues,
)
from betang.registry.imports.tabular import Column
from betang.registry.services import matching


@dataclass(frozen=True)
class OrgSpec:
    model: Any
    columns: list[Column]
    clean: Callable[[Context, dict[str, Any]], tuple[dict[str, Any], list[v.Issue]]]
    keys: tuple[str, ...]  # lookup fields, most specific first; a key counts when its value is non-empty
    compare: tuple[str, ...]
    # How a chunk of clean rows is matched and written: _flush_orgs unless the kind needs its own.
    flush: Callable[..., None] | None = None


def _clean_common(ctx: Context, fields: dict[str, Any], name_label: str) -> tuple[dict[str, Any], list[v.Issue]]:
    name = v.check_name(fields.get("name"), label=name_label)
    village = v.check_village(fields.get("region_code"), ctx.regions)
    phone = v.check_phone(fields.get("phone"))
    issues = _issues(name, village, phone) + (_in_scope(ctx, village.value) if village.value else [])
    values = {"name": name.value, "region_code": village.value, "phone": phone.value or ""}
    if name.value:
        values["name_key"] = matching.name_key(name.value) or name.value.lower()
    return values, issues


_COMMON_COLUMNS = [
    Column(
        "region_code",
        "Kode Desa",
        ("kode wilayah", "kode kelurahan", "kode desa kelurahan", "village code"),
        required=True,
    ),
    Column("phone", "Telepon", ("no hp", "nomor hp", "hp", "no telp", "phone", "nomor telepon")),
]


def _key_value(values: dict[str, Any], key: str) -> Any:
    if "+" in key:
        parts = tuple(values.get(k) for k in key.split("+"))
        return parts if all(parts) else None
    return values.get(key) or None


def _key_field(spec: OrgSpec, values: dict[str, Any]) -> str:
    """The column of the first key a row has a value for (the field a refusal points at)."""
    return next((key.split("+")[0] for key in spec.keys if _key_value(values, key) is not None), "name")


def _flush_orgs(ctx: Context, spec: OrgSpec, pending: list[CleanRow], results: list[RowResult]) -> None:
    """Match a chunk of organisations by their keys (one query per key), each row's outcome into
    `results`, then write the new and the changed ones in bulk."""
    chunk = _OrgChunk(ctx, spec, _existing_orgs(spec, pending))
    for line, raw, values, issues in pending:
        results.append(chunk.match(line, raw, values, issues))
    spec.model.objects.bulk_create(chunk.to_create, batch_size=1000)
    if chunk.to_update:
        spec.model.objects.bulk_update(list(chunk.to_update.values()), [*spec.compare, "updated_at"], batch_size=500)


def _existing_orgs(spec: OrgSpec, pending: list[CleanRow]) -> dict[tuple[str, Any], Any]:
    """The registered organisations the chunk's rows name, by (key, its value)."""
    existing: dict[tuple[str, Any], Any] = {}
    for key in spec.keys:
        wanted = {k for _, _, values, _ in pending if (k := _key_value(values, key)) is not None}
        if not wanted:
            continue
        if "+" in key:
            fields = key.split("+")
            codes = {w[0] for w in wanted}
            for obj in spec.model.objects.filter(**{f"{fields[0]}__in": codes}):
                k = tuple(getattr(obj, f) for f in fields)
                if k in wanted:
                    existing[(key, k)] = obj
        else:
            for obj in spec.model.objects.filter(**{f"{key}__in": wanted}):
                existing[(key, getattr(obj, key))] = obj
    return existing


@dataclass
class _OrgChunk:
    """One chunk's rows matched in file order: a row made earlier in the chunk is found by the next."""

    ctx: Context
    spec: OrgSpec
    existing: dict[tuple[str, Any], Any]
    to_create: list[Any] = field(default_factory=list)
    to_update: dict[Any, Any] = field(default_factory=dict)

    def match(self, line: int, raw: list[Any], values: dict[str, Any], issues: list[v.Issue]) -> RowResult:
        spec, ctx = self.spec, self.ctx
        obj = next(
            (
                self.existing[(key, k)]
                for key in spec.keys
                if (k := _key_value(values, key)) is not None and (key, k) in self.existing
            ),
            None,
        )
        if obj is not None and not ctx.scope.contains(obj.region_code):
            # Matched by a number (legal entity number, NIB) to another area's organisation: refused
            # without naming it; it is neither updated nor moved into this area.
            refusal = _elsewhere("registry.out_of_scope", "org", _key_field(spec, values))
            return RowResult(line, Outcome.REJECTED, [*issues, refusal], data=ctx.original(raw))
        if obj is None:
            return self._create(line, raw, values, issues)
        return self._update(line, obj, values, issues)

    def _create(self, line: int, raw: list[Any], values: dict[str, Any], issues: list[v.Issue]) -> RowResult:
        obj = self.spec.model(created_at=self.ctx.now, updated_at=self.ctx.now, **values)
        self.to_create.append(obj)
        for key in self.spec.keys:
            if (k := _key_value(values, key)) is not None:
                self.existing[(key, k)] = obj
        data = self.ctx.original(raw) if issues else None
        return RowResult(line, Outcome.CREATED, issues, object_id=obj.pk, data=data)

    def _update(self, line: int, obj: Any, values: dict[str, Any], issues: list[v.Issue]) -> RowResult:
        changes = {}
        for attr in self.spec.compare:
            new = values.get(attr)
            if attr not in values or (new in (None, "", []) and attr not in ("scale",)):
                continue  # an empty cell never erases what the registry knows
            if getattr(obj, attr) != new:
                changes[attr] = [str(getattr(obj, attr)), str(new)]
                setattr(obj, attr, new)
        if not changes:
            return RowResult(line, Outcome.UNCHANGED, issues, object_id=obj.pk)
        obj.updated_at = self.ctx.now
        self.to_update[obj.pk] = obj
        return RowResult(line, Outcome.UPDATED, issues, object_id=obj.pk, changes=changes)
