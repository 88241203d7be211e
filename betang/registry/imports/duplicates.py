"""The duplicate matcher's reads for a chunk: registered persons by block, the probable match, its warning."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from betang.core.masking import mask_nik
from betang.registry.imports import validation as v
from betang.registry.models import Person
from betang.registry.services import matching

Block = dict[tuple[str, str], tuple[list[str], list[tuple[Any, Any, str, str]]]]


def _blocks(keys: set[str], *, skip: Any = ()) -> Block:
    """The registered persons of the given blocks, for the duplicate matcher: (block, sex) → their
    normalised names and (id, household id, name, NIK), side by side for rapidfuzz's C matching.
    Persons whose NIK is in `skip` are left out (the caller knows them better)."""
    blocks: Block = {}
    # No `merged_into IS NULL` in SQL: SQLite's planner then walks that index over every person (seen:
    # a 1,000,000-row import four times slower per row at the end); merged rows are few, skip them here.
    for pk, key, name, nik, home_id, block, sex, merged in Person.objects.filter(block_key__any=keys).values_list(
        "id", "name_key", "name", "nik", "household_id", "block_key", "sex", "merged_into_id"
    ):
        if merged is None and nik not in skip:
            names, entries = blocks.setdefault((block, sex), ([], []))
            names.append(key)
            entries.append((pk, home_id, name, nik))
    return blocks


def _probable_duplicate(
    blocks: Block, *, block_key: str, sex: str, name_key: str, household_id: Any = None
) -> tuple[tuple[Any, Any, str, str], matching.Verdict] | None:
    """The registered person a new one is probably a duplicate of (same block and sex, similar name),
    and the verdict; None when there is none. The new person joins the block either way."""
    names, entries = blocks.get((block_key, sex), ((), ()))
    if names and (found := matching.best_match(name_key, names)):
        match = entries[found[0]]
        return match, matching.Verdict(
            found[1], matching.reason(same_kk=household_id is not None and match[1] == household_id)
        )
    return None


def _duplicate_issue(match: tuple[Any, Any, str, str], verdict: matching.Verdict) -> v.Issue:
    return v.Issue(
        "duplicate.probable",
        _("Possibly the same person as %(name)s (NIK %(nik)s): %(score)s%% similar.")
        % {"name": match[2], "nik": mask_nik(match[3]), "score": verdict.score},
        v.WARNING,
    )


def _join_block(blocks: Block, block_key: str, sex: str, name_key: str, entry: tuple[Any, Any, str, str]) -> None:
    """A person met in this chunk joins its block: the rows after it are matched against it too."""
    names, entries = blocks.setdefault((block_key, sex), ([], []))
    names.append(name_key)
    entries.append(entry)
