"""Writes to the region tables: loading the vendored idn-area-data reference files."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.regions import codes
from betang.regions.models import District, Province, Regency, Village

DATA_DIR = Path(__file__).resolve().parent / "data"

# level → (file stem, expected header, model, parent column)
_FILES: dict[str, tuple[str, list[str], Any, str | None]] = {
    "province": ("provinces", ["code", "name"], Province, None),
    "regency": ("regencies", ["code", "province_code", "name"], Regency, "province_code"),
    "district": ("districts", ["code", "regency_code", "name"], District, "regency_code"),
    "village": ("villages", ["code", "district_code", "name"], Village, "district_code"),
}
_PARENT_FIELD = {"regency": "province_id", "district": "regency_id", "village": "district_id"}
_VILLAGE_KIND = {"1": Village.Kind.KELURAHAN, "2": Village.Kind.DESA, "3": Village.Kind.DESA_ADAT}
BATCH = 5000

Progress = Callable[[int, int, str], None]


class RegionFileError(DomainError):
    code = "regions.file_invalid"
    message = "A region reference file is malformed."

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file, self.line, self.problem = file, line, problem
        where = f"{file} line {line}" if line else file
        super().__init__(f"{where}: {problem}", details={"file": file, "line": line, "problem": problem})


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    parent: str | None
    kind: str | None


@dataclass
class LevelCounts:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadResult:
    counts: dict[str, LevelCounts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.retired for c in self.counts.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            level: {"created": c.created, "updated": c.updated, "retired": c.retired, "unchanged": c.unchanged}
            for level, c in self.counts.items()
        }


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _find(source_dir: Path, stem: str) -> Path:
    for name in (f"{stem}.csv.gz", f"{stem}.csv"):
        if (source_dir / name).exists():
            return source_dir / name
    raise RegionFileError(f"{stem}.csv", 0, f"file not found in {source_dir}")


def _rows(path: Path, level: str, known_parents: set[str] | None) -> Iterator[RegionRow]:
    _stem, header, _model, parent_col = _FILES[level]
    name = path.name
    pattern = codes.CODE_PATTERNS[level]
    seen: set[str] = set()
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            first = next(reader, None)
            if first is None:
                raise RegionFileError(name, 1, "the file is empty")
            if [h.strip().lstrip("\ufeff") for h in first] != header:
                raise RegionFileError(name, 1, f"header must be {','.join(header)}, found {','.join(first)}")
            for record in reader:
                line = reader.line_num
                if len(record) != len(header):
                    raise RegionFileError(name, line, f"expected {len(header)} columns, found {len(record)}")
                values = dict(zip(header, (v.strip() for v in record), strict=True))
                code, region_name = values["code"], values["name"]
                if not pattern.match(code):
                    raise RegionFileError(name, line, f"code {code!r} is not a {level} code")
                if code in seen:
                    raise RegionFileError(name, line, f"code {code} appears twice")
                seen.add(code)
                if not region_name:
                    raise RegionFileError(name, line, f"code {code} has no name")
                if len(region_name) > 100:
                    raise RegionFileError(name, line, f"name of {code} is longer than 100 characters")
                parent = None
                if parent_col:
                    parent = values[parent_col]
                    if parent != codes.parent_code(code):
                        raise RegionFileError(name, line, f"{parent_col} {parent!r} does not match code {code}")
                    if known_parents is not None and parent not in known_parents:
                        raise RegionFileError(name, line, f"{parent_col} {parent} does not exist")
                kind = None
                if level == "regency":
                    if region_name.startswith("Kabupaten "):
                        kind = Regency.Kind.KABUPATEN
                    elif region_name.startswith("Kota "):
                        kind = Regency.Kind.KOTA
                    else:
                        raise RegionFileError(
                            name, line, f"name {region_name!r} starts with neither Kabupaten nor Kota"
                        )
                elif level == "village":
                    kind = _VILLAGE_KIND.get(code[9])
                    if kind is None:
                        raise RegionFileError(name, line, f"village code {code} has an unknown kind digit {code[9]}")
                yield RegionRow(code=code, name=region_name, parent=parent, kind=kind)
    except csv.Error as exc:
        raise RegionFileError(name, reader.line_num, f"not valid CSV: {exc}") from None
    except UnicodeDecodeError:
        raise RegionFileError(name, 0, "not UTF-8 text") from None
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        raise RegionFileError(name, 0, f"cannot be read: {exc}") from None


def regions_read(source_dir: Path | None = None) -> dict[str, list[RegionRow]]:
    """Read and check all four files; the first problem raises RegionFileError naming file and line."""
    source_dir = Path(source_dir or DATA_DIR)
    result: dict[str, list[RegionRow]] = {}
    parents: set[str] | None = None
    for level in codes.LEVELS:
        path = _find(source_dir, _FILES[level][0])
        rows = list(_rows(path, level, parents))
        if not rows:
            raise RegionFileError(path.name, 0, "the file has no rows")
        result[level] = rows
        parents = {r.code for r in rows}
    return result


def _apply_level(level: str, rows: list[RegionRow], progress: Progress, done: int, total: int) -> LevelCounts:
    model = _FILES[level][2]
    parent_field = _PARENT_FIELD.get(level)
    value_fields = (
        ["name", "is_active"]
        + ([parent_field] if parent_field else [])
        + (["kind"] if level in {"regency", "village"} else [])
    )
    existing = {row[0]: row[1:] for row in model.objects.values_list("code", *value_fields)}
    counts = LevelCounts()
    to_create, to_update = [], []
    for row in rows:
        wanted = (row.name, True) + ((row.parent,) if parent_field else ()) + ((row.kind,) if row.kind else ())
        current = existing.pop(row.code, None)
        if current is None:
            to_create.append(row)
        elif tuple(current) != wanted:
            to_update.append(row)
        else:
            counts.unchanged += 1

    def build(row: RegionRow):
        kwargs: dict[str, Any] = {"code": row.code, "name": row.name, "is_active": True}
        if parent_field:
            kwargs[parent_field] = row.parent
        if row.kind:
            kwargs["kind"] = row.kind
        return model(**kwargs)

    for start in range(0, len(to_create), BATCH):
        model.objects.bulk_create([build(r) for r in to_create[start : start + BATCH]])
        progress(done + counts.unchanged + start, total, level)
    counts.created = len(to_create)
    if to_update:
        model.objects.bulk_update([build(r) for r in to_update], value_fields, batch_size=BATCH)
    counts.updated = len(to_update)
    retire = [code for code, values in existing.items() if values[1]]  # still active, gone from the file
    for start in range(0, len(retire), BATCH):
        model.objects.filter(code__in=retire[start : start + BATCH]).update(is_active=False)
    counts.retired = len(retire)
    return counts


def regions_load(
    *,
    occurred_at: datetime,
    actor: Any = None,
    source_dir: Path | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load (or bring up to date) all regions from the reference files, all-or-nothing and idempotent.

    The files are read and checked completely before anything is written, and the writes run in one
    transaction, so a malformed file leaves the database exactly as it was.
    """
    report = progress or (lambda done, total, message: None)
    data = regions_read(source_dir)
    total = sum(len(rows) for rows in data.values())
    result = LoadResult()
    done = 0
    report(0, total, "checked")
    with transaction.atomic():
        for level in codes.LEVELS:
            result.counts[level] = _apply_level(level, data[level], report, done, total)
            done += len(data[level])
            report(done, total, level)
        if result.changed:
            audit_record(
                actor=actor, event="regions.reference.loaded", occurred_at=occurred_at, changes=result.as_dict()
            )
    if result.changed:
        _analyze()
    return result


def _analyze() -> None:
    """Fresh planner statistics after a bulk change, so village search picks the trigram index
    instead of walking the name index in order (seen: 70 ms instead of 2 ms on PostgreSQL)."""
    # On SQLite, statistics made the planner sort all matches instead of walking the name index:
    # measured 16 ms instead of 4 ms at p50, so SQLite is left without them.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # inside a caller's transaction ANALYZE would hold locks; autovacuum catches up
    with connection.cursor() as cursor:
        for model in (Province, Regency, District, Village):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
