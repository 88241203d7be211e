"""API of aid for a POS or an integration: a card's balance, pay, void — each with an idempotency key.

The key travels in the `Idempotency-Key` header: the same key sent again returns the first answer
and moves no money; the same key with another body is refused with 409.
"""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext_lazy
from ninja import Field, Header, Router, Schema

from betang.aid import selectors
from betang.aid.contracts import BasketLine, GoodsCategory
from betang.aid.services import payments
from betang.core import clock
from betang.core.errors import DomainError, PermissionDenied
from betang.registry import selectors as registry

router = Router(tags=["aid"])


class MissingKey(DomainError):
    code = "idempotency_key_required"
    message = gettext_lazy("Send an Idempotency-Key header (a unique string per payment, reused on retry).")


def _require(request, capability: str) -> None:
    if not request.user.has_capability(capability):
        raise PermissionDenied()


def _key(value: str | None) -> str:
    if not value or len(value) > 150:
        raise MissingKey()
    return value


class CardIn(Schema):
    card_number: str = Field(min_length=16, max_length=16)
    pin: str = Field(min_length=6, max_length=6)


class PocketOut(Schema):
    code: str
    name: str
    balance: int
    categories: list[str]


class LineIn(Schema):
    category: GoodsCategory
    amount: int = Field(gt=0, description="whole rupiah for the line")
    description: str = Field("", max_length=200)


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


class VoidIn(Schema):
    reason: str = Field("", max_length=300)


class VoidOut(Schema):
    payment_id: UUID
    status: str
    reversal_entry_id: UUID | None


@router.post("/cards/balance", response=list[PocketOut], summary="A card's pockets and balances (needs the PIN)")
def card_balance(request, body: CardIn):
    _require(request, "aid.pay")
    return [vars(b) for b in payments.card_balance(card_number=body.card_number, pin=body.pin)]


@router.post("/payments", response=PaymentOut, summary="Pay a basket with a card and PIN")
def pay(request, body: PaymentIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
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
    response=VoidOut,
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
