"""What a chunk of household rows needs of the registry, read in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from betang.registry.imports.duplicates import Block, _blocks, _join_block
from betang.registry.imports.households import PersonRecord
from betang.registry.imports.rows import Context
from betang.registry.models import DtsenSnapshot, Household, Person

if TYPE_CHECKING:
    from betang.registry.imports.pipeline.writer import _Unseen


@dataclass
class _Home:
    id: Any
    kk_number: str
    region_code: str
    address: str
    latest_decile: int | None
    is_new: bool = False


@dataclass
class _Member:
    id: Any
    nik: str
    name: str
    name_key: str
    block_key: str
    birth_date: date
    sex: str
    household_id: Any
    relation: str
    region_code: str
    phone: str
    warnings: list[Any]


_MEMBER_VALUES = [
    "id",
    "nik",
    "name",
    "name_key",
    "block_key",
    "birth_date",
    "sex",
    "household_id",
    "relation",
    "region_code",
    "phone",
    "warnings",
]
_HOME_VALUES = ["id", "kk_number", "region_code", "address", "latest_decile"]


@dataclass
class _Found:
    """The registry as one chunk's rows find it; matching the rows updates it as they go."""

    persons: dict[str, _Member]  # by NIK
    homes: dict[str, _Home]  # by KK number
    homes_by_id: dict[Any, _Home]
    blocks: Block  # for the duplicate matcher (see duplicates._blocks)
    snapshots: set[tuple[Any, date]]  # (household id, as-of date) of the DTSEN snapshots already kept


def _lookup_households(ctx: Context, records: list[PersonRecord], unseen: list[_Unseen]) -> _Found:
    """The registry as the chunk's rows need it: persons by NIK, households by KK and by id, the blocks
    of the new persons and the DTSEN snapshots already kept, with what unseen chunks wrote on top."""
    fresh_homes: dict[Any, _Home] = {}  # by id, the newest chunk last
    for chunk in unseen:
        fresh_homes.update(chunk.homes)
    persons = _persons_by_nik(records, unseen)
    homes = _homes_by_kk({r.kk for r in records}, fresh_homes)
    homes_by_id = _with_old_homes({h.id: h for h in homes.values()}, persons.values(), fresh_homes)
    blocks = _new_persons_blocks({r.block_key for r in records if r.nik not in persons}, unseen)
    snapshots = set(
        DtsenSnapshot.objects.filter(household_id__in=list(homes_by_id), source=ctx.source[:100])
        .order_by()
        .values_list("household_id", "as_of_date")
    )
    for chunk in unseen:
        snapshots |= chunk.snapshots
    return _Found(persons, homes, homes_by_id, blocks, snapshots)


def _persons_by_nik(records: list[PersonRecord], unseen: list[_Unseen]) -> dict[str, _Member]:
    niks = [r.nik for r in records]
    persons = {row[1]: _Member(*row) for row in Person.objects.filter(nik__any=niks).values_list(*_MEMBER_VALUES)}
    for chunk in unseen:
        for nik in niks:
            if (member := chunk.persons.get(nik)) is not None:
                persons[nik] = member
    return persons


def _homes_by_kk(kks: set[str], fresh_homes: dict[Any, _Home]) -> dict[str, _Home]:
    homes: dict[str, _Home] = {}
    for row in Household.objects.filter(kk_number__any=kks).values_list(*_HOME_VALUES):
        home = fresh_homes.get(row[0]) or _Home(*row)
        if home.kk_number == row[1]:  # not if an unseen chunk gave the household another card
            homes[row[1]] = home
    for home in fresh_homes.values():
        if home.kk_number in kks:
            homes[home.kk_number] = home
    return homes


def _with_old_homes(
    homes_by_id: dict[Any, _Home], persons: Iterable[_Member], fresh_homes: dict[Any, _Home]
) -> dict[Any, _Home]:
    """`homes_by_id` with the households the chunk's known persons live in now (a head's old household,
    for a KK change)."""
    missing = set()
    for member in persons:
        if member.household_id and member.household_id not in homes_by_id:
            if (home := fresh_homes.get(member.household_id)) is not None:
                homes_by_id[home.id] = home
            else:
                missing.add(member.household_id)
    for row in Household.objects.filter(pk__any=list(missing)).values_list(*_HOME_VALUES):
        homes_by_id[row[0]] = _Home(*row)
    return homes_by_id


def _new_persons_blocks(new_blocks: set[str], unseen: list[_Unseen]) -> Block:
    """The blocks the chunk's new persons fall in, as registered and as unseen chunks left them."""
    fresh_persons = {nik: m for chunk in unseen for nik, m in chunk.persons.items()}
    blocks = _blocks(new_blocks, skip=fresh_persons)
    for m in fresh_persons.values():
        if m.block_key in new_blocks:
            _join_block(blocks, m.block_key, m.sex, m.name_key, (m.id, m.household_id, m.name, m.nik))
    return blocks
