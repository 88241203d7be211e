"""The import kinds: each organisation kind's spec (columns, cleaning, matching), and the columns of any kind."""

from __future__ import annotations

from betang.registry.imports import bumdes, cooperatives, enterprises, members, outlets
from betang.registry.imports.households import HOUSEHOLD_COLUMNS
from betang.registry.imports.organisations import OrgSpec
from betang.registry.imports.tabular import Column
from betang.registry.models import ImportBatch

ORG_SPECS: dict[str, OrgSpec] = {
    ImportBatch.Kind.COOPERATIVES: cooperatives.SPEC,
    ImportBatch.Kind.ENTERPRISES: enterprises.SPEC,
    ImportBatch.Kind.BUMDES: bumdes.SPEC,
    ImportBatch.Kind.MEMBERS: members.SPEC,
    ImportBatch.Kind.OUTLETS: outlets.SPEC,
}


def columns_for(kind: str) -> list[Column]:
    return HOUSEHOLD_COLUMNS if kind == ImportBatch.Kind.HOUSEHOLDS else ORG_SPECS[kind].columns
