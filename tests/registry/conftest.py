"""Helpers for registry tests: build CSV/XLSX uploads and run imports the way the worker does."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook

from betang.demo.samples import SAMPLE_HEADERS
from betang.registry.imports.run import import_run
from betang.registry.services.imports import import_batch_create

HEADERS = SAMPLE_HEADERS
FAMILY = [
    [
        "6203011203800003",
        "Budi Santoso",
        "12/03/1980",
        "L",
        "6203010101200001",
        "Kepala Keluarga",
        "62.03.01.1006",
        "Jl. Sudirman 1",
        "0812-3456-7890",
        "2",
    ],
    [
        "6203015505820002",
        "Siti Aminah",
        "15 Mei 1982",
        "P",
        "6203010101200001",
        "Istri",
        "6203011006",
        "Jl. Sudirman 1",
        "",
        "2",
    ],
    ["6203010101100001", "Andi Santoso", "01-01-2010", "L", "6203010101200001", "Anak", "62.03.01.1006", "", "", ""],
]

# The head of FAMILY again, with a mistyped NIK and name: a probable duplicate.
TYPO = [
    [
        "6203011203800009",
        "Budi Santosa",
        "12/03/1980",
        "L",
        "6203010101200001",
        "Kepala Keluarga",
        "62.03.01.1006",
        "",
        "",
        "",
    ]
]


def csv_bytes(rows, headers=HEADERS, delimiter=";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def new_batch(now, tmp_path, settings):
    """An import batch of `content`, uploaded and not run yet."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def make(content: bytes, *, kind="households", name="data.csv", actor=None):
        return import_batch_create(
            kind=kind,
            file=ContentFile(content, name=name),
            original_name=name,
            actor=actor,
            occurred_at=now,
            queue=False,
        )

    return make


@pytest.fixture
def run_import(now, new_batch):
    """Upload `content` and run its import (`options`: import_run's parallel=, pipelined=)."""

    def run(content: bytes, *, kind="households", name="data.csv", actor=None, **options):
        batch = new_batch(content, kind=kind, name=name, actor=actor)
        counts = import_run(batch, occurred_at=now, **options)
        batch.refresh_from_db()
        return batch, counts

    return run


def outcomes(batch):
    return {row.line: row.outcome for row in batch.rows.all()}


def reasons(batch):
    return {row.line: row.codes for row in batch.rows.all() if row.codes}
