"""The card payment service: what the outlet POS, the API and the outposts call.

Given a card, its PIN, the cooperative (and outlet), a basket and an idempotency key, it checks the
card, the PIN, each line's goods category against the pockets and the pockets' balances, and posts
wallet → cooperative payable in one ledger entry; or refuses with a stable code and posts nothing.
A wrong PIN is counted (three lock the card) even though the payment is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import pins, posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Enrolment, Pocket, Redemption
from betang.aid.services.cards import MAX_PIN_FAILURES
from betang.core.errors import DomainError
from betang.core.ids import as_uuid
from betang.ledger import selectors as ledger
from betang.ledger.services import InsufficientFunds, account_open, entry_reverse, journal_post
from betang.registry import selectors as registry


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


class BadBasket(PaymentError):
    code = "aid.bad_basket"
    http_status = 400
    message = gettext_lazy("The basket is empty or has an invalid amount.")


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


def _request_hash(card_number: str, cooperative_id: Any, outlet_id: Any, basket: Sequence[BasketLine]) -> str:
    body = {
        "card": card_number,
        "cooperative": str(cooperative_id),
        "outlet": str(outlet_id) if outlet_id else None,
        "basket": [[b.category, b.amount, b.description] for b in basket],
    }
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def _lock_card(card_number: str) -> Card:
    """The card row, locked: payments, PIN checks and blocks of one card happen one after another."""
    card = Card.objects.select_for_update().filter(number=card_number).first()
    if card is None:
        raise CardUnknown()
    return card


def _check_card(card: Card, pin: str) -> PaymentError | None:
    """Status and PIN; a wrong PIN is counted here, and commits with the caller's transaction."""
    if card.status == Card.Status.BLOCKED:
        return CardBlocked()
    if card.status == Card.Status.REPLACED:
        return CardReplaced()
    if card.status == Card.Status.LOCKED:
        return CardLocked()
    if not pins.pin_matches(pin, card.pin_hash):
        card.failed_pin_attempts += 1
        if card.failed_pin_attempts >= MAX_PIN_FAILURES:
            card.status = Card.Status.LOCKED
        card.save(update_fields=["failed_pin_attempts", "status"])
        left = MAX_PIN_FAILURES - card.failed_pin_attempts
        return CardLocked() if left <= 0 else WrongPin(details={"attempts_left": left})
    if card.failed_pin_attempts:
        card.failed_pin_attempts = 0
        card.save(update_fields=["failed_pin_attempts"])
    return None


_POCKETS: dict[Any, list[Pocket]] = {}


def _pockets(program_id: Any) -> list[Pocket]:
    """A program's pockets: fixed once the program is made, so each process keeps them."""
    if program_id not in _POCKETS:
        _POCKETS[program_id] = list(Pocket.objects.filter(program_id=program_id).select_related("program"))
    return _POCKETS[program_id]


def _wallets(
    household_id: Any, program_id: Any, extra_keys: Sequence[str] = ()
) -> tuple[list[tuple[Pocket, int | None, int]], dict[str, tuple[int, int | None]]]:
    """The household's pockets in the program with their wallet account and balance (0 if never
    credited), and the accounts of `extra_keys` found in the same query."""
    pockets = _pockets(program_id)
    keys = {p.code: posting.wallet_key(p.program.code, household_id, p.code) for p in pockets}
    found = ledger.accounts_by_key([*keys.values(), *extra_keys])
    out = []
    for p in pockets:
        account = found.get(keys[p.code])
        out.append((p, account[0] if account else None, (account[1] or 0) if account else 0))
    return out, found


def _allocate(basket: Sequence[BasketLine], wallets: list[tuple[Pocket, int | None, int]]) -> dict[int, int]:
    """Take each line from the most restrictive pocket that admits it, then the wider ones."""
    order = sorted(wallets, key=lambda w: (not w[0].categories, len(w[0].categories)))  # food pocket first
    left = {w[0].code: w[2] for w in wallets}
    excluded = set(wallets[0][0].program.excluded_categories) if wallets else set()
    taken: dict[int, int] = {}
    short = []
    for line in basket:
        eligible = [
            w
            for w in order
            if line.category not in excluded and (not w[0].categories or line.category in w[0].categories)
        ]
        if not eligible:
            raise ItemNotEligible(
                _("%(item)s (%(category)s) cannot be paid with the card.")
                % {"item": line.description or line.category, "category": line.category},
                details={"category": line.category, "description": line.description},
            )
        need = line.amount
        for pocket, account, _balance in eligible:
            use = min(need, left[pocket.code])
            if use > 0 and account is not None:
                taken[account] = taken.get(account, 0) + use
                left[pocket.code] -= use
                need -= use
        if need:
            short.append({"category": line.category, "missing": need})
    if short:
        raise InsufficientBalance(details={"short": short, "balances": {w[0].code: w[2] for w in wallets}})
    return taken


def card_balance(*, card_number: str, pin: str) -> list[PocketBalance]:
    """Every pocket's balance, for the beneficiary (PIN required, and counted when wrong)."""
    with transaction.atomic():
        card = _lock_card(card_number)
        error = _check_card(card, pin)
        if error is None:
            enrolments = list(
                Enrolment.objects.filter(household_id=card.household_id, status=Enrolment.Status.ACTIVE).select_related(
                    "program"
                )
            )
    if error is not None:
        raise error
    return [
        PocketBalance(p.code, p.name, balance, list(p.categories))
        for e in enrolments
        for p, _a, balance in _wallets(card.household_id, e.program_id)[0]
    ]


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
    cooperative_region: str | None = None,
) -> PaymentResult:
    """Pay a basket with the card, or refuse with a stable code and post nothing.

    `cooperative_region`: the cooperative's village code when the caller has just read the
    cooperative (the API, the POS): one query fewer on every payment."""
    if not basket or any(type(line.amount) is not int or line.amount <= 0 for line in basket):
        raise BadBasket()
    request_hash = _request_hash(card_number, cooperative_id, outlet_id, basket)
    with transaction.atomic():
        card = _lock_card(card_number)
        # Under the card's lock: the same payment, sent twice at once, is answered once.
        if (earlier := _replay(key, request_hash)) is not None:
            return earlier
        error = _check_card(card, pin)
        if error is None:
            result = _pay(
                card,
                cooperative_id,
                outlet_id,
                basket,
                key,
                request_hash,
                occurred_at,
                recorded_at,
                operator,
                origin,
                cooperative_region,
            )
    if error is not None:  # raised after the commit: the wrong-PIN count is kept
        raise error
    return result


_REPLAY = (
    f"SELECT id, request_hash, receipt_number, amount, pockets, balances FROM {Redemption._meta.db_table} "  # noqa: S608 - a table name
    "WHERE idempotency_key = %s"
)
_ENROLMENTS = (
    f"SELECT program_id, cooperative_id FROM {Enrolment._meta.db_table} WHERE household_id = %s AND status = %s"  # noqa: S608 - a table name
)


def _db_id(value: Any) -> Any:
    """A key as the database takes it in plain SQL (hex text on SQLite, as Django stores a UUID)."""
    return Redemption._meta.pk.get_db_prep_value(value, connection)


def _replay(key: str, request_hash: str) -> PaymentResult | None:
    # Plain SQL: asked on every payment, and compiling the ORM's query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_REPLAY, [key])
        found = cursor.fetchone()
    if found is None:
        return None
    if found[1] != request_hash:
        raise KeyReused()  # the client knows the key it sent; ours carries its namespace
    pockets, balances = (json.loads(v) if isinstance(v, str) else v for v in found[4:6])  # text on SQLite
    return PaymentResult(
        as_uuid(found[0]), found[2], found[3], pockets, [PocketBalance(**b) for b in balances], replayed=True
    )


def _receipt_number(occurred_at: datetime) -> str:
    return f"{occurred_at:%y%m%d}-{secrets.token_hex(5).upper()}"


def _pay(
    card, cooperative_id, outlet_id, basket, key, request_hash, occurred_at, recorded_at, operator, origin, region_code
):
    # Any cooperative may redeem (a far one is an anomaly to flag, not a refusal); the enrolment at
    # this cooperative comes first when the household has several programs.
    with connection.cursor() as cursor:
        cursor.execute(_ENROLMENTS, [_db_id(card.household_id), Enrolment.Status.ACTIVE.value])
        enrolments = [(as_uuid(p), as_uuid(c)) for p, c in cursor.fetchall()]
    if not enrolments:
        raise NotEnrolled()
    cooperative_id = as_uuid(cooperative_id)
    program_id = next((p for p, c in enrolments if c == cooperative_id), enrolments[0][0])
    region_code = region_code or registry.cooperative_region(cooperative_id)
    program = _pockets(program_id)[0].program
    payable_spec = posting.payable_account(program.code, cooperative_id, region_code)
    wallets, found = _wallets(card.household_id, program_id, [payable_spec["key"]])
    taken = _allocate(basket, wallets)
    known = found.get(payable_spec["key"])  # absent at the cooperative's first card payment in this program
    payable = known[0] if known else account_open(**payable_spec, occurred_at=occurred_at).pk
    try:
        posted = journal_post(
            key=f"aid:pay:{key}",
            kind="aid.card.payment",
            legs=posting.payment_legs(taken, payable=payable),
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=operator,
        )
    except InsufficientFunds as exc:  # a wallet moved since it was read (an allowance, a sweep)
        raise InsufficientBalance(details=exc.details) from None
    codes = {account: pocket.code for pocket, account, _b in wallets if account is not None}
    balances = [
        PocketBalance(p.code, p.name, balance - taken.get(account, 0), list(p.categories))
        for p, account, balance in wallets
    ]
    redemption = Redemption.objects.create(
        idempotency_key=key,
        request_hash=request_hash,
        card=card,
        household_id=card.household_id,
        cooperative_id=cooperative_id,
        outlet_id=outlet_id,
        program=program,
        region_code=region_code,
        amount=sum(taken.values()),
        basket=[{"category": b.category, "amount": b.amount, "description": b.description} for b in basket],
        pockets={codes[a]: amount for a, amount in taken.items()},
        balances=[vars(b) for b in balances],  # the answer a replay of this key gives again
        receipt_number=_receipt_number(occurred_at),
        entry_id=posted.entry_id,
        operator=operator if getattr(operator, "pk", None) else None,
        origin=origin,
        occurred_at=occurred_at,
    )
    return PaymentResult(redemption.pk, redemption.receipt_number, redemption.amount, redemption.pockets, balances)


def card_payment_void(
    *, redemption_id: Any, actor: Any, occurred_at: datetime, recorded_at: datetime, reason: str = ""
) -> Redemption:
    """Undo a payment by a reversing entry (the original stays); voiding twice returns the same void.

    The void's key is the payment's own, so two cashiers voiding at once post one reversal."""
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update().filter(pk=redemption_id).first()
        if redemption is None:
            raise PaymentError(_("Unknown payment."), details={"redemption": str(redemption_id)})
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
            redemption.save(update_fields=["status", "void_entry_id"])
    return redemption
