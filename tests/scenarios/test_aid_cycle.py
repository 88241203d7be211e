"""A day in the life of an aid cycle, from the budget to the cooperative's bank account.

Huma Betang Sejahtera, a provincial program of Kalimantan Tengah, helps the poorer households of two
Kapuas villages, Sei Pasah and Anjir, each with its village cooperative (KDMP). Read it top to bottom:

1. The APBD funds the program's budget (pagu) at the program's bank account (RKUD).
2. A maker drafts the November cycle: the rule (DTSEN decile ≤ 4, Kapuas) enrols the households at
   their village's cooperative and computes each one's entitlement per pocket.
3. The households get cards, each with a PIN from its mailer.
4. The maker submits; the maker may not approve their own cycle; a checker approves.
5. The credit moves the money from the budget into each household's pocket wallets.
6. At the Sei Pasah outlet: a wrong PIN is refused (and counted), a sale is paid by card and cash, a
   second sale is voided the same morning. In Anjir a payment comes through the card payment API.
7. The next day the program issues a settlement statement per cooperative, pays them by transfer
   and matches the bank's own statement; the four-way reconciliation finds the API payment with no
   goods behind it, the cooperative explains it, and the cycle closes.

At every step every balance is checked to the rupiah: the program's bank and budget, each pocket of
each household, and what the program owes each cooperative. Services only: what an officer, a
cashier or the API would do.
"""

from datetime import date, timedelta

import pytest

from betang.aid import posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Cycle, Enrolment, Entitlement, ReconciliationException, Settlement, Tally
from betang.aid.selectors import card_wallets, reconciliation_of
from betang.aid.services import distribution
from betang.aid.services.cards import cards_issue
from betang.aid.services.cycles import (
    CycleError,
    budget_available,
    cycle_approve,
    cycle_close,
    cycle_credit,
    cycle_draft,
    cycle_submit,
)
from betang.aid.services.payments import PaymentSettled, WrongPin, card_pay, card_payment_void
from betang.aid.services.programs import PocketSpec, program_fund
from betang.aid.services.reconciliation import ExceptionsOpen, exception_resolve, reconcile
from betang.aid.services.settlements import PeriodOpen, bank_statement_match, settlement_mark_paid, settlements_issue
from betang.core.errors import PermissionDenied
from betang.ledger import selectors as ledger
from betang.ledger.verify import ledger_verify
from betang.outlets.models import Sale, Stock
from betang.outlets.services.sales import LineIn, sale_complete, sale_void
from betang.regions.scope import RegionScope
from betang.registry.services.staff import cooperative_staff_assign
from tests.conftest import NOW
from tests.factories.aid import FOOD, ProgramFactory
from tests.factories.outlets import ItemFactory
from tests.factories.registry import CooperativeFactory, HouseholdFactory, OutletFactory

pytestmark = pytest.mark.django_db

SEI_PASAH, ANJIR = "62.03.01.1006", "62.03.01.1007"  # two villages of Kapuas, one district
DAY_ONE = NOW  # Saturday 21 November 2026, 09.00 WIB
DAY_TWO = NOW + timedelta(days=1)
MONTH_ENDED = NOW.replace(month=12, day=1)


def at(hour: int, minute: int = 0, day=DAY_ONE):
    return day.replace(hour=hour, minute=minute)


class Books:
    """Every balance of the program, read from the ledger: its bank, its budget, what each card's
    household holds in each pocket, and what the program owes each cooperative."""

    def __init__(self, program, cards: dict[str, Card], cooperatives: dict[str, object]):
        self.program, self.cards, self.cooperatives = program, cards, cooperatives

    def bank(self) -> int:
        return ledger.account_balance(self.program.bank_account_id)

    def budget(self) -> int:
        return ledger.account_balance(self.program.budget_account_id)

    def wallets(self) -> dict[str, dict[str, int]]:
        return {
            who: {row["pocket"].code: row["balance"] for row in card_wallets(card)} for who, card in self.cards.items()
        }

    def payable(self) -> dict[str, int]:
        owed = {}
        for name, coop in self.cooperatives.items():
            key = posting.payable_key(self.program.code, coop.pk)
            found = ledger.accounts_by_key([key]).get(key)
            owed[name] = ledger.account_balance(found[0]) if found else 0
        return owed

    def assert_balanced(self) -> None:
        """Double entry, seen from the program: the money at the bank is the budget not yet given out,
        plus what the households hold, plus what is owed to the cooperatives."""
        held = sum(sum(pockets.values()) for pockets in self.wallets().values())
        assert self.bank() == self.budget() + held + sum(self.payable().values())
        assert all(check.ok for check in ledger_verify())


def test_a_cycle_from_the_budget_to_the_cooperatives_bank_account(make_user):
    # --- The registry: two villages, their cooperatives, their households (called here by the first
    # names of their heads: Ani, Budi, Citra) -------------------------------------------------------------
    sei_pasah = CooperativeFactory(name="KDMP Sei Pasah", region_code=SEI_PASAH)
    anjir = CooperativeFactory(name="KDMP Anjir", region_code=ANJIR)
    ani = HouseholdFactory(region_code=SEI_PASAH, latest_decile=2, members=3)
    budi = HouseholdFactory(region_code=SEI_PASAH, latest_decile=4, members=5)
    citra = HouseholdFactory(region_code=ANJIR, latest_decile=3, members=2)
    HouseholdFactory(region_code=SEI_PASAH, latest_decile=7, members=4)  # better off: not for this program

    maker = make_user(role="PROVINCIAL_OFFICER", scope="62", username="dinsos.maker")
    checker = make_user(role="PROVINCIAL_OFFICER", scope="62", username="dinsos.checker")

    # --- 1. The program, its pockets, and its budget from the APBD ----------------------------------
    # Food: Rp100.000 a household and Rp20.000 a member, up to four members. General: Rp50.000, any goods
    # but tobacco.
    program = ProgramFactory(
        code="khbs",
        pockets=[
            PocketSpec("FOOD", "Pangan", FOOD, amount_per_household=100_000, amount_per_member=20_000, member_cap=4),
            PocketSpec("GENERAL", "Umum", [], amount_per_household=50_000),
        ],
        eligibility={"max_decile": 4, "regencies": ["62.03"]},
        actor=maker,
    )
    program_fund(program=program, amount=1_000_000, reference="SP2D-2026-0001", occurred_at=NOW, recorded_at=NOW)
    assert ledger.account_balance(program.bank_account_id) == 1_000_000  # at the bank (RKUD) ...
    assert ledger.account_balance(program.budget_account_id) == 1_000_000  # ... all of it budget still to give

    # --- 2. The maker drafts November's cycle ----------------------------------------------------------
    cycle = cycle_draft(program=program, occurred_at=NOW, actor=maker)
    assert (cycle.number, cycle.status, cycle.period_start, cycle.period_end) == (
        1, Cycle.Status.DRAFT, date(2026, 11, 1), date(2026, 11, 30),
    )  # fmt: skip
    enrolled = dict(Enrolment.objects.filter(program=program).values_list("household_id", "cooperative_id"))
    assert enrolled == {ani.pk: sei_pasah.pk, budi.pk: sei_pasah.pk, citra.pk: anjir.pk}  # at home; decile 7 not
    entitled = {
        (e.enrolment.household_id, e.pocket.code): e.amount
        for e in Entitlement.objects.filter(cycle=cycle).select_related("enrolment", "pocket")
    }
    assert entitled == {
        (ani.pk, "FOOD"): 100_000 + 3 * 20_000,
        (ani.pk, "GENERAL"): 50_000,
        (budi.pk, "FOOD"): 100_000 + 4 * 20_000,  # five members, counted up to four
        (budi.pk, "GENERAL"): 50_000,
        (citra.pk, "FOOD"): 100_000 + 2 * 20_000,
        (citra.pk, "GENERAL"): 50_000,
    }
    assert (cycle.households, cycle.total) == (3, 630_000)

    # --- 3. Cards, each PIN printed once on its mailer -------------------------------------------------
    batch = cards_issue(households=[ani, budi, citra], batch="2026-11", occurred_at=NOW, actor=maker)
    issued = {i.card.household_id: i for i in batch}
    assert len(issued) == 3
    assert all(len(i.pin) == 6 and i.pin.isdigit() for i in issued.values())
    households = {"ani": ani, "budi": budi, "citra": citra}
    cards = {name: Card.objects.get(pk=issued[h.pk].card.pk) for name, h in households.items()}
    pin = {name: issued[card.household_id].pin for name, card in cards.items()}
    books = Books(program, cards, {"sei_pasah": sei_pasah, "anjir": anjir})
    assert books.wallets() == {name: {"FOOD": 0, "GENERAL": 0} for name in cards}  # opened, nothing in them yet

    # --- 4. Maker and checker -----------------------------------------------------------------------
    cycle_submit(cycle=cycle, actor=maker, occurred_at=NOW)
    with pytest.raises(PermissionDenied):
        cycle_approve(cycle=cycle, actor=maker, occurred_at=NOW)  # nobody checks their own work
    cycle = cycle_approve(cycle=cycle, actor=checker, occurred_at=NOW)
    assert cycle.status == Cycle.Status.APPROVED
    assert (books.budget(), budget_available(program)) == (1_000_000, 1_000_000 - 630_000)  # reserved, not moved

    # --- 5. The credit -------------------------------------------------------------------------------
    assert cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW) == {
        "households": 3, "posted": 3, "already_posted": 0,
    }  # fmt: skip
    assert (books.bank(), books.budget()) == (1_000_000, 370_000)
    assert books.wallets() == {
        "ani": {"FOOD": 160_000, "GENERAL": 50_000},
        "budi": {"FOOD": 180_000, "GENERAL": 50_000},
        "citra": {"FOOD": 140_000, "GENERAL": 50_000},
    }
    assert books.payable() == {"sei_pasah": 0, "anjir": 0}
    with pytest.raises(CycleError):  # credited once: a second run is refused and moves nothing
        cycle_credit(cycle=cycle, occurred_at=NOW, recorded_at=NOW)
    assert (books.budget(), books.wallets()["ani"]) == (370_000, {"FOOD": 160_000, "GENERAL": 50_000})
    books.assert_balanced()

    # --- 6. Day one at the Sei Pasah outlet ----------------------------------------------------------
    admin = make_user(role="ADMINISTRATOR", username="admin.koperasi")
    cashier = make_user(role="CASHIER", username="kasir.seipasah")
    supervisor = make_user(role="COOPERATIVE_OPERATOR", username="pengurus.seipasah")
    for user in (cashier, supervisor):
        cooperative_staff_assign(user=user, cooperative=sei_pasah, actor=admin, occurred_at=NOW)
        user.refresh_from_db()
    outlet = OutletFactory(cooperative=sei_pasah, name="Gerai Sembako Sei Pasah")

    def item(name, unit, category, price, stock):
        return ItemFactory(
            outlet=outlet, name=name, unit=unit, category=category, price=price, stock=stock, actor=supervisor
        )

    rice = item("Beras Medium 5 kg", "karung", "BERAS", 65_000, 10)
    oil = item("Minyak Goreng 1 L", "botol", "MINYAK_GORENG", 18_000, 10)
    soap = item("Sabun Cuci", "pcs", "NON_PANGAN", 6_000, 20)
    cigarettes = item("Rokok Kretek", "bungkus", "ROKOK", 32_000, 10)

    def in_stock(item) -> int:
        return Stock.objects.get(outlet=outlet, item=item).quantity

    basket = [LineIn(rice.pk, 2), LineIn(soap.pk, 1), LineIn(cigarettes.pk, 1)]

    # 10.00 — Ani types a wrong PIN: refused, counted, and nothing else happens.
    before = books.wallets(), books.payable()
    wrong = "000000" if pin["ani"] != "000000" else "111111"
    with pytest.raises(WrongPin) as refused:
        sale_complete(
            outlet=outlet, cashier=cashier, lines=basket, key="seipasah-0001", occurred_at=at(10), recorded_at=at(10),
            card_number=cards["ani"].number, pin=wrong,
        )  # fmt: skip
    assert refused.value.details == {"attempts_left": 2}
    assert Card.objects.get(pk=cards["ani"].pk).failed_pin_attempts == 1
    assert (books.wallets(), books.payable()) == before
    assert not Sale.objects.exists()
    assert in_stock(rice) == 10

    # 10.01 — with the right PIN: two sacks of rice and soap by card, the cigarettes in cash (aid never
    # pays for tobacco). Rice comes from the food pocket; soap is not food: from the general pocket.
    sale = sale_complete(
        outlet=outlet, cashier=cashier, lines=basket, key="seipasah-0001", occurred_at=at(10, 1),
        recorded_at=at(10, 1), card_number=cards["ani"].number, pin=pin["ani"], cash_tendered=50_000,
    ).sale  # fmt: skip
    assert (sale.total, sale.card_amount, sale.cash_amount) == (2 * 65_000 + 6_000 + 32_000, 136_000, 32_000)
    assert sale.pockets == {"FOOD": 130_000, "GENERAL": 6_000}
    assert sale.cash_tendered - sale.cash_amount == 18_000  # the change
    assert Card.objects.get(pk=cards["ani"].pk).failed_pin_attempts == 0  # the right PIN clears the count
    assert (in_stock(rice), in_stock(soap), in_stock(cigarettes)) == (8, 19, 9)
    assert books.wallets()["ani"] == {"FOOD": 160_000 - 130_000, "GENERAL": 50_000 - 6_000}
    assert books.payable() == {"sei_pasah": 136_000, "anjir": 0}

    # 11.00 — Budi buys rice and oil, all food; at 11.30 the supervisor voids it (the wrong card was
    # swiped): the money goes back to Budi's food pocket and the goods back to the shelf.
    budi_sale = sale_complete(
        outlet=outlet, cashier=cashier, lines=[LineIn(rice.pk, 1), LineIn(oil.pk, 1)], key="seipasah-0002",
        occurred_at=at(11), recorded_at=at(11), card_number=cards["budi"].number, pin=pin["budi"],
    ).sale  # fmt: skip
    assert (budi_sale.card_amount, budi_sale.pockets) == (83_000, {"FOOD": 83_000})
    assert books.wallets()["budi"] == {"FOOD": 180_000 - 83_000, "GENERAL": 50_000}
    assert books.payable()["sei_pasah"] == 136_000 + 83_000
    sale_void(sale=budi_sale, actor=supervisor, reason="kartu tertukar", occurred_at=at(11, 30), recorded_at=at(11, 30))
    assert Sale.objects.get(pk=budi_sale.pk).status == Sale.Status.VOIDED
    assert books.wallets()["budi"] == {"FOOD": 180_000, "GENERAL": 50_000}
    assert books.payable()["sei_pasah"] == 136_000
    assert (in_stock(rice), in_stock(oil)) == (8, 10)

    # 14.00 — In Anjir, Citra pays Rp150.000 of rice through the card payment API (no outlet sale): the
    # food pocket first (Rp140.000, all it holds), the rest from the general pocket.
    paid = card_pay(
        card_number=cards["citra"].number, pin=pin["citra"], cooperative_id=anjir.pk,
        basket=[BasketLine("BERAS", 150_000, "Beras curah 12 kg")], key="api-anjir-0001", occurred_at=at(14),
        recorded_at=at(14),
    )  # fmt: skip
    assert (paid.amount, paid.pockets, paid.replayed) == (150_000, {"FOOD": 140_000, "GENERAL": 10_000}, False)
    again = card_pay(
        card_number=cards["citra"].number, pin=pin["citra"], cooperative_id=anjir.pk,
        basket=[BasketLine("BERAS", 150_000, "Beras curah 12 kg")], key="api-anjir-0001", occurred_at=at(14),
        recorded_at=at(14),
    )  # fmt: skip  # the API client retried: the same answer, paid once
    assert (again.redemption_id, again.receipt_number, again.replayed) == (
        paid.redemption_id,
        paid.receipt_number,
        True,
    )

    # The end of day one: 286,000 spent, owed to the two cooperatives; the budget untouched.
    assert books.wallets() == {
        "ani": {"FOOD": 30_000, "GENERAL": 44_000},
        "budi": {"FOOD": 180_000, "GENERAL": 50_000},
        "citra": {"FOOD": 0, "GENERAL": 40_000},
    }
    assert books.payable() == {"sei_pasah": 136_000, "anjir": 150_000}
    assert (books.bank(), books.budget()) == (1_000_000, 370_000)
    books.assert_balanced()

    # The distribution view's figures: two payments counted at every level; the voided one never.
    folded = distribution.distribution_fold()
    assert (folded.rows, folded.payments, folded.voids) == (3, 2, 0)
    province = Tally.objects.get(program=program, level=Tally.Level.PROVINCE, code="62")
    assert (province.redeemed_count, province.redeemed_amount) == (2, 286_000)
    by_cooperative = dict(
        Tally.objects.filter(program=program, level=Tally.Level.COOPERATIVE).values_list("code", "redeemed_amount")
    )
    assert by_cooperative == {str(sei_pasah.pk): 136_000, str(anjir.pk): 150_000}

    # --- 7. Day two: settlement, the bank, the reconciliation ----------------------------------------
    with pytest.raises(PeriodOpen):  # a day is settled once it has ended: payments can be voided until then
        settlements_issue(program=program, up_to=DAY_TWO.date(), actor=maker, occurred_at=at(9, day=DAY_TWO))
    statements = {
        s.cooperative_id: s
        for s in settlements_issue(program=program, up_to=DAY_ONE.date(), actor=maker, occurred_at=at(9, day=DAY_TWO))
    }
    assert {coop: (s.payments, s.amount, s.status) for coop, s in statements.items()} == {
        sei_pasah.pk: (1, 136_000, Settlement.Status.ISSUED),  # the voided sale is not claimed
        anjir.pk: (1, 150_000, Settlement.Status.ISSUED),
    }
    with pytest.raises(PaymentSettled):  # claimed by a statement: no longer voided
        card_payment_void(redemption_id=paid.redemption_id, actor=maker, occurred_at=at(9, day=DAY_TWO),
                          recorded_at=at(9, day=DAY_TWO))  # fmt: skip
    assert books.payable() == {"sei_pasah": 136_000, "anjir": 150_000}  # issuing moves no money

    for coop, reference in ((sei_pasah, "SP2D-2026-0101"), (anjir, "SP2D-2026-0102")):
        settlement_mark_paid(
            settlement=statements[coop.pk], bank_reference=reference, paid_date=DAY_TWO.date(), actor=maker,
            occurred_at=at(10, day=DAY_TWO), recorded_at=at(10, day=DAY_TWO),
        )  # fmt: skip
    assert books.payable() == {"sei_pasah": 0, "anjir": 0}
    assert (books.bank(), books.budget()) == (1_000_000 - 286_000, 370_000)
    books.assert_balanced()

    bank_csv = (
        "Tanggal;Keterangan;Referensi;Debet;Kredit\n"
        "22/11/2026;Transfer KDMP Sei Pasah;SP2D-2026-0101;136.000,00;\n"
        "22/11/2026;Transfer KDMP Anjir;SP2D-2026-0102;150.000,00;\n"
    )
    matched = bank_statement_match(
        program=program, content=bank_csv.encode(), filename="rekening-koran-22-11.csv", actor=maker,
        occurred_at=at(15, day=DAY_TWO),
    )  # fmt: skip
    assert matched.counts == {"reconciled": 2}
    assert set(Settlement.objects.values_list("status", flat=True)) == {Settlement.Status.RECONCILED}

    # The four-way reconciliation, per outlet: credited to its cooperative's households, redeemed by
    # card, issued from its stock, settled. The API payment in Anjir has no goods behind it.
    reconcile(Cycle.objects.get(pk=cycle.pk), now=at(16, day=DAY_TWO))
    view = reconciliation_of(cycle, scope=RegionScope(""))
    rows = {(r.cooperative_id, r.outlet_id): (r.credited, r.redeemed, r.issued, r.settled) for r in view["rows"]}
    assert rows == {
        (sei_pasah.pk, outlet.pk): (160_000 + 50_000 + 180_000 + 50_000, 136_000, 136_000, 136_000),
        (anjir.pk, None): (140_000 + 50_000, 150_000, 0, 150_000),
    }
    (difference,) = ReconciliationException.objects.filter(cycle=cycle)
    assert (difference.kind, difference.cooperative_id, difference.amount, difference.owner, difference.status) == (
        ReconciliationException.Kind.NO_GOODS, anjir.pk, 150_000, ReconciliationException.Owner.COOPERATIVE,
        ReconciliationException.Status.OPEN,
    )  # fmt: skip

    # The month is over. The cycle cannot close while the difference is unexplained; Anjir's operator
    # explains it, and it closes. Unspent money carries over: nothing moves.
    with pytest.raises(ExceptionsOpen):
        cycle_close(cycle=cycle, actor=maker, occurred_at=MONTH_ENDED, recorded_at=MONTH_ENDED)
    anjir_operator = make_user(role="COOPERATIVE_OPERATOR", username="pengurus.anjir")
    cooperative_staff_assign(user=anjir_operator, cooperative=anjir, actor=admin, occurred_at=MONTH_ENDED)
    exception_resolve(
        exception=difference, actor=anjir_operator, note="Beras curah diambil dari gudang koperasi; struk manual.",
        occurred_at=MONTH_ENDED,
    )  # fmt: skip
    closed = cycle_close(cycle=cycle, actor=maker, occurred_at=MONTH_ENDED, recorded_at=MONTH_ENDED)
    assert (closed.status, closed.expired_total) == (Cycle.Status.CLOSED, 0)
    assert ReconciliationException.objects.get(pk=difference.pk).status == ReconciliationException.Status.RESOLVED

    # What is left: the budget not yet given out, the households' unspent balances (theirs next month),
    # nothing owed to anyone, and a ledger that verifies.
    assert (books.bank(), books.budget()) == (714_000, 370_000)
    assert books.wallets() == {
        "ani": {"FOOD": 30_000, "GENERAL": 44_000},
        "budi": {"FOOD": 180_000, "GENERAL": 50_000},
        "citra": {"FOOD": 0, "GENERAL": 40_000},
    }
    assert books.payable() == {"sei_pasah": 0, "anjir": 0}
    books.assert_balanced()
