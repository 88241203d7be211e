"""The registry's XLSX exports (households, rejected rows of an import): NIK and KK masked without full_nik."""

from __future__ import annotations

import io
import re
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from betang.core.masking import mask_nik, mask_text
from betang.core.spreadsheet import xlsx_write
from betang.registry.imports.kinds import columns_for
from betang.registry.imports.tabular import header_key
from betang.registry.models import Household, ImportBatch, ImportRow, Person

# The columns of an uploaded file that hold a NIK or a KK number, whatever the kind of import.
IDENTIFIER_FIELDS = frozenset({"nik", "kk", "owner_nik"})


def identifier_columns(batch: ImportBatch) -> set[int]:
    """Indexes of the batch's columns whose header the import reads as a NIK or KK (every such column,
    not only the first the import used, so a second `NIK` column is masked too)."""
    alias_to_field = {
        header_key(alias): column.field
        for column in columns_for(batch.kind)
        for alias in (column.field, column.label, *column.aliases)
    }
    return {i for i, header in enumerate(batch.headers) if alias_to_field.get(header_key(header)) in IDENTIFIER_FIELDS}


def mask_identifier_cell(text: Any) -> Any:
    """A NIK or KK cell as a rejected row holds it, perhaps malformed (`6203 0155 0582 0002`, 15 or 17
    digits, `6.20301E+15`): its first and last four digits kept around bullets when it has twelve digits
    or more, every digit hidden when it has fewer; a cell with no digit stays as it is."""
    if not isinstance(text, str):
        return text
    digits = re.sub(r"\D", "", text)
    if not digits:
        return text
    if len(digits) >= 12:
        return digits[:4] + "•" * (len(digits) - 8) + digits[-4:]
    return "•" * len(digits)


def rejected_rows_write(
    target: IO[bytes] | str,
    batch: ImportBatch,
    outcomes: tuple[str, ...] = (ImportRow.Outcome.REJECTED,),
    *,
    full: bool,
    progress: Any = None,
) -> int:
    """The rejected rows as uploaded, each with its line and reason: fix them and upload this file again.

    Without `full` (the capability `registry.full_nik`) every NIK and KK is masked: in the columns the
    import reads as NIK or KK, whatever their shape, and any sixteen-digit number in the other cells and
    in the reason. Such a file is for reading the reasons; only a full one can be uploaded again."""
    rows = ImportRow.objects.filter(batch=batch, outcome__in=outcomes).order_by("line")
    width = max([len(batch.headers), *(len(d) for d in rows.values_list("data", flat=True).iterator())])
    headers = [h or f"#{i + 1}" for i, h in enumerate(batch.headers)] + [
        f"#{i + 1}" for i in range(len(batch.headers), width)
    ]
    extra = [_("Reason"), _("Reason code"), _("Line in the uploaded file")]
    masked = set() if full else identifier_columns(batch)

    def cells(row: ImportRow) -> list[Any]:
        data = [*row.data, *[""] * (width - len(row.data))]
        if full:
            return [*data, row.message, row.codes, row.line]
        data = [mask_identifier_cell(c) if i in masked else mask_text(c) if isinstance(c, str) else c
                for i, c in enumerate(data)]  # fmt: skip
        return [*data, mask_text(row.message), row.codes, row.line]

    body = (cells(r) for r in rows.iterator(chunk_size=5000))
    # Every uploaded column is text: NIK, KK, codes and phone numbers must survive the round trip.
    return xlsx_write(
        target,
        headers + extra,
        body,
        text_columns=set(range(len(headers) + 2)),
        title=_("Rejected rows"),
        progress_every=5000,
        progress=progress,
    )


def rejected_rows_xlsx(
    batch: ImportBatch, outcomes: tuple[str, ...] = (ImportRow.Outcome.REJECTED,), *, full: bool
) -> bytes:
    out = io.BytesIO()
    rejected_rows_write(out, batch, outcomes, full=full)
    return out.getvalue()


HOUSEHOLD_EXPORT_HEADERS = [
    "No KK",
    "NIK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Kelamin",
    "Hubungan Keluarga",
    "Kode Desa",
    "Alamat",
    "No HP",
    "Desil",
]
_HOUSEHOLD_FIELDS = (
    "household__kk_number",
    "nik",
    "name",
    "birth_date",
    "sex",
    "relation",
    "region_code",
    "household__address",
    "phone",
    "household__latest_decile",
)


def household_persons(households: QuerySet[Household]) -> QuerySet[Person]:
    """The members of the listed households, one export row each, family by family."""
    return Person.objects.filter(household__in=households.values("pk"), merged_into__isnull=True).order_by(
        "household__region_code", "household__kk_number", "birth_date"
    )


def households_write(target: IO[bytes] | str, persons: QuerySet[Person], *, full: bool, progress: Any = None) -> int:
    """The households' members in the import template's columns (so the file imports again), NIK and KK
    masked without `full`. Rows are read as tuples, not model instances: a province is a million rows."""
    show = str if full else mask_nik
    relations = {value: str(label) for value, label in Person.Relation.choices}
    rows = (
        [
            show(kk),
            show(nik),
            name,
            birth.strftime("%d-%m-%Y"),
            "L" if sex == "M" else "P",
            relations.get(relation, relation),
            region,
            address,
            phone,
            decile,
        ]
        for kk, nik, name, birth, sex, relation, region, address, phone, decile in persons.values_list(
            *_HOUSEHOLD_FIELDS
        ).iterator(chunk_size=5000)
    )
    return xlsx_write(
        target,
        HOUSEHOLD_EXPORT_HEADERS,
        rows,
        text_columns={0, 1, 6, 8},
        title=_("Households"),
        progress_every=5000,
        progress=progress,
    )
