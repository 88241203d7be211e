"""Two regencies side by side: Kapuas (62.03), whose users attack, and Palangkaraya (62.71), whose rows
they aim at, in one provincial aid program, one provincial revolving fund and an outlet each; users of
every role, and a snapshot of every stored row to prove a refusal changed nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.apps import apps

from betang.aid.models import Anomaly, Card, Cycle, Enrolment, Program, ReconciliationException, Redemption
from betang.aid.services.cards import card_pin_set, cards_issue
from betang.aid.services.cycles import cycle_approve, cycle_credit, cycle_draft, cycle_submit
from betang.aid.services.programs import PocketSpec
from betang.aid.services.settlements import settlements_issue
from betang.fund.models import Application, Fund, Loan, LoanChange, Repayment
from betang.fund.services import changes
from betang.fund.services.applications import application_approve, application_assess, application_submit
from betang.fund.services.loans import loan_disburse, repayment_record
from betang.outlets.models import Item, Sale
from betang.outlets.services.sales import LineIn, sale_complete
from betang.registry.models import Cooperative, DuplicateCandidate, Household, Outlet, Person
from betang.registry.services.staff import cooperative_staff_assign
from tests.aid.conftest import PIN, cooperative, household
from tests.conftest import NOW
from tests.factories.aid import ProgramFactory, food_and_general
from tests.factories.fund import FundFactory, ProductFactory
from tests.factories.outlets import ItemFactory
from tests.factories.registry import OutletFactory
from tests.fund.conftest import ALL_YES

KAPUAS_VILLAGE = "62.03.01.1006"
PALANGKARAYA_VILLAGE = "62.71.01.1001"
ROLES = (
    "PROVINCIAL_OFFICER",
    "REGENCY_OFFICER",
    "COOPERATIVE_OPERATOR",
    "CASHIER",
    "FUND_OFFICER",
    "PROCUREMENT_BUYER",
    "AUDITOR",
    "ADMINISTRATOR",
)
# Tables that say nothing of the rows a request may touch (reference data, the login throttle).
UNWATCHED = {"regions", "axes", "sessions", "contenttypes", "admin"}


@dataclass
class Side:
    """One regency's rows: what its own users act on, and what the other regency's users aim at."""

    cooperative: Cooperative
    outlet: Outlet
    household: Household
    card: Card
    operator: object
    cashier: object
    items: dict[str, Item] = field(default_factory=dict)


@dataclass
class World:
    program: Program
    cycle: Cycle  # credited
    kapuas: Side
    palangkaraya: Side
    enrolment: Enrolment  # Palangkaraya's
    sale: Sale  # at Palangkaraya's outlet, by card
    payment: Redemption  # that sale's card payment
    settlement: object  # Palangkaraya's cooperative's statement
    anomaly: Anomaly
    program_exception: ReconciliationException
    cooperative_exception: ReconciliationException
    duplicate: DuplicateCandidate
    person: Person  # of Palangkaraya
    fund: Fund
    submitted: Application  # Palangkaraya's, waiting to be assessed
    assessed: Application  # waiting for approval
    approved: Application  # waiting to be disbursed
    loan: Loan  # Palangkaraya's, disbursed, one repayment
    repayment: Repayment
    change: LoanChange  # a write-off proposed on the loan
    users: dict[str, object]  # attackers and controls by name


def _side(village: str, name: str, n: int) -> tuple[Cooperative, Outlet, Household]:
    coop = cooperative(village, name)
    outlet = OutletFactory(cooperative=coop, name=f"Gerai {name}")
    home = household(village, 2, n=n)
    return coop, outlet, home


def _bind(make_user, role: str, username: str, coop: Cooperative, admin) -> object:
    user = make_user(role=role, username=username)
    cooperative_staff_assign(user=user, cooperative=coop, actor=admin, occurred_at=NOW)
    user.refresh_from_db()
    return user


def _stock(outlet: Outlet, supervisor) -> dict[str, Item]:
    made = {}
    for code, name, category, price in (
        ("8991001", "Beras 5 kg", "BERAS", 70_000),
        ("8991003", "Sabun", "NON_PANGAN", 6_000),
    ):
        made[category] = ItemFactory(
            outlet=outlet, code=code, name=name, unit="pcs", category=category, price=price, stock=10, actor=supervisor
        )
    return made


def build_world(make_user) -> World:
    admin = make_user(role="ADMINISTRATOR", username="admin.scope", is_staff=True, is_superuser=True)
    sides = {}
    for key, village, name, n in (("kapuas", KAPUAS_VILLAGE, "KDMP Sei Pasah", 1), ("palangkaraya", PALANGKARAYA_VILLAGE, "KMP Pahandut", 2)):  # fmt: skip
        coop, outlet, home = _side(village, name, n)
        operator = _bind(make_user, "COOPERATIVE_OPERATOR", f"pengurus.{key}", coop, admin)
        cashier = _bind(make_user, "CASHIER", f"kasir.{key}", coop, admin)
        sides[key] = (coop, outlet, home, operator, cashier)

    program = ProgramFactory(  # a food pocket (Rp150.000) and a general one (Rp50.000), funded Rp10 million
        code="khbs", pockets=food_and_general(food=150_000, general=50_000), budget=10_000_000,
        eligibility={"max_decile": 4, "regencies": ["62.03", "62.71"], "exclude": []},
    )  # fmt: skip
    household(PALANGKARAYA_VILLAGE, 3, n=3)  # enrolled by the cycle below, still without a card
    ProgramFactory(
        code="kapuas", name="Bantuan Kapuas", region_code="62.03",
        pockets=[PocketSpec("GENERAL", "Umum", [], amount_per_household=50_000)],
        eligibility={"max_decile": 4, "regencies": ["62.03"], "exclude": []},
    )  # fmt: skip  # a program Kapuas runs: its doors open to Kapuas's officer
    maker = make_user(role="PROVINCIAL_OFFICER", scope="62", username="maker")
    checker = make_user(role="PROVINCIAL_OFFICER", scope="62", username="checker")
    cycle = cycle_draft(program=program, occurred_at=NOW, actor=maker)
    cycle_submit(cycle=cycle, actor=maker, occurred_at=NOW)
    cycle_approve(cycle=cycle, actor=checker, occurred_at=NOW)
    cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    homes = [sides[k][2] for k in ("kapuas", "palangkaraya")]
    cards = {
        i.card.household_id: i.card for i in cards_issue(households=homes, batch="b1", occurred_at=NOW, actor=maker)
    }
    built = {}
    for key, (coop, outlet, home, operator, cashier) in sides.items():
        card = cards[home.pk]
        card_pin_set(card=card, pin=PIN, actor=maker, occurred_at=NOW)
        card.refresh_from_db()
        built[key] = Side(coop, outlet, home, card, operator, cashier, _stock(outlet, operator))
    kapuas, palangkaraya = built["kapuas"], built["palangkaraya"]

    sold = sale_complete(
        outlet=palangkaraya.outlet, cashier=palangkaraya.cashier,
        lines=[LineIn(str(palangkaraya.items["BERAS"].pk), 1)], key="scope-sale-1", occurred_at=NOW, recorded_at=NOW,
        card_number=palangkaraya.card.number, pin=PIN,
    )  # fmt: skip
    sale = Sale.objects.get(pk=sold.sale.pk)
    payment = Redemption.objects.get(pk=sale.redemption_id)
    settlement = settlements_issue(program=program, up_to=NOW.date(), actor=maker, occurred_at=NOW + timedelta(days=2))[
        0
    ]
    anomaly = Anomaly.objects.create(
        key="scope-anomaly", program=program, kind=Anomaly.Kind.choices[0][0], card=palangkaraya.card,
        cooperative=palangkaraya.cooperative, region_code=PALANGKARAYA_VILLAGE, payments=5, amount=350_000,
        first_at=NOW, last_at=NOW,
    )  # fmt: skip

    def exception(owner: str, subject: str) -> ReconciliationException:
        return ReconciliationException.objects.create(
            cycle=cycle, cooperative=palangkaraya.cooperative, outlet=palangkaraya.outlet,
            region_code=PALANGKARAYA_VILLAGE, kind=ReconciliationException.Kind.choices[0][0], subject=subject,
            amount=70_000, detail="selisih", owner=owner, found_at=NOW,
        )  # fmt: skip

    people = list(Person.objects.filter(household=palangkaraya.household).order_by("nik"))
    duplicate = DuplicateCandidate.objects.create(
        existing=people[0], candidate=people[1], score=91, reason="nama mirip", region_code=PALANGKARAYA_VILLAGE,
        created_at=NOW,
    )  # fmt: skip

    officer = make_user(role="FUND_OFFICER", scope="62", username="dana.prov")
    approver = make_user(role="FUND_OFFICER", scope="62", username="dana.prov2")
    fund = FundFactory(code="bergulir", name="Stimulus Bergulir", capital=2_000_000_000, actor=officer)
    product = ProductFactory(fund=fund, code="stimulus", actor=officer)  # Rp200–300 million: 250 fits

    def application(stage: str) -> Application:
        made = application_submit(
            product=product, cooperative=palangkaraya.cooperative, amount=250_000_000, purpose="Modal gerai",
            actor=palangkaraya.operator, occurred_at=NOW,
        )  # fmt: skip
        if stage == "submitted":
            return made
        application_assess(application=made, checklist=ALL_YES, score=80, note="Layak.", actor=officer, occurred_at=NOW)
        if stage == "assessed":
            return made
        return application_approve(application=made, actor=approver, occurred_at=NOW)

    lent = application("approved")
    loan = loan_disburse(
        application=lent, disbursed_on=date(2026, 1, 12), bank_reference="SP2D-L1", actor=officer, occurred_at=NOW,
        recorded_at=NOW,
    )  # fmt: skip
    repayment = repayment_record(
        loan=loan, amount=1_000_000, paid_on=date(2026, 2, 12), bank_reference="TRF-1", actor=officer,
        occurred_at=NOW, recorded_at=NOW,
    )  # fmt: skip
    change = changes.change_propose(
        loan=loan, kind=LoanChange.Kind.WRITE_OFF, effective_on=date(2026, 11, 1), reason="Usaha berhenti.",
        actor=officer, occurred_at=NOW,
    )  # fmt: skip

    users = {
        "admin": admin,
        "kapuas_officer": make_user(role="REGENCY_OFFICER", scope="62.03", username="kab.kapuas"),
        "kalsel_officer": make_user(role="PROVINCIAL_OFFICER", scope="63", username="dinas.kalsel"),
        "kapuas_fund_officer": make_user(role="FUND_OFFICER", scope="62.03", username="dana.kapuas"),
        "kalsel_fund_officer": make_user(role="FUND_OFFICER", scope="63", username="dana.kalsel"),
        "kapuas_operator": kapuas.operator,
        "kapuas_cashier": kapuas.cashier,
    }
    return World(
        program, cycle, kapuas, palangkaraya, Enrolment.objects.get(household=palangkaraya.household), sale,
        payment, settlement, anomaly, exception("PROGRAM", "p-1"), exception("COOPERATIVE", "c-1"), duplicate,
        people[0], fund, application("submitted"), application("assessed"), application("approved"), loan,
        repayment, change, users,
    )  # fmt: skip


@pytest.fixture
def world(db, make_user) -> World:
    return build_world(make_user)


def snapshot() -> dict[str, list[dict]]:
    """Every stored row of every table a write could touch (reference data aside), in key order."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in UNWATCHED or model._meta.proxy or model._meta.label == "auth.Permission":
            continue
        state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def changed(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ."""
    return sorted(label for label in before if before[label] != after[label])
