"""Cooperatives (KDMP, KKMP and others), the file's rows: columns, kinds, cleaning; matched by legal number or name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from betang.registry.imports import validation as v
from betang.registry.imports.organisations import _COMMON_COLUMNS, OrgSpec, _clean_common
from betang.registry.imports.rows import Context, _issues, _text_field, _units, _words
from betang.registry.imports.tabular import Column
from betang.registry.models import Cooperative

COOP_KINDS = {
    "kdmp": "KDMP",
    "koperasi desa merah putih": "KDMP",
    "kkmp": "KKMP",
    "koperasi kelurahan merah putih": "KKMP",
    "lainnya": "OTHER",
    "other": "OTHER",
    "": "",
}


def _clean_cooperative(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_common(ctx, fields, _("Cooperative name"))
    kind_text = _words(fields.get("kind"))
    kind = COOP_KINDS.get(kind_text)
    if kind is None:
        issues.append(
            v.Issue(
                "cooperative.kind",
                _("Cooperative kind %(text)s is not KDMP, KKMP or Lainnya.") % {"text": kind_text},
                field="kind",
            )
        )
    elif not kind and values.get("region_code"):
        kind = "KKMP" if values["region_code"][9] == "1" else "KDMP"  # kelurahan codes start 1
    nib = v.check_nib(fields.get("nib")) if fields.get("nib") not in (None, "") else v.Checked("")
    founded = v.check_date(
        fields.get("founded_date"), field_name="founded_date", label=_("Founding date"), today=ctx.today
    )
    issues += _issues(nib, founded)
    values |= {
        "kind": kind or "",
        "nib": nib.value or "",
        "legal_number": _text_field(fields, "legal_number", 60),
        "founded_date": founded.value,
        "business_units": _units(fields.get("business_units")),
        "bank_name": _text_field(fields, "bank_name", 60),
        "bank_account_number": _text_field(fields, "bank_account_number", 30).replace(" ", ""),
        "bank_account_name": _text_field(fields, "bank_account_name", 150),
    }
    return values, issues


SPEC = OrgSpec(
    model=Cooperative,
    columns=[
        Column("name", "Nama Koperasi", ("nama", "name", "cooperative name", "nama kopdes"), required=True),
        Column("kind", "Jenis", ("jenis koperasi", "kind", "type")),
        Column(
            "legal_number", "Nomor Badan Hukum", ("no badan hukum", "nomor ahu", "no ahu", "sk ahu", "legal number")
        ),
        Column("nib", "NIB", ("nomor induk berusaha",)),
        Column("founded_date", "Tanggal Berdiri", ("tgl berdiri", "tanggal pendirian", "founded")),
        Column("business_units", "Unit Usaha", ("gerai", "business units")),
        Column("bank_name", "Bank", ("nama bank", "bank name")),
        Column("bank_account_number", "Nomor Rekening", ("no rekening", "no rek", "rekening", "account number")),
        Column("bank_account_name", "Nama Rekening", ("atas nama", "nama pemilik rekening", "account name")),
        *_COMMON_COLUMNS,
    ],
    clean=_clean_cooperative,
    keys=("legal_number", "region_code+name_key"),
    compare=(
        "name",
        "name_key",
        "kind",
        "nib",
        "legal_number",
        "founded_date",
        "business_units",
        "phone",
        "bank_name",
        "bank_account_number",
        "bank_account_name",
        "region_code",
    ),
)
