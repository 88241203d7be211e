"""The card payment service: what the outlet POS, the API and the outposts call.

Given a card, its PIN, the cooperative (and outlet), a basket and an idempotency key, it checks the
card, the PIN, each line's goods category against the pockets and the pockets' balances, and posts
wallet → cooperative payable in one ledger entry; or refuses with a stable code and posts nothing.
A wrong PIN is counted (three lock the card) even though the payment is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import pins, posting
from betang.aid.contracts import BasketLine, GoodsCategory
from betang.aid.models import Card, Enrolment, Pocket, Program, Redemption, TallyState
from betang.aid.services.cards import MAX_PIN_FAILURES
from betang.core.audit import audit_append
from betang.core.bulk import insert_one
from betang.core.errors import DomainError
from betang.core.idempotency import is_replay, text_hash
from betang.core.ids import as_uuid, new_id, uuid_param
from betang.core.money import format_rupiah
from betang.ledger import selectors as ledger
from betang.ledger.services import InsufficientFunds, LedgerError, account_open, entry_reverse, journal_post
from betang.registry.models import Cooperative


class PaymentError(DomainError):
    code = "aid.payment"
    http_status = 422


class CardUnknown(PaymentError):
    code = "aid.card_unknown"
    http_status = 404
    message = gettext_lazy("Unknown card number.")


class CardBlocked(PaymentError):
    code = "aid.card_blocked"
    message = gettext_lazy("This card is blocked.")


class CardReplaced(PaymentError):
    code = "aid.card_replaced"
    message = gettext_lazy("This card was replaced by a new one.")


class PinMissing(PaymentError):
    code = "aid.pin_missing"
    http_status = 400
    message = gettext_lazy("Type the card's PIN.")


class CardLocked(PaymentError):
    code = "aid.card_locked"
    message = gettext_lazy("This card is locked after three wrong PINs; an officer can unlock it.")


class WrongPin(PaymentError):
    code = "aid.wrong_pin"
    http_status = 401
    message = gettext_lazy("Wrong PIN.")


class NotEnrolled(PaymentError):
    code = "aid.not_enrolled"
    message = gettext_lazy("This household is not enrolled in any program.")


class ItemNotEligible(PaymentError):
    code = "aid.item_not_eligible"
    message = gettext_lazy("An item in the basket cannot be paid with the card.")


class InsufficientBalance(PaymentError):
    code = "aid.insufficient_balance"
    message = gettext_lazy("The card's balance is not enough for this basket.")


class NothingEligible(PaymentError):
    code = "aid.nothing_eligible"
    message = gettext_lazy("Nothing in this basket can be paid with the card.")


class AmountTooHigh(PaymentError):
    code = "aid.amount_too_high"
    message = gettext_lazy("The card amount is whole rupiah above zero.")


class BadBasket(PaymentError):
    code = "aid.bad_basket"
    http_status = 400
    message = gettext_lazy("The basket is empty or has an invalid amount.")


class CooperativeUnknown(PaymentError):
    code = "aid.cooperative_unknown"
    http_status = 404
    message = gettext_lazy("Unknown cooperative.")


class PaymentSettled(PaymentError):
    code = "aid.payment_settled"
    http_status = 409
    message = gettext_lazy("This payment is already in a settlement statement; it can no longer be voided.")


class KeyReused(PaymentError):
    code = "aid.idempotency_conflict"
    http_status = 409
    message = gettext_lazy("This idempotency key was already used for a different payment.")


@dataclass(frozen=True)
class PocketBalance:
    code: str
    name: str
    balance: int
    categories: list[str]


@dataclass(frozen=True)
class PaymentResult:
    redemption_id: Any
    receipt_number: str
    amount: int
    pockets: dict[str, int]  # pocket code → amount taken
    balances: list[PocketBalance] = field(default_factory=list)  # after the payment
    replayed: bool = False
    lines: list[int] = field(default_factory=list)  # what the card paid of each basket line (not on a replay)


@dataclass(frozen=True)
class TillShare:
    """A till's question (card_pay's and card_quote's `share`): of a whole basket, let the card pay
    the lines its program admits, the rest being cash. `amount` None: as much of them as the
    balances pay; else exactly that much of them, in the lines' order (refused if the balances are
    short). Without a share, card_pay pays every line in full or refuses."""

    amount: int | None = None


_compact = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps's output, without an encoder per call


def _request_hash(
    card_number: str, cooperative_id: Any, outlet_id: Any, basket: Sequence[BasketLine], share: TillShare | None
) -> str:
    body = {
        "card": card_number,
        "cooperative": str(cooperative_id),
        "outlet": str(outlet_id) if outlet_id else None,
        "basket": [[b.category, b.amount, b.description] for b in basket],
    }
    if share is not None:  # absent otherwise: the hashes of payments made before shares existed hold
        body["share"] = share.amount if share.amount is not None else "affordable"
    return text_hash(_compact(body))


@dataclass
class _CardState:
    """What a payment reads of its card, under the card's lock."""

    id: Any
    household_id: Any
    status: str
    pin_hash: str
    failed_pin_attempts: int


_CARD_COLUMNS = "c.id, c.household_id, c.status, c.pin_hash, c.failed_pin_attempts"
_LOCK = f"SELECT {_CARD_COLUMNS} FROM {{card}} AS c WHERE c.number = %s{{lock}}"  # noqa: S608 - placeholders


def _lock_card(card_number: str) -> _CardState:
    """The card row, locked: payments, PIN checks and blocks of one card happen one after another."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(_LOCK), [card_number])
        row = cursor.fetchone()
    if row is None:
        raise CardUnknown()
    return _CardState(as_uuid(row[0]), as_uuid(row[1]), *row[2:])


def _refusal(card: _CardState, pin: str) -> PaymentError | None:
    """Why the card cannot pay now (status or PIN), or None. Writes nothing: see _count_pin. No PIN
    typed at all (an Enter pressed twice, a scanner's Enter) is no guess: refused, never counted."""
    if not pin:
        return PinMissing()
    if (refused := _state_refusal(card)) is not None:
        return refused
    if not pins.pin_matches(pin, card.pin_hash):
        return WrongPin()
    return None


def _state_refusal(card: _CardState) -> PaymentError | None:
    if card.status == Card.Status.BLOCKED:
        return CardBlocked()
    if card.status == Card.Status.REPLACED:
        return CardReplaced()
    if card.status == Card.Status.LOCKED:
        return CardLocked()
    return None


def _count_pin(card: _CardState, error: PaymentError | None, pin: str) -> PaymentError | None:
    """Count a wrong PIN (the third locks the card), or after a right one clear the count and make
    an outdated PIN verifier anew (aid.pins); commits with the caller's transaction. Returns the
    refusal to raise."""
    if isinstance(error, WrongPin):
        card.failed_pin_attempts += 1
        if card.failed_pin_attempts >= MAX_PIN_FAILURES:
            card.status = Card.Status.LOCKED
        Card.objects.filter(pk=card.id).update(failed_pin_attempts=card.failed_pin_attempts, status=card.status)
        left = MAX_PIN_FAILURES - card.failed_pin_attempts
        return CardLocked() if left <= 0 else WrongPin(details={"attempts_left": left})
    if error is None:
        fresh: dict[str, Any] = {"failed_pin_attempts": 0} if card.failed_pin_attempts else {}
        if pins.pin_outdated(card.pin_hash):
            fresh["pin_hash"] = pins.pin_hash(pin)
        if fresh:
            card.failed_pin_attempts = 0
            Card.objects.filter(pk=card.id).update(**fresh)
    return error


_POCKETS: dict[Any, list[Pocket]] = {}


def _pockets(program_id: Any) -> list[Pocket]:
    """A program's pockets: fixed once the program is made, so each process keeps them."""
    if program_id not in _POCKETS:
        _POCKETS[program_id] = list(Pocket.objects.filter(program_id=program_id).select_related("program"))
    return _POCKETS[program_id]


def _wallets(household_id: Any, program_id: Any) -> list[tuple[Pocket, int | None, int]]:
    """The household's pockets in the program with their wallet account and balance (0 if never
    credited). (A payment reads them in its first statement instead: _payment_start.)"""
    pockets = _pockets(program_id)
    keys = {p.code: posting.wallet_key(p.program.code, household_id, p.code) for p in pockets}
    found = ledger.accounts_by_key(list(keys.values()))
    out = []
    for p in pockets:
        account = found.get(keys[p.code])
        out.append((p, account[0] if account else None, (account[1] or 0) if account else 0))
    return out


def _take(
    basket: Sequence[BasketLine], wallets: list[tuple[Pocket, int | None, int]]
) -> tuple[dict[int, int], list[int]]:
    """Take each line from the most restrictive pocket that admits it, then the wider ones, as far as
    the balances go: what is taken from each wallet account, and what of each line is left unpaid.
    A line no pocket admits is refused."""
    order = sorted(wallets, key=lambda w: (not w[0].categories, len(w[0].categories)))  # food pocket first
    left = {w[0].code: w[2] for w in wallets}
    excluded = set(wallets[0][0].program.excluded_categories) if wallets else set()
    taken: dict[int, int] = {}
    missing = []
    for line in basket:
        eligible = [
            w
            for w in order
            if line.category not in excluded and (not w[0].categories or line.category in w[0].categories)
        ]
        if not eligible:
            raise ItemNotEligible(
                _("%(item)s (%(category)s) cannot be paid with the card.")
                % {"item": line.description or line.category, "category": _category_label(line.category)},
                details={"category": line.category, "description": line.description},
            )
        need = line.amount
        for pocket, account, _balance in eligible:
            use = min(need, left[pocket.code])
            if use > 0 and account is not None:
                taken[account] = taken.get(account, 0) + use
                left[pocket.code] -= use
                need -= use
        missing.append(need)
    return taken, missing


def _category_label(category: str) -> str:
    return str(GoodsCategory(category).label) if category in GoodsCategory.values else category


def _allocate(basket: Sequence[BasketLine], wallets: list[tuple[Pocket, int | None, int]]) -> dict[int, int]:
    """Take each line whole from the pockets (see _take), or refuse the basket if a line is short."""
    taken, missing = _take(basket, wallets)
    if any(missing):
        raise InsufficientBalance(
            details={
                "short": [
                    {"category": line.category, "missing": need}
                    for line, need in zip(basket, missing, strict=True)
                    if need
                ],
                "balances": {w[0].code: w[2] for w in wallets},
                "pockets": {str(w[0].name): w[2] for w in wallets},
            }
        )
    return taken


def _card_opened(card_number: str, pin: str, *, counted: bool = True) -> tuple[_CardState, list[Enrolment]]:
    """The card and its household's active enrolments, once the PIN is right; refused otherwise.
    Counted (as at the till: three wrong PINs lock the card), or with `counted=False` the PIN checked
    before the card's state and nothing written."""
    with transaction.atomic():
        card = _lock_card(card_number)
        if counted:
            error = _count_pin(card, _refusal(card, pin), pin)
        else:
            error = WrongPin() if not pins.pin_matches(pin, card.pin_hash) else _state_refusal(card)
        if error is None:
            enrolments = list(
                Enrolment.objects.filter(household_id=card.household_id, status=Enrolment.Status.ACTIVE).select_related(
                    "program"
                )
            )
    if error is not None:
        raise error
    return card, enrolments


def _admitted(basket: Sequence[BasketLine], pockets: list[Pocket]) -> list[int]:
    """Each line's amount where a pocket of the program admits its goods category, else 0."""
    excluded = set(pockets[0].program.excluded_categories) if pockets else set()
    return [
        line.amount
        if line.category not in excluded and any(not p.categories or line.category in p.categories for p in pockets)
        else 0
        for line in basket
    ]


def _share(basket: Sequence[BasketLine], wallets: list[tuple[Pocket, int | None, int]], share: TillShare) -> list[int]:
    """The card's part of each line as a till asks it (TillShare), from the wallets' balances as read
    (the ledger checks them again when it posts). Refuses a basket the card can pay nothing of, or
    an amount beyond its admitted lines; a card whose balances pay nothing is left its admitted
    lines whole, so the payment says the balance is short only after the PIN."""
    admitted = _admitted(basket, [w[0] for w in wallets])
    if not any(admitted):
        raise NothingEligible()
    if share.amount is None:
        asked = [i for i, amount in enumerate(admitted) if amount]
        _taken, missing = _take([_part(basket[i], admitted[i]) for i in asked], wallets)
        paid = [admitted[i] - need for i, need in zip(asked, missing, strict=True)]
        if not any(paid):
            return admitted
        parts = [0] * len(basket)
        for i, amount in zip(asked, paid, strict=True):
            parts[i] = amount
        return parts
    if type(share.amount) is not int or share.amount <= 0:
        raise AmountTooHigh()
    if share.amount > sum(admitted):
        raise AmountTooHigh(
            _("The card can pay at most %(amount)s of this basket.") % {"amount": format_rupiah(sum(admitted))},
            details={"eligible": sum(admitted)},
        )
    left, parts = share.amount, []
    for amount in admitted:
        parts.append(min(amount, left))
        left -= parts[-1]
    return parts


def _part(line: BasketLine, amount: int) -> BasketLine:
    return line if line.amount == amount else BasketLine(line.category, amount, line.description)


@dataclass(frozen=True)
class CardQuote:
    """What the card would pay of a basket, for the cashier to show before the sale: per line, per
    pocket (by its name), and each pocket's balance now."""

    lines: list[int]
    pockets: dict[str, int]
    balances: dict[str, int]


def card_quote(
    *,
    card_number: str,
    pin: str,
    cooperative_id: Any,
    basket: Sequence[BasketLine],
    share: TillShare | None = None,
) -> CardQuote:
    """The card's part of a basket before it is paid, once the PIN is right (a wrong one counts as
    at the till), split as card_pay would split it (`share`: see TillShare). Nothing is paid or
    held: the payment checks everything again."""
    card, enrolments = _card_opened(card_number, pin)
    if not enrolments:
        raise NotEnrolled()
    # The card and its enrolments as the PIN check read them, not a second time.
    ordered = sorted(enrolments, key=lambda e: (e.enrolled_at, e.pk))
    program_id = _program_at([(e.program_id, e.cooperative_id) for e in ordered], as_uuid(cooperative_id))
    wallets = _wallets(card.household_id, program_id)
    parts = _share(basket, wallets, share) if share is not None else [line.amount for line in basket]
    asked = [i for i, amount in enumerate(parts) if amount]
    taken, missing = _take([_part(basket[i], parts[i]) for i in asked], wallets)
    lines = [0] * len(basket)
    for i, need in zip(asked, missing, strict=True):
        lines[i] = parts[i] - need
    name_of = {account: str(pocket.name) for pocket, account, _balance in wallets if account is not None}
    return CardQuote(
        lines=lines,
        pockets={name_of[account]: amount for account, amount in taken.items()},
        balances={str(pocket.name): balance for pocket, _account, balance in wallets},
    )


def card_balance(*, card_number: str, pin: str) -> list[PocketBalance]:
    """Every pocket's balance, for the beneficiary (PIN required, and counted when wrong)."""
    card, enrolments = _card_opened(card_number, pin)
    return [
        PocketBalance(p.code, p.name, balance, list(p.categories))
        for e in enrolments
        for p, _a, balance in _wallets(card.household_id, e.program_id)
    ]


@dataclass(frozen=True)
class Movement:
    """One line of a card's history: money into (+) or out of (−) the household's pockets."""

    occurred_at: datetime
    what: str  # credit, payment, void, expired, returned, other
    amount: int
    pockets: dict[str, int]  # pocket name → amount
    program: str
    cooperative: str = ""
    receipt: str = ""


@dataclass(frozen=True)
class CardStatement:
    last4: str
    balances: list[PocketBalance]
    movements: list[Movement]


_WHAT = {
    "aid.cycle.credit": "credit",
    "aid.card.payment": "payment",
    "aid.card.payment.reversal": "void",
    "aid.cycle.expire": "expired",
    "aid.enrolment.returned": "returned",
}


def card_statement(*, card_number: str, pin: str, limit: int = 20, counted: bool = True) -> CardStatement:
    """What the beneficiary sees with the card and PIN: each pocket's balance and the latest `limit`
    movements of the household's wallets (credits, payments with the cooperative and receipt, voids,
    expiries). The PIN is checked and counted as for a payment (three wrong ones lock the card); with
    `counted=False` (the public balance page, which limits attempts itself) the PIN is checked first
    and nothing is written: a stranger's guesses neither lock the card nor learn its state."""
    card, enrolments = _card_opened(card_number, pin, counted=counted)
    balances, pocket_of = [], {}
    for e in enrolments:
        for p, account, balance in _wallets(card.household_id, e.program_id):
            balances.append(PocketBalance(p.code, p.name, balance, list(p.categories)))
            if account is not None:
                pocket_of[account] = p
    lines = ledger.statement_lines(list(pocket_of), limit=limit)
    ids = [line.entry_id for line in lines]
    redemptions = {}
    for r in Redemption.objects.filter(
        Q(entry_id__in=ids) | Q(void_entry_id__in=ids), household_id=card.household_id
    ).select_related("cooperative"):
        redemptions[r.entry_id] = r
        if r.void_entry_id:
            redemptions[r.void_entry_id] = r
    movements = []
    for line in lines:
        r = redemptions.get(line.entry_id)
        pockets = {pocket_of[a].name: amount for a, amount in line.amounts.items()}
        program = pocket_of[next(iter(line.amounts))].program.name if line.amounts else ""
        movements.append(
            Movement(
                occurred_at=line.occurred_at,
                what=_WHAT.get(line.kind, "other"),
                amount=sum(line.amounts.values()),
                pockets=pockets,
                program=program,
                cooperative=r.cooperative.name if r else "",
                receipt=r.receipt_number if r else "",
            )
        )
    return CardStatement(card_number[-4:], balances, movements)


def card_pay(
    *,
    card_number: str,
    pin: str,
    cooperative_id: Any,
    basket: Sequence[BasketLine],
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
    outlet_id: Any = None,
    operator: Any = None,
    origin: str = Redemption.Origin.ONLINE,
    share: TillShare | None = None,
) -> PaymentResult:
    """Pay a basket with the card (every line in full; or with a till's `share`, see TillShare), or
    refuse with a stable code and post nothing.

    The same key sent again, even at the same moment, is answered with the first payment's result.
    The replay is read with the locked card, in that statement's snapshot; on PostgreSQL a payment
    of the same key may have committed while this one waited for the lock, after that snapshot. The
    ledger entry's key catches it if this one gets as far as posting, and a refusal on the way
    (a balance it took, or a wrong PIN) asks for the replay once more before it answers."""
    if not basket or any(type(line.amount) is not int or line.amount <= 0 for line in basket):
        raise BadBasket()
    try:
        cooperative_id = as_uuid(cooperative_id)
    except ValueError:
        raise CooperativeUnknown(details={"cooperative": str(cooperative_id)}) from None
    request_hash = _request_hash(card_number, cooperative_id, outlet_id, basket, share)
    try:
        with transaction.atomic():
            card, region_code, earlier, enrolments, holdings = _payment_start(card_number, key, cooperative_id)
            if earlier is not None:
                return _replayed(key, request_hash, earlier)
            asked = _Asked(cooperative_id, outlet_id, basket, key, request_hash, occurred_at, recorded_at, operator)
            # A till's share is split first: a basket the card can pay nothing of is refused before the PIN.
            parts = _parts(asked, share, enrolments, holdings)
            error = _refusal(card, pin)
            if error is None:
                _count_pin(card, None, pin)
                return _pay(card, enrolments, holdings, region_code, asked, parts, origin)
            if (earlier := _replay(key, request_hash)) is not None:
                return earlier  # and no wrong PIN counted for a payment already made
            error = _count_pin(card, error, pin)  # committed: the wrong-PIN count is kept
    except (PaymentError, LedgerError):  # refused on the way and rolled back: unless it was paid meanwhile
        if (earlier := _replay(key, request_hash)) is not None:
            return earlier
        raise
    raise error


# Named parameters: Django's SQLite cursor turns positional ones into ?s by a regular expression,
# which on a text this long cost more than the statement (measured).
_START = (
    f"SELECT {_CARD_COLUMNS}, k.region_code, "  # noqa: S608 - placeholders
    "r.id, r.request_hash, r.receipt_number, r.amount, r.pockets, r.balances, e.program_id, e.cooperative_id, "
    "pk.id, w.id, w.balance, y.id "
    "FROM {card} AS c LEFT JOIN {cooperative} AS k ON k.id = %(cooperative)s "
    "LEFT JOIN {redemption} AS r ON r.idempotency_key = %(key)s "
    "LEFT JOIN {enrolment} AS e ON e.household_id = c.household_id AND e.status = %(active)s "
    "LEFT JOIN {program} AS p ON p.id = e.program_id "
    "LEFT JOIN {pocket} AS pk ON pk.program_id = e.program_id "
    "LEFT JOIN {account} AS w ON w.key = {wallet_key} "
    "LEFT JOIN {account} AS y ON y.key = {payable_key} "
    "WHERE c.number = %(number)s{lock}"
)
_REPLAY = (
    "SELECT id, request_hash, receipt_number, amount, pockets, balances FROM {redemption} WHERE idempotency_key = %s"
)


def _sql(statement: str) -> str:
    """A statement over aid's tables (and the cooperatives'), their names from the models; made once
    per statement and database."""
    return _sql_for(connection.vendor, statement)


@lru_cache(maxsize=16)
def _sql_for(vendor: str, statement: str) -> str:
    q = connection.ops.quote_name
    return statement.format(
        card=q(Card._meta.db_table),
        redemption=q(Redemption._meta.db_table),
        enrolment=q(Enrolment._meta.db_table),
        cooperative=q(Cooperative._meta.db_table),
        program=q(Program._meta.db_table),
        pocket=q(Pocket._meta.db_table),
        account=ledger.accounts_table(),
        wallet_key=posting.wallet_key_sql("p.code", "c.household_id", "pk.code"),
        payable_key=posting.payable_key_sql("p.code", "%(cooperative_text)s"),
        lock=" FOR UPDATE OF c" if vendor == "postgresql" else "",  # SQLite: one writer at a time
    )


@dataclass
class _Holdings:
    """What a household holds in one program, as the payment's first statement read it: each
    pocket's wallet (account id and kept balance; absent if never credited) and the program's
    payable to the cooperative asked (None before its first card payment there)."""

    wallets: dict[Any, tuple[int, int]] = field(default_factory=dict)  # pocket id → (account, balance)
    payable: int | None = None


def _payment_start(
    card_number: str, key: str, cooperative_id: Any
) -> tuple[_CardState, str, tuple | None, list[tuple[Any, Any]], dict[Any, _Holdings]]:
    """One statement for what a payment reads before it checks anything: the card (locked), the
    cooperative's village, the payment already made with this key, if any, the household's active
    enrolments as (program, home cooperative), and what it holds in each program (_Holdings).

    The wallets' balances are read from the ledger's accounts, unlocked: they choose the pockets a
    basket is taken from, and the ledger checks them again under its lock when it posts. Plain SQL:
    asked on every payment, and each statement is a round trip (measured: reading the wallets here, ~5% more
    payments/s; compiling the ORM's queries cost more than running them)."""
    params = {
        "cooperative": uuid_param(cooperative_id),
        "key": key,
        "active": Enrolment.Status.ACTIVE.value,
        "cooperative_text": str(cooperative_id),
        "number": card_number,
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(_START), params)
        rows = cursor.fetchall()
    if not rows:
        raise CardUnknown()
    first = rows[0]
    if first[5] is None:
        raise CooperativeUnknown(details={"cooperative": str(cooperative_id)})
    card = _CardState(as_uuid(first[0]), as_uuid(first[1]), *first[2:5])
    earlier = first[6:12] if first[6] is not None else None
    enrolments: list[tuple[Any, Any]] = []
    holdings: dict[Any, _Holdings] = {}
    for row in rows:
        if row[12] is None:
            continue
        program_id = as_uuid(row[12])
        if program_id not in holdings:
            enrolments.append((program_id, as_uuid(row[13])))
            holdings[program_id] = _Holdings(payable=row[17])
        if row[15] is not None:
            holdings[program_id].wallets[row[14]] = (row[15], row[16] or 0)
    return card, first[5], earlier, enrolments, holdings


def _replay(key: str, request_hash: str) -> PaymentResult | None:
    with connection.cursor() as cursor:
        cursor.execute(_sql(_REPLAY), [key])
        found = cursor.fetchone()
    return _replayed(key, request_hash, found) if found is not None else None


def _replayed(key: str, request_hash: str, found: Sequence[Any]) -> PaymentResult:
    """The first answer to this key, from its payment's (id, request hash, receipt, amount, pockets,
    balances); refused if that payment was another request."""
    is_replay(found[1], request_hash, KeyReused)  # the client knows the key it sent; ours carries its namespace
    pockets, balances = (json.loads(v) if isinstance(v, str) else v for v in found[4:6])  # text on SQLite
    return PaymentResult(
        as_uuid(found[0]), found[2], found[3], pockets, [PocketBalance(**b) for b in balances], replayed=True
    )


def _program_at(enrolments: Sequence[tuple[Any, Any]], cooperative_id: Any) -> Any:
    """Of a household's (program, home cooperative) enrolments, the one a payment at this
    cooperative spends from: its enrolment here first, else its first."""
    return next((p for p, c in enrolments if c == cooperative_id), enrolments[0][0])


def _receipt_number(occurred_at: datetime) -> str:
    """`YYMMDD-` and ten random hex digits; the day is the local one the receipt shows (the platform's
    time zone, WIB in Kalimantan Tengah), not UTC's nor a signed-in user's."""
    return f"{occurred_at.astimezone(timezone.get_default_timezone()):%y%m%d}-{secrets.token_hex(5).upper()}"


@dataclass(frozen=True)
class _Asked:
    """What card_pay was asked to pay, as _pay posts and records it."""

    cooperative_id: Any
    outlet_id: Any
    basket: Sequence[BasketLine]
    key: str
    request_hash: str
    occurred_at: datetime
    recorded_at: datetime
    operator: Any


def _held(
    enrolments: list[tuple[Any, Any]], holdings: dict[Any, _Holdings], cooperative_id: Any
) -> tuple[Any, list[tuple[Pocket, int | None, int]]]:
    """The program a payment at this cooperative spends from (any cooperative may redeem: a far one
    is an anomaly to flag, not a refusal; the enrolment here comes first when the household has
    several programs) and its wallets as (pocket, account, balance) from the payment's first read."""
    program_id = _program_at(enrolments, cooperative_id)
    held = holdings[program_id]
    return program_id, [(p, *held.wallets.get(p.pk, (None, 0))) for p in _pockets(program_id)]


def _parts(
    asked: _Asked, share: TillShare | None, enrolments: list[tuple[Any, Any]], holdings: dict[Any, _Holdings]
) -> list[int]:
    """How much of each basket line the card is to pay: all of it, or a till's share (_share)."""
    if share is None or not enrolments:  # not enrolled: refused after the PIN, as any payment
        return [line.amount for line in asked.basket]
    return _share(asked.basket, _held(enrolments, holdings, asked.cooperative_id)[1], share)


def _pay(
    card: _CardState,
    enrolments: list[tuple[Any, Any]],
    holdings: dict[Any, _Holdings],
    region_code: str,
    asked: _Asked,
    parts: list[int],
    origin: str,
) -> PaymentResult:
    if not enrolments:
        raise NotEnrolled()
    cooperative_id, key, request_hash = asked.cooperative_id, asked.key, asked.request_hash
    occurred_at, operator = asked.occurred_at, asked.operator
    program_id, wallets = _held(enrolments, holdings, cooperative_id)
    pockets = [w[0] for w in wallets]
    basket = [_part(line, part) for line, part in zip(asked.basket, parts, strict=True) if part]
    taken = _allocate(basket, wallets)
    payable = holdings[program_id].payable  # None at the cooperative's first card payment in this program
    if payable is None:
        payable = account_open(
            **posting.payable_account(pockets[0].program.code, cooperative_id, region_code), occurred_at=occurred_at
        ).pk
    try:
        posted = journal_post(
            key=f"aid:pay:{key}",
            kind="aid.card.payment",
            legs=posting.payment_legs(taken, payable=payable),
            occurred_at=occurred_at,
            recorded_at=asked.recorded_at,
            actor=operator,
        )
    except InsufficientFunds as exc:  # a wallet moved since it was read (an allowance, a sweep)
        raise InsufficientBalance(details=exc.details) from None
    if not posted.created:  # this payment was made meanwhile (see card_pay): its first answer
        if (earlier := _replay(key, request_hash)) is not None:
            return earlier
        raise LedgerError(_("The payment's entry exists without its payment."), details={"key": key})
    codes = {account: pocket.code for pocket, account, _b in wallets if account is not None}
    balances = [
        PocketBalance(p.code, p.name, balance - taken.get(account, 0), list(p.categories))
        for p, account, balance in wallets
    ]
    redemption_id, receipt, amount = new_id(), _receipt_number(occurred_at), sum(taken.values())
    pockets_taken = {codes[a]: value for a, value in taken.items()}
    insert_one(
        Redemption,
        {
            "id": redemption_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            "card": card.id,
            "household": card.household_id,
            "cooperative": cooperative_id,
            "outlet": as_uuid(asked.outlet_id) if asked.outlet_id else None,
            "program": program_id,
            "region_code": region_code,
            "amount": amount,
            "basket": [{"category": b.category, "amount": b.amount, "description": b.description} for b in basket],
            "pockets": pockets_taken,
            "balances": [vars(b) for b in balances],  # the answer a replay of this key gives again
            "receipt_number": receipt,
            "entry_id": posted.entry_id,
            "void_entry_id": None,
            "status": Redemption.Status.PAID.value,
            "origin": str(origin),
            "operator": operator.pk if getattr(operator, "pk", None) else None,
            "occurred_at": occurred_at,
        },
    )
    audit_append(
        actor=operator,
        event="aid.payment.paid",
        occurred_at=occurred_at,
        obj=(Redemption, redemption_id),
        region_code=region_code,
        changes={"amount": [None, amount], "receipt": [None, receipt]},
    )
    return PaymentResult(redemption_id, receipt, amount, pockets_taken, balances, lines=parts)


def card_payment_void(
    *, redemption_id: Any, actor: Any, occurred_at: datetime, recorded_at: datetime, reason: str = ""
) -> Redemption:
    """Undo a payment by a reversing entry (the original stays); voiding twice returns the same void.

    The void's key is the payment's own, so two cashiers voiding at once post one reversal."""
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update().filter(pk=redemption_id).first()
        if redemption is None:
            raise PaymentError(_("Unknown payment."), details={"redemption": str(redemption_id)})
        if redemption.settlement_id is not None and redemption.status != Redemption.Status.VOIDED:
            raise PaymentSettled()
        reversal = entry_reverse(
            entry_id=redemption.entry_id,
            key=f"aid:void:{redemption.pk}",
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            memo=reason[:300],
        )
        if redemption.status != Redemption.Status.VOIDED:
            redemption.status, redemption.void_entry_id = Redemption.Status.VOIDED, reversal.entry_id
            if redemption.tally == TallyState.COUNTED:  # the distribution tallies take it off again
                redemption.tally = TallyState.VOID_PENDING
            redemption.save(update_fields=["status", "void_entry_id", "tally"])
            audit_append(
                actor=actor,
                event="aid.payment.voided",
                occurred_at=occurred_at,
                obj=redemption,
                changes={"status": [Redemption.Status.PAID, Redemption.Status.VOIDED], "reason": [None, reason[:300]]},
            )
    return redemption
