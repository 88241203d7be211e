"""Households and their members, the file's rows: columns, family relations, and cleaning a row into a record."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.ids import new_id_hex
from betang.registry.imports import validation as v
from betang.registry.imports.rows import Context, Outcome, RowResult, _in_scope, _issues, _words
from betang.registry.imports.tabular import Column
from betang.registry.services import matching

RELATIONS = {
    "kepala keluarga": "HEAD",
    "kepala": "HEAD",
    "kk": "HEAD",
    "head": "HEAD",
    "1": "HEAD",
    "istri": "SPOUSE",
    "suami": "SPOUSE",
    "istri/suami": "SPOUSE",
    "suami/istri": "SPOUSE",
    "spouse": "SPOUSE",
    "2": "SPOUSE",
    "anak": "CHILD",
    "child": "CHILD",
    "3": "CHILD",
    "menantu": "CHILD_IN_LAW",
    "4": "CHILD_IN_LAW",
    "cucu": "GRANDCHILD",
    "5": "GRANDCHILD",
    "orang tua": "PARENT",
    "orangtua": "PARENT",
    "ayah": "PARENT",
    "ibu": "PARENT",
    "6": "PARENT",
    "mertua": "PARENT_IN_LAW",
    "7": "PARENT_IN_LAW",
    "famili lain": "OTHER_FAMILY",
    "8": "OTHER_FAMILY",
    "pembantu": "HELPER",
    "9": "HELPER",
    "lainnya": "OTHER",
    "lain-lain": "OTHER",
    "other": "OTHER",
    "10": "OTHER",
}

HOUSEHOLD_COLUMNS = [
    Column("nik", "NIK", ("no nik", "nomor nik", "nomor induk kependudukan"), required=True),
    Column(
        "name", "Nama Lengkap", ("nama", "name", "full name", "nama anggota", "nama lengkap anggota"), required=True
    ),
    Column(
        "birth_date",
        "Tanggal Lahir",
        ("tgl lahir", "tanggal lahir", "birth date", "date of birth", "dob", "tgllahir"),
        required=True,
    ),
    Column("sex", "Jenis Kelamin", ("jk", "l/p", "l p", "sex", "gender", "kelamin"), required=True),
    Column(
        "kk",
        "No KK",
        ("nomor kk", "kk", "no kartu keluarga", "nomor kartu keluarga", "family card number", "kk number"),
        required=True,
    ),
    Column(
        "relation",
        "Hubungan Keluarga",
        ("hubungan", "shdk", "status hubungan dalam keluarga", "relation", "hubungan dalam keluarga"),
    ),
    Column(
        "region_code",
        "Kode Desa",
        ("kode wilayah", "kode kelurahan", "kode desa kelurahan", "village code", "kode desa/kel"),
        required=True,
    ),
    Column("address", "Alamat", ("address", "alamat lengkap")),
    Column("phone", "No HP", ("nomor hp", "hp", "telepon", "no telp", "phone", "nomor telepon", "no telepon")),
    Column("decile", "Desil", ("desil dtsen", "decile")),
    Column("decile_date", "Tanggal Data", ("tanggal desil", "tanggal dtsen", "as of")),
]


class PersonRecord(NamedTuple):
    """A clean person row, made in the reader and sent to the writer: a named tuple, which unpickles
    at a third of a dataclass's cost (measured; the writer is the busier process)."""

    line: int
    original: str  # the cells as text, packed in one string (see _pack)
    nik: str
    name: str
    name_key: str
    birth_date: date
    sex: str
    kk: str
    relation: str
    region_code: str
    address: str
    phone: str
    decile: int | None
    decile_date: date | None
    warnings: list[v.Issue]
    block_key: str  # computed once, here in the reader: the matcher asks for it several times
    # The key of the person this row makes if it is new, minted here in the reader: the writing
    # process is the busier one. (A new household's key is minted there: few rows make one.) As hex
    # text: it crosses to the writer and into COPY as is (unpickling UUID objects cost the writer).
    new_person_id: str


_SEPARATOR, _AS_JSON = "\x1f", "\x1e"  # ASCII unit separator; record separator: JSON follows


def _pack(cells: list[str]) -> str:
    """Cells as one string, joined by the unit separator (a tenth of JSON's cost), or as JSON behind
    a marker in the rare row whose cells hold that control character themselves."""
    packed = _SEPARATOR.join(cells)
    if _AS_JSON in packed or packed.count(_SEPARATOR) != len(cells) - 1:
        return _AS_JSON + json.dumps(cells, ensure_ascii=False)
    return packed


def _unpack(packed: str) -> list[str]:
    if packed.startswith(_AS_JSON):
        return json.loads(packed[1:])
    return packed.split(_SEPARATOR)


_BIRTH_DATE, _DECILE, _DATA_DATE = gettext_lazy("Birth date"), gettext_lazy("Decile"), gettext_lazy("Data date")


def _clean_person(ctx: Context, line: int, fields: dict[str, Any], values: list[Any]) -> PersonRecord | RowResult:
    birth = v.check_date(
        fields.get("birth_date"),
        field_name="birth_date",
        label=_BIRTH_DATE,
        today=ctx.today,
        required=True,
    )
    sex = v.check_sex(fields.get("sex"))
    nik = v.check_nik(fields.get("nik"), ctx.regions, today=ctx.today, birth_date=birth.value, sex=sex.value)
    name = v.check_name(fields.get("name"))
    kk = v.check_kk(fields.get("kk"), ctx.regions)
    village = v.check_village(fields.get("region_code"), ctx.regions)
    phone = v.check_phone(fields.get("phone"))
    relation, relation_issues = _relation(fields.get("relation"))
    decile, decile_issues = _decile(fields.get("decile"))
    decile_date = v.check_date(fields.get("decile_date"), field_name="decile_date", label=_DATA_DATE, today=ctx.today)
    issues = _issues(nik, name, birth, sex, kk, village, phone, decile_date) + relation_issues + decile_issues
    if village.value:
        issues += _in_scope(ctx, village.value)
    if any(i.is_error for i in issues):
        return RowResult(line, Outcome.REJECTED, issues, data=ctx.original(values))
    return PersonRecord(
        line=line,
        # The cells as text, as one string: one object to pass between processes instead of one per
        # cell (unpickling those was a tenth of an import's time); unpacked only for rows kept.
        original=_pack(ctx.original(values)),
        nik=nik.value,
        name=name.value,
        name_key=matching.name_key(name.value),
        birth_date=birth.value,
        sex=sex.value,
        kk=kk.value,
        relation=relation,
        region_code=village.value,
        address=" ".join(str(fields.get("address") or "").split())[:300],
        phone=phone.value or "",
        decile=decile,
        decile_date=decile_date.value,
        warnings=issues,
        block_key=matching.block_key(village.value, birth.value),
        new_person_id=new_id_hex(),
    )


def _relation(raw: Any) -> tuple[str, list[v.Issue]]:
    """The family relation (HEAD, SPOUSE, …; empty when not given), warned about when not understood."""
    text = _words(raw)
    relation = RELATIONS.get(text, "")
    if text and not relation:
        return relation, [
            v.Issue(
                "relation.format",
                _("Family relation %(text)s is not understood.") % {"text": text},
                v.WARNING,
                "relation",
            )
        ]
    return relation, []


def _decile(raw: Any) -> tuple[int | None, list[v.Issue]]:
    """The DTSEN decile, 1 to 10 (None when not given)."""
    decile = v.check_amount(raw, field_name="decile", label=_DECILE)
    issues = list(decile.issues)
    if decile.value is not None and not 1 <= decile.value <= 10:
        issues.append(v.Issue("decile.range", _("Decile must be 1 to 10."), field="decile"))
    return decile.value, issues
