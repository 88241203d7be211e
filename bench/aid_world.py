"""A Huma Betang Sejahtera of any size for the aid benchmarks: villages with a cooperative each,
households written set-based, the program funded, enrolled by its rule and a cycle approved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from betang.aid.models import Cycle, Program
from betang.aid.services.cycles import cycle_approve, cycle_draft, cycle_submit
from betang.aid.services.programs import PocketSpec, program_create, program_fund
from betang.core.bulk import analyze, bulk_insert
from betang.core.ids import new_id
from betang.registry.models import Cooperative, Household

FOOD = ["BERAS", "TELUR", "MINYAK_GORENG", "GULA", "LAUK_PAUK", "SAYUR"]
PER_HOUSEHOLD = 200_000  # Rp150.000 food + Rp50.000 general


@dataclass
class World:
    program: Program
    cooperatives: list[Cooperative]
    maker: object
    checker: object


def village(province: str, n: int) -> str:
    """Synthetic village codes of a province, PP.01.01.1000 onwards."""
    return f"{province}.{1 + n // 10_000:02d}.{1 + n // 100 % 100:02d}.{1000 + n % 100}"


def build(*, households: int, villages: int, province: str, now: datetime | None = None) -> World:
    """Each benchmark its own province, so that one's program does not enrol another's households."""
    now = now or timezone.now()
    user = get_user_model()
    maker = user.objects.create(
        username=f"maker-{new_id().hex[-8:]}", role="PROVINCIAL_OFFICER", scope_region_code="62"
    )
    checker = user.objects.create(
        username=f"checker-{new_id().hex[-8:]}", role="PROVINCIAL_OFFICER", scope_region_code="62"
    )
    cooperatives = Cooperative.objects.bulk_create(
        [
            Cooperative(
                name=f"KDMP {n}",
                name_key=f"kdmp {n}",
                kind=Cooperative.Kind.KDMP,
                region_code=village(province, n),
                created_at=now,
                updated_at=now,
            )
            for n in range(villages)
        ]
    )
    bulk_insert(
        Household,
        ["id", "kk_number", "region_code", "address", "latest_decile", "created_at", "updated_at"],
        (
            (new_id(), f"{province}{n:014d}", village(province, n % villages), "", 1 + n % 4, now, now)
            for n in range(households)
        ),
    )
    analyze(Household)
    program = program_create(
        code=f"khbs-{new_id().hex[-6:]}",
        name="Huma Betang Sejahtera",
        region_code=province,
        pockets=[
            PocketSpec("FOOD", "Pangan", FOOD, amount_per_household=150_000),
            PocketSpec("GENERAL", "Umum", [], amount_per_household=50_000),
        ],
        eligibility={"max_decile": 4},  # the program's region: the whole province
        occurred_at=now,
    )
    program_fund(
        program=program, amount=households * PER_HOUSEHOLD * 4, reference="SP2D-BENCH", occurred_at=now, recorded_at=now
    )
    return World(program, cooperatives, maker, checker)


def approved_cycle(world: World, now: datetime | None = None) -> Cycle:
    now = now or timezone.now()
    cycle = cycle_draft(program=world.program, occurred_at=now, actor=world.maker)
    cycle_submit(cycle=cycle, actor=world.maker, occurred_at=now)
    return cycle_approve(cycle=cycle, actor=world.checker, occurred_at=now)
