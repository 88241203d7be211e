"""API of aid for a POS or an integration: a card's balance, pay, void — each with an idempotency key.

The key travels in the `Idempotency-Key` header: the same key sent again returns the first answer
and moves no money; the same key with another body is refused with 409.
"""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext_lazy
from ninja import Field, Header, Router, Schema
from pydantic import StrictInt, StrictStr

from betang.aid import selectors
from betang.aid.contracts import BasketLine, GoodsCategory
from betang.aid.services import payments
from betang.core import clock
from betang.core.errors import DomainError, PermissionDenied
from betang.registry import selectors as registry
from betang.web.api import BODY, SAFE_TEXT, StrictIn, Text, errors

router = Router(tags=["aid"])


class MissingKey(DomainError):
    code = "idempotency_key_required"
    message = gettext_lazy("Send an Idempotency-Key header (a unique string per payment, reused on retry).")


# A required header the request lacks: its own refusal, not the generic 422 (config.api reads this).
MISSING_HEADERS = {"Idempotency-Key": MissingKey}


def _require(request, capability: str) -> None:
    if not request.user.has_capability(capability):
        raise PermissionDenied()


def _key(value: str | None) -> str:
    if not value or len(value) > 150:
        raise MissingKey()
    return value


# Strict types: a JSON number is not a card number or a PIN, and `true`, `"1000"` or `1000.0` is not an
# amount (pydantic would read them as 1 and 1000); each is a 422 invalid_request that moves no money.
class CardIn(StrictIn):
    card_number: StrictStr = Field(pattern=r"^[0-9]{16}$", description="the 16 digits printed on the card")
    pin: StrictStr = Field(pattern=r"^[0-9]{6}$", description="six digits")


class PocketOut(Schema):
    code: str
    name: str
    balance: int
    categories: list[str]


class LineIn(StrictIn):
    category: GoodsCategory
    amount: StrictInt = Field(gt=0, le=1_000_000_000_000, description="whole rupiah for the line (an integer)")
    description: Text = Field("", max_length=200)


class PaymentIn(CardIn):
    cooperative_id: UUID
    outlet_id: UUID | None = None
    basket: list[LineIn] = Field(min_length=1, max_length=200)


class PaymentOut(Schema):
    payment_id: UUID
    receipt_number: str
    amount: int
    pockets: dict[str, int]
    balances: list[PocketOut]
    replayed: bool


class VoidIn(StrictIn):
    reason: Text = Field("", max_length=300)


class VoidOut(Schema):
    payment_id: UUID
    status: str
    reversal_entry_id: UUID | None


@router.post(
    "/cards/balance",
    response={200: list[PocketOut], **errors(404, *BODY)},
    summary="A card's pockets and balances (needs the PIN)",
    description="401 `aid.wrong_pin`, 404 an unknown card, 422 a locked or blocked card.",
)
def card_balance(request, body: CardIn):
    _require(request, "aid.pay")
    return [vars(b) for b in payments.card_balance(card_number=body.card_number, pin=body.pin)]


@router.post(
    "/payments",
    response={200: PaymentOut, **errors(404, 409, *BODY)},
    summary="Pay a basket with a card and PIN",
    description="400 `idempotency_key_required` without an Idempotency-Key; 401 `aid.wrong_pin`; 404 an unknown card or cooperative; "
    "409 a key reused with another body; 422 a refusal (`aid.insufficient_balance`, …) or an invalid body.",
)
def pay(
    request,
    body: PaymentIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=150, pattern=SAFE_TEXT),
):
    _require(request, "aid.pay")
    key = _key(idempotency_key)
    cooperative_id = registry.acting_cooperative_id(
        user=request.user, cooperative_id=body.cooperative_id, outlet_id=body.outlet_id
    )
    now = clock.now()
    result = payments.card_pay(
        card_number=body.card_number,
        pin=body.pin,
        cooperative_id=cooperative_id,
        outlet_id=body.outlet_id,
        basket=[BasketLine(line.category, line.amount, line.description) for line in body.basket],
        key=f"api:{request.user.pk}:{key}",
        occurred_at=now,
        recorded_at=now,
        operator=request.user,
    )
    return {
        "payment_id": result.redemption_id,
        "receipt_number": result.receipt_number,
        "amount": result.amount,
        "pockets": result.pockets,
        "balances": [vars(b) for b in result.balances],
        "replayed": result.replayed,
    }


@router.post(
    "/payments/{payment_id}/void",
    response={200: VoidOut, **errors(404, 409, *BODY)},
    summary="Void a payment (posts a reversal; voiding again returns the same void)",
)
def void(request, payment_id: UUID, body: VoidIn):
    _require(request, "aid.void")
    redemption = selectors.redemption_get(scope=request.user.region_scope, pk=payment_id)
    registry.acting_cooperative_id(user=request.user, cooperative_id=redemption.cooperative_id)  # staff: their own
    now = clock.now()
    done = payments.card_payment_void(
        redemption_id=redemption.pk, actor=request.user, occurred_at=now, recorded_at=now, reason=body.reason
    )
    return {"payment_id": done.pk, "status": done.status, "reversal_entry_id": done.void_entry_id}
