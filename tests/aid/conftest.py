"""A small Huma Betang Sejahtera: two villages of Kapuas with a cooperative each, households with
deciles, a program with a food pocket and a general pocket, funded, one cycle credited, cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from betang.aid.models import Card, Cycle, NationalAid, Program
from betang.aid.services.cards import card_pin_set, cards_issue
from betang.aid.services.cycles import cycle_approve, cycle_credit, cycle_draft, cycle_submit
from betang.aid.services.programs import program_fund
from betang.registry.models import Cooperative, Household
from tests.conftest import NOW
from tests.factories.aid import FOOD as FOOD  # the food pocket's goods, imported from here by other tests
from tests.factories.aid import ProgramFactory, food_and_general
from tests.factories.registry import CooperativeFactory, HouseholdFactory, PersonFactory

VILLAGE_A, VILLAGE_B = "62.03.01.1006", "62.03.01.1007"
PIN = "135790"


def household(village: str, decile: int | None, members: int = 3, n: int = 0) -> Household:
    """Household n of the village, its KK and its members' NIKs and names (`Warga n-m`) fixed by n."""
    home = HouseholdFactory(kk_number=f"62030101012{n:05d}", region_code=village, latest_decile=decile, members=0)
    for m in range(members):
        PersonFactory(
            nik=f"6203010101{n:03d}{m:03d}", name=f"Warga {n}-{m}", name_key=f"warga {n} {m}", block_key="x",
            birth_date=date(1980, 1, 1), sex="M", household=home,
        )  # fmt: skip
    return home


def cooperative(village: str, name: str) -> Cooperative:
    return CooperativeFactory(name=name, region_code=village)


def khbs(**kwargs) -> Program:
    return ProgramFactory(
        code=kwargs.pop("code", "khbs"),
        pockets=food_and_general(food=150_000, general=50_000),
        eligibility=kwargs.pop("eligibility", {"max_decile": 4, "regencies": ["62.03"], "exclude": ["PKH"]}),
        **kwargs,
    )


@dataclass
class World:
    program: Program
    coop_a: Cooperative
    coop_b: Cooperative
    poor: list[Household]
    card: Card  # of poor[0], PIN = PIN
    maker: object
    checker: object


@pytest.fixture
def world(db, make_user) -> World:
    return build_world(make_user)


def build_world(make_user) -> World:
    coop_a, coop_b = cooperative(VILLAGE_A, "KDMP Sei Pasah"), cooperative(VILLAGE_B, "KDMP Anjir")
    poor = [household(VILLAGE_A, 2, n=1), household(VILLAGE_A, 4, members=5, n=2), household(VILLAGE_B, 3, n=3)]
    household(VILLAGE_A, 7, n=4)  # too well off
    pkh = household(VILLAGE_B, 1, n=5)  # already in PKH
    NationalAid.objects.create(household=pkh, kind="PKH", as_of_date=date(2026, 10, 1))
    program = khbs()
    program_fund(program=program, amount=10_000_000, reference="SP2D-001", occurred_at=NOW, recorded_at=NOW)
    maker = make_user(role="PROVINCIAL_OFFICER", username="maker")
    checker = make_user(role="PROVINCIAL_OFFICER", username="checker")
    cycle = cycle_draft(program=program, occurred_at=NOW, actor=maker)
    cycle_submit(cycle=cycle, actor=maker, occurred_at=NOW)
    cycle_approve(cycle=cycle, actor=checker, occurred_at=NOW)
    cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    issued = cards_issue(households=poor, batch="2026-11", occurred_at=NOW, actor=maker)
    card = issued[0].card
    card_pin_set(card=card, pin=PIN, actor=maker, occurred_at=NOW)
    card.refresh_from_db()
    return World(program, coop_a, coop_b, poor, card, maker, checker)


def credited_expiring_program(world: World) -> tuple[Program, Cycle]:
    """A second program whose unspent funds expire, funded, with its first cycle credited."""
    program = khbs(code="khbs-expire", unspent="EXPIRE")
    program_fund(program=program, amount=5_000_000, reference="SP2D-9", occurred_at=NOW, recorded_at=NOW)
    one = cycle_draft(program=program, occurred_at=NOW, actor=world.maker)
    cycle_submit(cycle=one, actor=world.maker, occurred_at=NOW)
    cycle_approve(cycle=one, actor=world.checker, occurred_at=NOW)
    cycle_credit(cycle=one, occurred_at=NOW, recorded_at=NOW)
    return program, one
