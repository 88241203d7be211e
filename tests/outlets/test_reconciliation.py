"""The four-way reconciliation of a cycle per outlet — credited ↔ redeemed ↔ issued from stock ↔
settled — in worked scenarios: a sale paid by card, a voided sale (nothing to explain), a card payment
with no goods behind it, a stock shortfall, payments in no statement, then a statement unpaid, then
paid; every difference an exception with an owner, and the cycle's close refused while one is open."""

from datetime import timedelta

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Cycle, Entitlement, Reconciliation, ReconciliationException, Redemption
from betang.aid.selectors import cycle_window, reconciliation_of
from betang.aid.services import payments, settlements
from betang.aid.services.cycles import cycle_approve, cycle_close, cycle_credit, cycle_draft, cycle_submit
from betang.aid.services.reconciliation import ExceptionsOpen, ResolutionNeeded, exception_resolve, reconcile
from betang.ledger.verify import ledger_verify
from betang.outlets.services.sales import LineIn, sale_complete, sale_void
from betang.outlets.services.stock import stock_adjust, stock_receive
from betang.regions.scope import RegionScope
from tests.aid.conftest import PIN
from tests.conftest import NOW
from tests.factories.registry import OutletFactory

pytestmark = pytest.mark.django_db

Kind, Status, Owner = ReconciliationException.Kind, ReconciliationException.Status, ReconciliationException.Owner
AFTER = NOW + timedelta(days=15)  # the cycle's month (November) has ended


def card_sale(shop, lines, key, at=NOW):
    return sale_complete(
        outlet=shop.outlet,
        cashier=shop.cashier,
        lines=[LineIn(item.pk, n) for item, n in lines],
        key=key,
        occurred_at=at,
        recorded_at=at,
        card_number=shop.world.card.number,
        pin=PIN,
    ).sale


def cycle_of(shop) -> Cycle:
    return Cycle.objects.get(program=shop.world.program, number=1)


def exceptions(cycle) -> dict[str, tuple[int, str, str]]:
    return {
        e.kind: (e.amount, e.status, e.owner)
        for e in ReconciliationException.objects.filter(cycle=cycle).order_by("found_at")
    }


def figures(shop, cycle) -> tuple[int, int, int, int]:
    row = Reconciliation.objects.get(cycle=cycle, outlet=shop.outlet)
    return row.credited, row.redeemed, row.issued, row.settled


@pytest.fixture
def month(shop):
    """A card sale of rice (Rp70.000), a card sale of eggs voided the same day, a card payment made
    at the outlet through the API with no sale (Rp10.000), and a sack of rice written off as lost."""
    card_sale(shop, [(shop.rice, 1)], "rice")
    eggs = card_sale(shop, [(shop.eggs, 1)], "eggs")
    sale_void(sale=eggs, actor=shop.supervisor, reason="salah input", occurred_at=NOW, recorded_at=NOW)
    payments.card_pay(
        card_number=shop.world.card.number,
        pin=PIN,
        cooperative_id=shop.world.coop_a.pk,
        outlet_id=shop.outlet.pk,
        basket=[BasketLine("BERAS", 10_000, "Beras curah")],
        key="api-only",
        occurred_at=NOW,
        recorded_at=NOW,
    )
    stock_adjust(
        outlet=shop.outlet,
        item=shop.rice,
        quantity=-1,
        reason="karung hilang",
        actor=shop.supervisor,
        occurred_at=NOW,
        recorded_at=NOW,
    )
    return cycle_of(shop)


def test_every_difference_becomes_an_exception_with_its_owner(shop, month):
    reconcile(month, now=NOW)  # the month is still running: unsettled payments are no difference yet
    # Credited to coop A's two households, Rp200.000 each; redeemed Rp80.000 (the voided sale is
    # out); issued for card sales Rp70.000 (the API payment gave out nothing recorded); none settled.
    assert figures(shop, month) == (400_000, 80_000, 70_000, 0)
    assert exceptions(month) == {
        Kind.NO_GOODS: (10_000, Status.OPEN, Owner.COOPERATIVE),
        Kind.STOCK_SHORTFALL: (70_000, Status.OPEN, Owner.COOPERATIVE),
    }
    shortfall = ReconciliationException.objects.get(kind=Kind.STOCK_SHORTFALL)
    assert "karung hilang" in shortfall.detail
    assert shortfall.outlet == shop.outlet

    reconcile(month, now=AFTER)  # ended: the payments in no statement are the program office's
    assert exceptions(month)[Kind.NOT_IN_STATEMENT] == (80_000, Status.OPEN, Owner.PROGRAM)


def test_a_settlement_clears_its_exceptions_step_by_step(shop, month):
    reconcile(month, now=AFTER)
    made = settlements.settlements_issue(
        program=shop.world.program, up_to=AFTER.date() - timedelta(days=1), actor=shop.world.maker, occurred_at=AFTER
    )
    reconcile(month, now=AFTER)
    found = exceptions(month)
    assert found[Kind.NOT_IN_STATEMENT][1] == Status.CLEARED  # now in a statement…
    assert found[Kind.STATEMENT_UNPAID] == (80_000, Status.OPEN, Owner.PROGRAM)  # …not yet paid
    settlements.settlement_mark_paid(
        settlement=made[0],
        bank_reference="SP2D-2026-12-001",
        paid_date=AFTER.date(),
        actor=shop.world.maker,
        occurred_at=AFTER,
        recorded_at=AFTER,
    )
    reconcile(month, now=AFTER)
    assert exceptions(month)[Kind.STATEMENT_UNPAID][1] == Status.CLEARED
    assert figures(shop, month) == (400_000, 80_000, 70_000, 80_000)


def test_the_cycle_cannot_be_closed_while_an_exception_is_open(shop, month):
    settlements.settlements_issue(
        program=shop.world.program, up_to=AFTER.date() - timedelta(days=1), actor=shop.world.maker, occurred_at=AFTER
    )
    with pytest.raises(ExceptionsOpen) as refused:
        cycle_close(cycle=month, actor=shop.world.checker, occurred_at=AFTER, recorded_at=AFTER)
    assert refused.value.details == {"open": 3}  # no goods, shortfall, statement unpaid
    month.refresh_from_db()
    assert month.status == Cycle.Status.CREDITED

    no_goods = ReconciliationException.objects.get(kind=Kind.NO_GOODS)
    with pytest.raises(ResolutionNeeded):
        exception_resolve(exception=no_goods, actor=shop.supervisor, note="  ", occurred_at=AFTER)
    exception_resolve(
        exception=no_goods, actor=shop.supervisor, note="Beras curah ditimbang di gudang", occurred_at=AFTER
    )
    shortfall = ReconciliationException.objects.get(kind=Kind.STOCK_SHORTFALL)
    exception_resolve(exception=shortfall, actor=shop.supervisor, note="Berita acara kehilangan", occurred_at=AFTER)
    statement = settlements.Settlement.objects.get()
    settlements.settlement_mark_paid(
        settlement=statement,
        bank_reference="SP2D-2026-12-002",
        paid_date=AFTER.date(),
        actor=shop.world.maker,
        occurred_at=AFTER,
        recorded_at=AFTER,
    )
    closed = cycle_close(cycle=month, actor=shop.world.checker, occurred_at=AFTER, recorded_at=AFTER)
    assert closed.status == Cycle.Status.CLOSED
    assert exceptions(month)[Kind.NO_GOODS] == (10_000, Status.RESOLVED, Owner.COOPERATIVE)  # kept by the rerun
    assert all(c.ok for c in ledger_verify())


def test_goods_given_out_for_a_payment_voided_behind_the_sale(shop):
    sale = card_sale(shop, [(shop.eggs, 2)], "eggs-2")
    payments.card_payment_void(
        redemption_id=sale.redemption_id, actor=shop.supervisor, occurred_at=NOW, recorded_at=NOW
    )
    cycle = cycle_of(shop)
    reconcile(cycle, now=NOW)
    assert exceptions(cycle) == {Kind.GOODS_NOT_PAID: (56_000, Status.OPEN, Owner.COOPERATIVE)}
    assert figures(shop, cycle) == (400_000, 0, 56_000, 0)  # issued, never paid


def test_the_pages_show_the_figures_and_let_each_owner_resolve_its_own(client, shop, month, kapuas_officer):
    reconcile(month, now=AFTER)
    program = shop.world.program.code
    url = f"/bantuan/program/{program}/siklus/{month.number}/rekonsiliasi/"
    client.force_login(shop.world.maker)
    page = client.get(url).content.decode()
    assert 'data-testid="open-exceptions">3<' in page  # no goods, shortfall, no statement
    assert "Rp400.000" in page  # credited
    assert "Rp80.000" in page  # redeemed
    assert "karung hilang" in page
    shortfall = ReconciliationException.objects.get(kind=Kind.STOCK_SHORTFALL)
    resolve = f"/bantuan/selisih/{shortfall.pk}/selesaikan/"
    assert client.post(resolve, {"note": "bukan urusan dinas"}).status_code == 404  # the cooperative's own
    shortfall.refresh_from_db()
    assert shortfall.status == Status.OPEN

    client.force_login(shop.supervisor)  # the cooperative's operator, on the outlet's report
    report = client.get(f"/gerai/{shop.outlet.pk}/laporan/").content.decode()
    assert 'data-testid="cooperative-exceptions"' in report
    assert "karung hilang" in report
    unsettled = ReconciliationException.objects.get(kind=Kind.NOT_IN_STATEMENT)
    assert client.post(f"/bantuan/selisih/{unsettled.pk}/selesaikan/", {"note": "x"}).status_code == 404  # not theirs
    assert client.post(resolve, {"note": ""}).status_code == 302  # refused: a note is needed
    shortfall.refresh_from_db()
    assert shortfall.status == Status.OPEN
    client.post(resolve, {"note": "Berita acara kehilangan no. 12", "next": f"/gerai/{shop.outlet.pk}/laporan/"})
    shortfall.refresh_from_db()
    assert (shortfall.status, shortfall.resolved_by) == (Status.RESOLVED, shop.supervisor)

    client.force_login(kapuas_officer)  # a regency officer: reads, cannot rerun
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 403


def _redeemed(cycle) -> int:
    return sum(Reconciliation.objects.filter(cycle=cycle).values_list("redeemed", flat=True))


def test_a_payment_after_the_period_is_reconciled_with_the_cycle_whose_window_it_falls_in(shop):
    """The demo's trap: a cycle of November, a card paying in December from what was left. That
    payment is the November cycle's while no December cycle exists, and the December cycle's once one
    begins; never nobody's, never two cycles'. Every payment is counted exactly once."""

    november = cycle_of(shop)
    december_2 = NOW.replace(month=12, day=2)
    december_5 = NOW.replace(month=12, day=5)
    card_sale(shop, [(shop.rice, 1)], "nov", at=NOW)
    card_sale(shop, [(shop.eggs, 1)], "dec-2", at=december_2)  # from November's balance, carried over

    reconcile(november, now=december_2 + timedelta(hours=1))
    assert _redeemed(november) == 98_000  # both: no later cycle has begun
    assert cycle_window(november).end is None
    assert Kind.NOT_IN_STATEMENT in exceptions(november)  # November's own payment is due (its period ended)
    assert exceptions(november)[Kind.NOT_IN_STATEMENT][0] == 70_000  # the December one is not due yet

    world = shop.world
    december = cycle_draft(program=world.program, occurred_at=december_2, actor=world.maker)
    assert december.period_start.isoformat() == "2026-12-01"
    cycle_submit(cycle=december, actor=world.maker, occurred_at=december_2)
    cycle_approve(cycle=december, actor=world.checker, occurred_at=december_2)
    cycle_credit(cycle=december, occurred_at=december_2, recorded_at=december_2)
    card_sale(shop, [(shop.eggs, 1)], "dec-5", at=december_5)

    later = december_5 + timedelta(hours=1)
    reconcile(november, now=later)
    reconcile(december, now=later)
    assert _redeemed(november) == 70_000  # November's window ended where December's period began
    assert _redeemed(december) == 56_000  # both December payments, the one from carried-over money too
    paid = sum(Redemption.objects.filter(status=Redemption.Status.PAID).values_list("amount", flat=True))
    assert _redeemed(november) + _redeemed(december) == paid
    assert cycle_window(november).end == cycle_window(december).start


def test_a_cycle_closed_before_the_next_exists_keeps_its_window_and_later_payments_go_to_the_next(shop):

    november, world = cycle_of(shop), shop.world
    closed_on = NOW.replace(month=12, day=3, hour=10)
    cycle_close(cycle=november, actor=world.checker, occurred_at=closed_on, recorded_at=closed_on)
    november.refresh_from_db()
    assert cycle_window(november).end == closed_on
    card_sale(shop, [(shop.rice, 1)], "after-close", at=closed_on + timedelta(hours=2))  # carried-over money

    december = cycle_draft(program=world.program, occurred_at=closed_on, actor=world.maker)
    cycle_submit(cycle=december, actor=world.maker, occurred_at=closed_on)
    cycle_approve(cycle=december, actor=world.checker, occurred_at=closed_on)
    cycle_credit(cycle=december, occurred_at=closed_on, recorded_at=closed_on)
    assert cycle_window(november).end == closed_on  # kept: the closed reconciliation never changes
    assert cycle_window(december).start == closed_on  # December's begins there, not on 1 December
    reconcile(december, now=closed_on + timedelta(days=1))
    assert _redeemed(december) == 70_000


def test_the_page_says_which_payments_it_counts_and_what_is_left_and_filters_its_rows(client, shop, month):
    reconcile(month, now=AFTER)
    client.force_login(shop.world.maker)
    url = f"/bantuan/program/{shop.world.program.code}/siklus/{month.number}/rekonsiliasi/"
    page = client.get(url).content.decode()
    assert 'data-testid="reconciliation-window"' in page
    assert "1 November 2026" in page  # the window opens with the period
    assert "sampai rekonsiliasi ini" in page  # the latest cycle: open, counted up to this run
    # Credited Rp400.000 to coop A's households (and coop B's), redeemed Rp80.000: said in words.
    unspent = page.split('data-testid="unspent">', 1)[1].split("</p>", 1)[0]
    assert "belum dibelanjakan" in unspent
    assert "terbawa" in unspent
    filtered = client.get(url, {"q": "tidak ada koperasi begini"}).content.decode()
    assert shop.outlet.name not in filtered.split('data-testid="reconciliation"', 1)[1]
    assert "Tidak ada gerai yang cocok" in filtered
    differing = client.get(url, {"selisih": "1"}).content.decode()
    assert shop.outlet.name in differing.split('data-testid="reconciliation"', 1)[1]  # redeemed ≠ issued there


def test_a_cooperative_with_two_outlets_counts_its_credit_once_in_the_totals(shop):
    """Each outlet's row shows its cooperative's credit; the cycle's total counts it once (it was
    counted once per outlet row: Rp1.000.000 credited beside the Rp600.000 the cycle credited)."""
    second = OutletFactory(cooperative=shop.world.coop_a, name="Gerai Dua")
    for item in (shop.rice, shop.soap):
        stock_receive(outlet=second, item=item, quantity=5, reference="SJ-2", actor=shop.supervisor,
                      occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    card_sale(shop, [(shop.rice, 1)], "one")
    sale_complete(outlet=second, cashier=shop.cashier, lines=[LineIn(shop.soap.pk, 1)], key="two", occurred_at=NOW,
                  recorded_at=NOW, card_number=shop.world.card.number, pin=PIN)  # fmt: skip
    cycle = cycle_of(shop)
    reconcile(cycle, now=NOW)
    credited = sum(e.amount for e in Entitlement.objects.filter(cycle=cycle))
    rows = Reconciliation.objects.filter(cycle=cycle, cooperative=shop.world.coop_a)
    assert rows.count() == 2
    assert {r.credited for r in rows} == {credited_to(shop.world.coop_a, cycle)}
    found = reconciliation_of(cycle, scope=RegionScope(""))
    assert found["totals"]["credited"] == credited
    assert found["unspent"] == credited - 76_000


def credited_to(cooperative, cycle) -> int:
    return sum(e.amount for e in Entitlement.objects.filter(cycle=cycle, enrolment__cooperative=cooperative))
