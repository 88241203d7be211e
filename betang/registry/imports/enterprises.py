"""Enterprises (UMKM), the file's rows: columns and cleaning, the scale by PP 7/2021; matched by NIB or name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from betang.registry.imports import validation as v
from betang.registry.imports.organisations import _COMMON_COLUMNS, OrgSpec, _clean_common
from betang.registry.imports.rows import Context, _issues, _text_field
from betang.registry.imports.tabular import Column
from betang.registry.models import Enterprise
from betang.registry.services.organisations import enterprise_scale


def _clean_enterprise(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_common(ctx, fields, _("Business name"))
    nib = v.check_nib(fields.get("nib")) if fields.get("nib") not in (None, "") else v.Checked("")
    owner_nik = (
        v.check_nik(fields.get("owner_nik"), ctx.regions, today=ctx.today)
        if fields.get("owner_nik") not in (None, "")
        else v.Checked("")
    )
    capital = v.check_amount(fields.get("capital"), field_name="capital", label=_("Business capital"))
    turnover = v.check_amount(fields.get("annual_turnover"), field_name="annual_turnover", label=_("Annual turnover"))
    kbli = _text_field(fields, "kbli", 5)
    if kbli and (not kbli.isdigit() or len(kbli) != 5):
        issues.append(v.Issue("kbli.format", _("KBLI %(text)s must be 5 digits.") % {"text": kbli}, v.WARNING, "kbli"))
    issues += _issues(nib, owner_nik, capital, turnover)
    values |= {
        "nib": nib.value or "",
        "owner_name": _text_field(fields, "owner_name", 150),
        "owner_nik": owner_nik.value or "",
        "kbli": kbli,
        "capital": capital.value,
        "annual_turnover": turnover.value,
        "scale": enterprise_scale(capital=capital.value, annual_turnover=turnover.value),
    }
    return values, issues


SPEC = OrgSpec(
    model=Enterprise,
    columns=[
        Column("name", "Nama Usaha", ("nama", "name", "business name", "nama umkm"), required=True),
        Column("nib", "NIB", ("nomor induk berusaha",)),
        Column("owner_name", "Nama Pemilik", ("pemilik", "owner", "owner name")),
        Column("owner_nik", "NIK Pemilik", ("nik", "owner nik")),
        Column("kbli", "KBLI", ("kode kbli",)),
        Column("capital", "Modal Usaha", ("modal", "capital", "business capital")),
        Column(
            "annual_turnover",
            "Omzet Tahunan",
            ("omzet", "omset", "omset tahunan", "annual turnover", "turnover", "penjualan tahunan"),
        ),
        *_COMMON_COLUMNS,
    ],
    clean=_clean_enterprise,
    keys=("nib", "region_code+name_key"),
    compare=(
        "name",
        "name_key",
        "nib",
        "owner_name",
        "owner_nik",
        "kbli",
        "capital",
        "annual_turnover",
        "scale",
        "phone",
        "region_code",
    ),
)
