"""Set-based inserts for bulk paths (imports, cycle credits): COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create compiles every value through each field (measured: most of an import's time);
here each column gets one converter chosen once per call, and rows stay plain tuples.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

_to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(v, ensure_ascii=False), one encoder


def _converter(field: models.Field, vendor: str, *, one_time: bool = True) -> Callable[[Any], Any] | None:
    """How a Python value of the field goes to the database; None when the driver takes it as it is.

    `one_time`: the converter serves one bulk call, which may remember the times it adapted (a
    converter kept for the life of the process must not)."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.JSONField):

        def to_json(v):  # most rows of an import carry no warnings and no changes: skip the encoder
            if v == []:
                return "[]"
            if v == {}:
                return "{}"
            return _to_json(v)

        return to_json
    if isinstance(field, models.UUIDField) and vendor == "postgresql":
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v  # sent as text (see _copy_type)
    if vendor == "postgresql":
        return None  # psycopg adapts date, datetime, int and str itself
    if isinstance(field, models.UUIDField):
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v  # or hex text already (see imports)
    if isinstance(field, models.DateTimeField):
        if not one_time:
            return lambda v: connection.ops.adapt_datetimefield_value(v)
        cache: dict[Any, Any] = {}

        def dt(v):  # imports stamp a whole chunk with one time: adapt it once
            if v not in cache:
                cache[v] = connection.ops.adapt_datetimefield_value(v)
            return cache[v]

        return dt
    if isinstance(field, models.DateField):
        return lambda v: v.isoformat() if v is not None else None
    return None


def _copy_type(field: models.Field) -> str | None:
    """The type psycopg dumps a column's values as in COPY, told once instead of looked up for every
    value (a fifth of the formatting time, measured); None for a field not listed here."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.JSONField | models.UUIDField | models.CharField | models.TextField):
        return "text"  # JSON and UUIDs arrive as text (see _converter); the server parses them
    if isinstance(field, models.DateTimeField):
        return "timestamptz"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.IntegerField | models.AutoField):
        return "int8"
    return None


def bulk_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (tuples in the order of `fields`, Python values) into the model's table."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    # Columns not given take their model default (NOT NULL columns with defaults must not be skipped).
    given = {f.name for f in columns}
    defaulted = [f for f in meta.concrete_fields if f.name not in given and not isinstance(f, models.AutoField)]
    if defaulted:
        constant = [not (f.has_default() and callable(f.default)) for f in defaulted]
        fixed = [f.get_default() if c else None for f, c in zip(defaulted, constant, strict=True)]
        columns += defaulted
        rows = (
            (*row, *[fx if c else f.get_default() for f, c, fx in zip(defaulted, constant, fixed, strict=True)])
            for row in rows
        )
    names = [f.column for f in columns]
    vendor = connection.vendor
    convert = [(i, c) for i, f in enumerate(columns) if (c := _converter(f, vendor)) is not None]

    def prepared(row: Sequence[Any]) -> Sequence[Any]:
        if len(row) != len(names):
            raise ValueError(f"{meta.label}: a row of {len(row)} values for {len(names)} columns")
        if not convert:
            return row
        row = list(row)
        for i, c in convert:
            row[i] = c(row[i])
        return row

    table = connection.ops.quote_name(meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(n) for n in names)
    count = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            types = [_copy_type(f) for f in columns]
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                if None not in types:
                    copy.set_types(types)
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
        else:
            placeholders = ", ".join(["%s"] * len(names))
            batch = [prepared(row) for row in rows]
            if batch:
                cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", batch)  # noqa: S608 - names from model meta
            count = len(batch)
    return count


_ONE: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[tuple[str, Callable[[Any], Any]]]]] = {}


def insert_one(model: type[models.Model], values: dict[str, Any]) -> None:
    """Insert one row (field name → Python value; every column without a database default given) by
    plain SQL: for a hot path, where the ORM's compilation of an INSERT cost more than running it
    (measured on the card payment). The statement and the columns' converters are made once per
    process and database; its parameters are named (Django's SQLite cursor turns positional ones
    into ?s by a regular expression that costs more than the INSERT on a statement this long)."""
    vendor = connection.vendor
    cache_key = (vendor, model._meta.label, tuple(values))
    if cache_key not in _ONE:
        meta = model._meta
        columns = [meta.get_field(name) for name in values]
        names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
        marks = ", ".join(f"%({name})s" for name in values)
        statement = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608 - names from model meta
        convert = [(f.name, c) for f in columns if (c := _converter(f, vendor, one_time=False)) is not None]
        _ONE[cache_key] = (statement, convert)
    statement, convert = _ONE[cache_key]
    params = dict(values)
    for name, c in convert:
        if params[name] is not None:
            params[name] = c(params[name])
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


_MANY: dict[tuple[str, str, tuple[str, ...], int], tuple[str, list[tuple[str, Callable[[Any], Any]]]]] = {}


def insert_many(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert a few rows (a sale's lines, its stock moves) in one plain `INSERT … VALUES (…), (…)`:
    insert_one's reasons, for a handful of rows at once (bulk_insert's COPY is for thousands). The
    statement is made once per process, database and row count."""
    if not rows:
        return
    vendor = connection.vendor
    cache_key = (vendor, model._meta.label, tuple(fields), len(rows))
    if cache_key not in _MANY:
        meta = model._meta
        columns = [meta.get_field(name) for name in fields]
        names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
        values = ", ".join("(" + ", ".join(f"%(c{n}_{i})s" for i in range(len(fields))) + ")" for n in range(len(rows)))
        statement = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) VALUES {values}"  # noqa: S608 - names from model meta
        convert = [(i, c) for i, f in enumerate(columns) if (c := _converter(f, vendor, one_time=False)) is not None]
        _MANY[cache_key] = (statement, convert)
    statement, convert = _MANY[cache_key]
    params: dict[str, Any] = {}
    for n, row in enumerate(rows):
        values = list(row)
        for i, c in convert:
            if values[i] is not None:
                values[i] = c(values[i])
        params.update({f"c{n}_{i}": v for i, v in enumerate(values)})
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def analyze(*models_: type[models.Model]) -> None:
    """Fresh planner statistics on PostgreSQL after a table has grown a lot (no-op on SQLite).

    A bulk load that starts from an empty table otherwise keeps the first statistics, and the planner
    then scans the whole table for a lookup by an indexed column (seen: seq scans of 1,000,000 persons
    for each chunk of an import).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def commit_without_waiting() -> None:
    """In the current transaction: let COMMIT return before the WAL reaches the disk (PostgreSQL).

    Only for work that is redone from its own record when lost, such as an import chunk, whose
    progress marker commits with it: a crash can cost the last moments of work, never consistency
    (PostgreSQL's `synchronous_commit = off`). A no-op on SQLite.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
