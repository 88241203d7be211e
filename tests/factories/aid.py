"""factory_boy factories for aid: programs (with their pockets and ledger accounts, optionally funded)
and cards (with a known PIN), made through aid's own services so every row has its accounts."""

import factory

from betang.aid.models import Card, Program
from betang.aid.services.cards import card_pin_set, cards_issue
from betang.aid.services.programs import PocketSpec, program_create, program_fund
from tests.conftest import NOW

FOOD = ["BERAS", "TELUR", "MINYAK_GORENG", "GULA", "LAUK_PAUK", "SAYUR"]


def food_and_general(food: int = 150_000, general: int = 50_000) -> list[PocketSpec]:
    """The usual two pockets: staple food only, and any goods but those aid never pays for."""
    return [
        PocketSpec("FOOD", "Pangan", FOOD, amount_per_household=food),
        PocketSpec("GENERAL", "Umum", [], amount_per_household=general),
    ]


class ProgramFactory(factory.Factory):
    """A provincial program (`program_create`: budget and bank accounts, pockets, rule). With
    `budget=` it is also funded from the APBD by that much (`program_fund`, reference `SP2D-<code>`)."""

    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"program{n}")
    name = "Huma Betang Sejahtera"
    region_code = "62"
    pockets = factory.LazyFunction(food_and_general)
    eligibility = factory.LazyFunction(lambda: {"max_decile": 4, "regencies": ["62.03"]})
    occurred_at = NOW
    budget = 0

    @classmethod
    def _create(cls, model_class, *args, budget=0, **kwargs):
        program = program_create(**kwargs)
        if budget:
            program_fund(
                program=program,
                amount=budget,
                reference=f"SP2D-{program.code}",
                occurred_at=program.created_at,
                recorded_at=program.created_at,
            )
        return program


class CardFactory(factory.Factory):
    """A household's card from an issue batch (`cards_issue`), its PIN then set to `pin`
    (`card_pin_set`), as the beneficiary would at the office."""

    class Meta:
        model = Card

    household = factory.SubFactory("tests.factories.registry.HouseholdFactory")
    pin = "135790"
    batch = "uji"
    actor = None
    occurred_at = NOW

    @classmethod
    def _create(cls, model_class, *args, household, pin, batch, actor, occurred_at):
        (issued,) = cards_issue(households=[household], batch=batch, occurred_at=occurred_at, actor=actor)
        card_pin_set(card=issued.card, pin=pin, actor=actor, occurred_at=occurred_at)
        return Card.objects.get(pk=issued.card.pk)
