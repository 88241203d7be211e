"""Reads of aid, inside the reader's region scope (404 outside it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from betang.aid import posting
from betang.aid.models import (
    BANK_STATEMENT_OWNER,
    Anomaly,
    Card,
    Cycle,
    Enrolment,
    Program,
    Reconciliation,
    ReconciliationException,
    Redemption,
    RuleChange,
    Settlement,
    Tally,
)
from betang.aid.printing import PrintedCard, StatementLine
from betang.core import clock
from betang.core.money import format_rupiah
from betang.ledger import selectors as ledger
from betang.ledger import statements
from betang.regions import codes as region_codes
from betang.regions import selectors as regions
from betang.regions.scope import RegionScope
from betang.registry import selectors as registry
from betang.registry.models import Person
from betang.web.worklist import Figure, Work


def redemption_get(*, scope: RegionScope, pk: Any) -> Redemption:
    return get_object_or_404(Redemption.objects.filter(scope.q("region_code")), pk=pk)


def program_list(*, scope: RegionScope) -> list[Program]:
    """Programs that reach into the reader's area: a provincial program shows to its regencies too."""
    return [p for p in Program.objects.order_by("name") if not p.region_code or scope.overlaps(p.region_code)]


def program_get(*, scope: RegionScope, code: str) -> Program:
    program = get_object_or_404(Program.objects.prefetch_related("pockets"), code=code)
    if program.region_code and not scope.overlaps(program.region_code):
        raise Http404
    return program


def program_covers(program: Program, scope: RegionScope) -> bool:
    """Whether the reader's area covers the whole program (who may run its cycles)."""
    return scope.contains(program.region_code) if program.region_code else scope.is_national


def budget_available(program: Program, *, excluding: Cycle | None = None) -> int:
    """The budget's balance less what approved cycles will still take from it."""
    balance = ledger.account_balance(program.budget_account_id)
    pending = Cycle.objects.filter(program=program, status__in=[Cycle.Status.APPROVED, Cycle.Status.CREDITING])
    if excluding is not None:
        pending = pending.exclude(pk=excluding.pk)
    return balance - (pending.aggregate(total=Sum("total"))["total"] or 0)


def program_figures(program: Program, *, scope: RegionScope) -> dict[str, int]:
    enrolments = Enrolment.objects.filter(scope.q("region_code"), program=program)
    counts = enrolments.aggregate(
        active=Count("id", filter=Q(status=Enrolment.Status.ACTIVE)),
        ended=Count("id", filter=Q(status=Enrolment.Status.ENDED)),
    )
    usable = Card.objects.filter(
        scope.q("region_code"),
        status__in=[Card.Status.ACTIVE, Card.Status.LOCKED],
        household__enrolments__program=program,
        household__enrolments__status=Enrolment.Status.ACTIVE,
    ).count()
    return {
        "enrolled": counts["active"],
        "ended": counts["ended"],
        "cards": usable,
        "without_card": counts["active"] - usable,
        "budget": ledger.account_balance(program.budget_account_id),
        "available": budget_available(program),
    }


def enrolment_list(
    program: Program, *, scope: RegionScope, q: str = "", status: str = "", basis: str = "", village: str = ""
) -> QuerySet[Enrolment]:
    """The program's enrolments in the reader's area, village by village; `q` a KK or NIK (16
    digits) or part of a member's name."""
    heads = Person.objects.filter(
        household=OuterRef("household_id"), relation=Person.Relation.HEAD, merged_into__isnull=True
    )
    qs = (
        Enrolment.objects.filter(scope.q("region_code"), program=program)
        .select_related("household", "cooperative")
        .annotate(head_name=Subquery(heads.values("name")[:1]))
        .order_by("region_code", "household__kk_number")
    )
    if status in Enrolment.Status.values:
        qs = qs.filter(status=status)
    if basis in Enrolment.Basis.values:
        qs = qs.filter(basis=basis)
    if village:
        qs = qs.filter(RegionScope(village).q("region_code"))
    text = q.strip()
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == 16 and not text.strip(" .-'0123456789"):
            member = Person.objects.filter(household=OuterRef("household_id"), nik=digits)
            qs = qs.filter(Q(household__kk_number=digits) | Exists(member))
        else:
            member = Person.objects.filter(
                household=OuterRef("household_id"), name__icontains=text, merged_into__isnull=True
            )
            qs = qs.filter(Exists(member))
    return qs


def enrolment_get(program: Program, *, scope: RegionScope, pk: Any) -> Enrolment:
    return get_object_or_404(Enrolment.objects.filter(scope.q("region_code"), program=program), pk=pk)


def rule_changes(program: Program, limit: int = 20) -> list[RuleChange]:
    return list(RuleChange.objects.filter(program=program).select_related("changed_by")[:limit])


def cycle_list(program: Program) -> QuerySet[Cycle]:
    return Cycle.objects.filter(program=program).order_by("-number")


def cycle_get(program: Program, number: int) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("program", "created_by", "submitted_by"), program=program, number=number
    )


def households_without_card(program: Program, *, scope: RegionScope, village: str = "") -> QuerySet:
    """Active enrolments in the area whose household has no usable card, in village order."""
    qs = (
        Enrolment.objects.filter(scope.q("region_code"), program=program, status=Enrolment.Status.ACTIVE)
        .exclude(household__cards__status__in=[Card.Status.ACTIVE, Card.Status.LOCKED])
        .select_related("household")
        .order_by("region_code", "household__kk_number")
    )
    if village:
        qs = qs.filter(RegionScope(village).q("region_code"))
    return qs


def card_list(*, scope: RegionScope, q: str = "", status: str = "") -> QuerySet[Card]:
    qs = Card.objects.filter(scope.q("region_code")).select_related("household").order_by("-issued_at", "number")
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits:
        qs = qs.filter(number=digits) if len(digits) == 16 else qs.filter(number__endswith=digits)
    if status:
        qs = qs.filter(status=status)
    return qs


def card_get(*, scope: RegionScope, pk: Any) -> Card:
    return get_object_or_404(Card.objects.filter(scope.q("region_code")).select_related("household"), pk=pk)


def card_wallets(card: Card) -> list[dict[str, Any]]:
    """The household's pockets in each program it is enrolled in, with their balances."""
    enrolments = Enrolment.objects.filter(household_id=card.household_id).select_related("program", "cooperative")
    rows = []
    for enrolment in enrolments:
        pockets = list(enrolment.program.pockets.order_by("code"))
        keys = {posting.wallet_key(enrolment.program.code, card.household_id, p.code): p for p in pockets}
        found = ledger.accounts_by_key(list(keys))
        for key, pocket in keys.items():
            rows.append(
                {
                    "program": enrolment.program,
                    "enrolment": enrolment,
                    "pocket": pocket,
                    "balance": (found.get(key) or (None, 0))[1] or 0,
                }
            )
    return rows


def card_program(card: Card) -> Program | None:
    """The program a card is printed for: its household's active enrolment (the first, if several)."""
    enrolment = (
        Enrolment.objects.filter(household_id=card.household_id, status=Enrolment.Status.ACTIVE)
        .select_related("program")
        .order_by("enrolled_at")
        .first()
    )
    return enrolment.program if enrolment else None


def card_redemptions(card: Card, limit: int = 20) -> QuerySet[Redemption]:
    return Redemption.objects.filter(household_id=card.household_id).order_by("-occurred_at")[:limit]


def printed_cards(cards: list[tuple[Card, str]], program: Program | None) -> list[PrintedCard]:
    """What a card sheet and PIN mailer show for each (card, PIN or "")."""
    heads = registry.household_heads([c.household_id for c, _pin in cards])
    villages = regions.village_names({c.region_code for c, _pin in cards})
    pockets = list(program.pockets.all()) if program else []
    # The mailer states the entitlement only when it is the same for every household.
    monthly = 0 if any(p.amount_per_member for p in pockets) else sum(p.amount_per_household for p in pockets)
    title = program.name if program else "Betang"
    return [
        PrintedCard(
            number=card.number,
            holder=heads.get(card.household_id, ""),
            village=f"{villages.get(card.region_code, '')} ({card.region_code})",
            program=title,
            pin=pin,
            monthly=monthly,
        )
        for card, pin in cards
    ]


def settlement_list(program: Program, *, scope: RegionScope, status: str = "") -> QuerySet[Settlement]:
    """The program's statements in the reader's area, newest first, with their cooperative."""
    rows = Settlement.objects.filter(scope.q("region_code"), program=program).select_related("cooperative")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-issued_at", "number")


def settlement_get(*, scope: RegionScope, pk: Any) -> Settlement:
    return get_object_or_404(
        Settlement.objects.filter(scope.q("region_code")).select_related("program", "cooperative"), pk=pk
    )


def unsettled_summary(program: Program, *, scope: RegionScope) -> dict[str, int]:
    """Card payments not yet in a statement, in the reader's area: count and rupiah."""
    totals = _unsettled(scope.q("region_code"), program=program)
    return {"payments": totals["n"], "amount": totals["amount"]}


def _unsettled(*where: Q, **filters: Any) -> dict[str, int]:
    """Count and rupiah of the paid card payments not yet in a statement."""
    paid = Redemption.objects.filter(*where, status=Redemption.Status.PAID, settlement__isnull=True, **filters)
    totals = paid.aggregate(n=Count("id"), amount=Sum("amount"))
    return {"n": totals["n"] or 0, "amount": totals["amount"] or 0}


def statement_lines(settlement: Settlement) -> list[StatementLine]:
    """The payments a statement claims, in time order, as its print lists them."""
    rows = (
        Redemption.objects.filter(settlement=settlement)
        .select_related("card", "outlet")
        .order_by("occurred_at", "receipt_number")
    )
    return [
        StatementLine(r.receipt_number, r.occurred_at, r.outlet.name if r.outlet else "", r.card.number[-4:], r.amount)
        for r in rows
    ]


def bank_statement_get(program: Program, pk: Any) -> statements.BankStatement:
    """One bank statement of the program's account; 404 for another owner's (the caller checks the
    user may read the program's statements)."""
    found = statements.bank_statement_find(owner_kind=BANK_STATEMENT_OWNER, owner_id=program.pk, pk=pk)
    if found is None:
        raise Http404
    return found


def cooperative_settlement_position(cooperative_id: Any) -> dict[str, Any]:
    """What the programs owe a cooperative for its card payments and what they have paid: payments
    not yet in a statement, statements issued and not yet paid, statements paid (with the last)."""
    unsettled = _unsettled(cooperative_id=cooperative_id)
    statements = Settlement.objects.filter(cooperative_id=cooperative_id)
    issued = statements.filter(status=Settlement.Status.ISSUED).aggregate(n=Count("id"), amount=Sum("amount"))
    paid = statements.exclude(status=Settlement.Status.ISSUED).aggregate(n=Count("id"), amount=Sum("amount"))
    return {
        "unsettled_payments": unsettled["n"],
        "unsettled_amount": unsettled["amount"],
        "issued_count": issued["n"] or 0,
        "issued_amount": issued["amount"] or 0,
        "paid_count": paid["n"] or 0,
        "paid_amount": paid["amount"] or 0,
        "last_paid": statements.exclude(status=Settlement.Status.ISSUED).order_by("-paid_date").first(),
    }


OVER_CREDIT = 3 / 2  # a cooperative redeeming above 150% of its enrolled households' credit is flagged


@dataclass(frozen=True)
class DistributionRow:
    """A node's distribution figures, from its tally row."""

    level: str
    code: str
    name: str
    enrolled: int = 0
    cards: int = 0
    credited: int = 0
    redeemed_count: int = 0
    redeemed_amount: int = 0
    last_payment_at: datetime | None = None

    @property
    def realisation(self) -> float | None:
        """Redeemed as a percentage of credited (for display; the rupiah stay integers)."""
        return 100 * self.redeemed_amount / self.credited if self.credited else None

    @property
    def over_credit(self) -> bool:
        """A cooperative redeeming far above what its enrolled households were credited."""
        return self.level == Tally.Level.COOPERATIVE and self.redeemed_amount > OVER_CREDIT * self.credited


@dataclass(frozen=True)
class DistributionView:
    node: DistributionRow
    path: list[tuple[str, str, bool]]  # (code, name, within the reader's scope) from the top down
    children: list[DistributionRow]
    refreshed_at: datetime | None


_TALLY_FIGURES = ("enrolled", "cards", "credited", "redeemed_count", "redeemed_amount", "last_payment_at")


def distribution_view(program: Program, *, scope: RegionScope, code: str = "") -> DistributionView:
    """One node of the program's distribution (the reader's own area when no code is given) and the
    nodes below it, each a row of the tallies (aid.services.distribution); 404 outside the scope."""
    code = code.strip()
    if not code:
        code = scope.prefix or program.region_code
    level = region_codes.level_of(code) if code else "root"
    if level is None or not (scope.contains(code) if code else scope.is_national):
        raise Http404
    tallies = Tally.objects.filter(program=program)
    rows = list(tallies.filter(parent=code).values_list("level", "code", *_TALLY_FIGURES))
    if code:
        own = tallies.filter(level=level, code=code).values_list(*_TALLY_FIGURES).first()
        figures = own or ()
    else:  # the whole country: its provinces summed
        figures = (*(sum(r[i] for r in rows) for i in range(2, 7)), max((r[7] for r in rows if r[7]), default=None))
    names = _node_names([(r[0], r[1]) for r in rows] + [(region_codes.level_of(c), c) for c in _path_codes(code)])
    children = sorted((DistributionRow(r[0], r[1], names.get(r[1], r[1]), *r[2:]) for r in rows), key=lambda r: r.name)
    path = [(c, names.get(c, c), scope.contains(c)) for c in _path_codes(code)]
    node = DistributionRow(level, code, path[-1][1] if path else "", *figures)
    refreshed = tallies.filter(level=Tally.Level.PROVINCE).order_by("refreshed_at")
    return DistributionView(node, path, children, refreshed.values_list("refreshed_at", flat=True).first())


def _path_codes(code: str) -> list[str]:
    """`62.03.01` → [`62`, `62.03`, `62.03.01`]."""
    parts = code.split(".") if code else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _node_names(nodes: list[tuple[str, str]]) -> dict[str, str]:
    """Names of region codes and cooperative ids, one read per level."""
    by_level: dict[str, set[str]] = {}
    for level, code in nodes:
        by_level.setdefault(level, set()).add(code)
    names: dict[str, str] = {}
    for level, codes_ in by_level.items():
        if level == Tally.Level.COOPERATIVE:
            names |= {str(k): v for k, v in registry.cooperative_names(codes_).items()}
        elif level in regions.MODELS:
            names |= regions.region_names(level, codes_)
    return names


@dataclass(frozen=True)
class Window:
    """The card payments a cycle's reconciliation answers for: those made from `start` until `end`
    (excluded). Windows follow one another without gap or overlap, so every payment of a program
    belongs to exactly one cycle's reconciliation, including one that spends a balance carried over
    from an ended cycle: the first cycle's window opens with its period; each next one where the one
    before ends, which is where the next cycle's period begins, or the earlier cycle's close if no
    next cycle existed then. The latest cycle's window is open (`end` None) until it closes; payments
    after that close belong to the next cycle once there is one."""

    start: datetime
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        return moment >= self.start and (self.end is None or moment < self.end)


def next_cycle(cycle: Cycle) -> Cycle | None:
    return Cycle.objects.filter(program_id=cycle.program_id, number__gt=cycle.number).order_by("number").first()


def _window_end(cycle: Cycle) -> datetime | None:
    if cycle.window_end_at is not None:
        return cycle.window_end_at
    following = next_cycle(cycle)
    return clock.day_start(following.period_start) if following is not None else None


def cycle_window(cycle: Cycle) -> Window:
    previous = Cycle.objects.filter(program_id=cycle.program_id, number__lt=cycle.number).order_by("-number").first()
    start = _window_end(previous) if previous is not None else None
    return Window(start or clock.day_start(cycle.period_start), _window_end(cycle))


def payment_receipt_number(payment_id: Any) -> str:
    """The receipt number of a card payment, as its card's statement and its settlement show it."""
    return Redemption.objects.filter(pk=payment_id).values_list("receipt_number", flat=True).first() or ""


def payment_id_by_receipt(receipt_number: str) -> Any:
    """The id of the card payment with this receipt number, or None."""
    return Redemption.objects.filter(receipt_number=receipt_number).values_list("id", flat=True).first()


def reconciliation_of(cycle: Cycle, *, scope: RegionScope, q: str = "", differing: bool = False) -> dict[str, Any]:
    """The cycle's four figures per outlet and its exceptions, inside the reader's area: totals over
    the area, the rows narrowed by a cooperative's name or village code (`q`) and, with `differing`,
    to those whose four figures do not agree; the window of payments it answers for, and what of the
    cycle's credit was not spent in it."""
    every = Reconciliation.objects.filter(scope.q("region_code"), cycle=cycle)
    rows = every.select_related("cooperative", "outlet").order_by("region_code", "cooperative__name", "outlet__name")
    if q := " ".join(q.split()):
        rows = rows.filter(Q(cooperative__name__icontains=q) | Q(region_code__startswith=q))
    if differing:
        rows = rows.filter(Q(redeemed__gt=F("settled")) | ~Q(redeemed=F("issued")))
    exceptions = (
        ReconciliationException.objects.filter(scope.q("region_code"), cycle=cycle)
        .select_related("cooperative", "outlet", "resolved_by")
        .order_by("status", "-amount")
    )
    totals = {
        k: v or 0
        for k, v in every.aggregate(redeemed=Sum("redeemed"), issued=Sum("issued"), settled=Sum("settled")).items()
    }
    # A cooperative's credit stands on each of its outlets' rows: counted once per cooperative.
    totals["credited"] = sum(
        every.values("cooperative_id").annotate(credited=Max("credited")).values_list("credited", flat=True)
    )
    return {
        "rows": rows,
        "exceptions": exceptions,
        "totals": totals,
        "unspent": totals["credited"] - totals["redeemed"],  # negative: balances carried over were spent
        "overspent": max(0, totals["redeemed"] - totals["credited"]),
        "window": cycle_window(cycle),
        "open": exceptions.filter(status=ReconciliationException.Status.OPEN).count(),
        "computed_at": every.values_list("computed_at", flat=True).first(),
    }


def cooperative_exceptions(cooperative_id: Any) -> QuerySet:
    """A cooperative's open reconciliation exceptions that it owns (the outlet report lists them)."""
    return (
        ReconciliationException.objects.filter(
            cooperative_id=cooperative_id,
            owner=ReconciliationException.Owner.COOPERATIVE,
            status=ReconciliationException.Status.OPEN,
        )
        .select_related("cycle__program", "outlet")
        .order_by("found_at")
    )


def exception_get(pk: Any):
    return get_object_or_404(ReconciliationException.objects.select_related("cycle__program"), pk=pk)


ANOMALIES_COUNTED = 1000


def anomalies_open(program: Program, *, code: str, limit: int = 20) -> tuple[list[Anomaly], int]:
    """The newest open anomalies of the program in an area (a region code prefix; "" for all), and how
    many are open there (at most ANOMALIES_COUNTED: the page then says "1000+")."""
    found = Anomaly.objects.filter(RegionScope(code).q(), program=program, status=Anomaly.Status.OPEN)
    rows = list(found.select_related("card", "cooperative", "home_cooperative").order_by("-last_at")[:limit])
    # Counted up to ANOMALIES_COUNTED: the page asks every few seconds, and unreviewed flags pile up.
    return rows, (len(rows) if len(rows) < limit else found[:ANOMALIES_COUNTED].count())


def anomaly_get(pk: Any, *, scope: RegionScope) -> Anomaly:
    """An anomaly in the reader's scope (404 otherwise)."""
    anomaly = Anomaly.objects.select_related("program").filter(pk=pk).first()
    if anomaly is None or not scope.contains(anomaly.region_code):
        raise Http404
    return anomaly


# --- the home page's worklist and figures (registered in apps.py) ---------------------------------------


def work_for(user: Any) -> list[Any]:
    """Cycles to approve (the checker, never their own), to credit, to reconcile and close; statements
    to pay; open anomalies and reconciliation differences the program office owns."""
    approve, manage = user.has_capability("aid.approve"), user.has_capability("aid.manage")
    if not (approve or manage):
        return []
    scope, work = user.region_scope, []
    for program in program_list(scope=scope):
        covers = program_covers(program, scope)
        cycles = list(
            program.cycles.filter(status__in=[Cycle.Status.SUBMITTED, Cycle.Status.APPROVED, Cycle.Status.CREDITED])
        )
        for cycle in cycles:
            url = reverse("aid:cycle", args=[program.code, cycle.number])
            if approve and covers and cycle.status == Cycle.Status.SUBMITTED and cycle.submitted_by_id != user.pk:
                text = _("Cycle %(n)s of %(program)s waits for your approval") % {
                    "n": cycle.number,
                    "program": program.name,
                }
                work.append(Work(text, 1, url, urgent=True))
            if manage and covers and cycle.status == Cycle.Status.APPROVED:
                text = _("Cycle %(n)s of %(program)s is approved: credit it") % {
                    "n": cycle.number,
                    "program": program.name,
                }
                work.append(Work(text, 1, url))
            if manage and covers and cycle.status == Cycle.Status.CREDITED and cycle_window(cycle).end is not None:
                text = _("Cycle %(n)s of %(program)s has ended: reconcile and close it") % {
                    "n": cycle.number,
                    "program": program.name,
                }
                work.append(Work(text, 1, reverse("aid:reconciliation", args=[program.code, cycle.number])))
        if not manage:
            continue
        to_pay = Settlement.objects.filter(
            scope.q("region_code"), program=program, status=Settlement.Status.ISSUED
        ).count()
        work.append(
            Work(
                ngettext("%(n)s statement of %(program)s to pay", "%(n)s statements of %(program)s to pay", to_pay)
                % {"n": to_pay, "program": program.name},
                to_pay,
                reverse("aid:settlements", args=[program.code]) + "?status=ISSUED",
            )
        )
        anomalies = Anomaly.objects.filter(scope.q("region_code"), program=program, status=Anomaly.Status.OPEN)[
            :1000
        ].count()
        work.append(
            Work(
                ngettext("%(n)s card payment anomaly to review", "%(n)s card payment anomalies to review", anomalies)
                % {"n": anomalies},
                anomalies,
                reverse("aid:distribution", args=[program.code]),
            )
        )
        open_differences = (
            ReconciliationException.objects.filter(
                scope.q("region_code"),
                cycle__program=program,
                owner=ReconciliationException.Owner.PROGRAM,
                status=ReconciliationException.Status.OPEN,
            )
            .values_list("cycle__number")
            .annotate(n=Count("id"))
            .order_by("cycle__number")
        )
        for number, n in open_differences:
            work.append(
                Work(
                    ngettext(
                        "%(n)s reconciliation difference of cycle %(cycle)s to settle",
                        "%(n)s reconciliation differences of cycle %(cycle)s to settle",
                        n,
                    )
                    % {"n": n, "cycle": number},
                    n,
                    reverse("aid:reconciliation", args=[program.code, number]),
                )
            )
    return work


def figures_for(user: Any) -> list[Any]:
    """Each program's households enrolled, credited and redeemed in the user's area, from the
    distribution's kept tallies (no counting on the home page)."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    if not user.has_capability("aid.view"):
        return []
    scope, figures = user.region_scope, []
    for program in program_list(scope=scope):
        code = scope.prefix or program.region_code
        tallies = Tally.objects.filter(program=program)
        own = (
            tallies.filter(code=code).values_list("enrolled", "credited", "redeemed_amount").first()
            if code
            else tallies.filter(level=Tally.Level.PROVINCE)
            .aggregate(e=Sum("enrolled"), c=Sum("credited"), r=Sum("redeemed_amount"))
            .values()
        )
        if not own or None in tuple(own):
            continue
        enrolled, credited, redeemed = own
        url = reverse("aid:distribution", args=[program.code])
        figures += [
            Figure(_("%(program)s: households enrolled") % {"program": program.name}, intcomma(enrolled), url),
            Figure(_("%(program)s: credited") % {"program": program.name}, format_rupiah(credited), url),
            Figure(_("%(program)s: redeemed") % {"program": program.name}, format_rupiah(redeemed), url),
        ]
    return figures


def area_figures(user: Any, code: str) -> list[Any]:
    """A region's aid on its page: per program, households enrolled, credited and redeemed there, from
    the distribution's kept tallies."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils.http import urlencode

    if not user.has_capability("aid.view"):
        return []
    figures = []
    for program in program_list(scope=user.region_scope):
        own = (
            Tally.objects.filter(program=program, code=code)
            .values_list("enrolled", "credited", "redeemed_amount")
            .first()
        )
        if own is None:
            continue
        enrolled, credited, redeemed = own
        url = reverse("aid:distribution", args=[program.code]) + "?" + urlencode({"wilayah": code})
        figures += [
            Figure(_("%(program)s: households enrolled") % {"program": program.name}, intcomma(enrolled), url),
            Figure(_("%(program)s: credited") % {"program": program.name}, format_rupiah(credited), url),
            Figure(_("%(program)s: redeemed") % {"program": program.name}, format_rupiah(redeemed), url),
        ]
    return figures
