"""BUMDes (village-owned enterprises), the file's rows: columns and cleaning; matched by village and name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from betang.registry.imports import validation as v
from betang.registry.imports.organisations import _COMMON_COLUMNS, OrgSpec, _clean_common
from betang.registry.imports.rows import Context, _text_field, _units, _yes
from betang.registry.imports.tabular import Column
from betang.registry.models import Bumdes


def _clean_bumdes(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_common(ctx, fields, _("BUMDes name"))
    members = []
    for raw in _units(fields.get("member_village_codes")):
        checked = v.check_village(raw, ctx.regions)
        issues += checked.issues
        if checked.value:
            members.append(checked.value)
    values |= {
        "is_joint": _yes(fields.get("is_joint")) or len(members) > 1,
        "member_village_codes": members,
        "legal_number": _text_field(fields, "legal_number", 60),
        "business_units": _units(fields.get("business_units")),
    }
    return values, issues


SPEC = OrgSpec(
    model=Bumdes,
    columns=[
        Column("name", "Nama BUMDes", ("nama", "name", "nama bum desa"), required=True),
        Column("is_joint", "BUMDes Bersama", ("bersama", "joint")),
        Column("member_village_codes", "Desa Anggota", ("kode desa anggota", "member villages")),
        Column("legal_number", "Nomor Sertifikat", ("nomor badan hukum", "sertifikat", "legal number")),
        Column("business_units", "Unit Usaha", ("business units",)),
        *_COMMON_COLUMNS,
    ],
    clean=_clean_bumdes,
    keys=("region_code+name_key",),
    compare=(
        "name",
        "name_key",
        "is_joint",
        "member_village_codes",
        "legal_number",
        "business_units",
        "phone",
        "region_code",
    ),
)
