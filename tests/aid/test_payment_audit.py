"""A card payment and its void each leave an audit event in the same transaction: who, which
payment, where, how much; never the card's number. A refused payment leaves none."""

import pytest

from betang.aid.models import Redemption
from betang.aid.services.payments import WrongPin, card_payment_void
from betang.core.models import AuditEvent
from tests.aid.test_payments import RICE_AND_SOAP, pay

pytestmark = pytest.mark.django_db


def events(kind: str):
    return AuditEvent.objects.filter(event=kind)


def test_a_card_payment_and_its_void_are_audited_with_their_area_and_amount(world):
    paid = pay(world, RICE_AND_SOAP)
    made = events("aid.payment.paid").get()
    redemption = Redemption.objects.get(pk=paid.redemption_id)
    assert (made.object_type, made.object_id) == ("aid.redemption", str(redemption.pk))
    assert made.region_code == world.coop_a.region_code == redemption.region_code
    assert made.changes == {"amount": [None, 82_000], "receipt": [None, paid.receipt_number]}
    assert world.card.number not in str(made.changes)

    card_payment_void(
        redemption_id=redemption.pk,
        actor=world.maker,
        occurred_at=made.occurred_at,
        recorded_at=made.occurred_at,
        reason="salah barang",
    )
    voided = events("aid.payment.voided").get()
    assert (voided.object_id, voided.actor_id, voided.region_code) == (
        str(redemption.pk),
        world.maker.pk,
        made.region_code,
    )
    assert voided.changes["reason"] == [None, "salah barang"]
    card_payment_void(
        redemption_id=redemption.pk,
        actor=world.maker,
        occurred_at=made.occurred_at,
        recorded_at=made.occurred_at,
        reason="salah barang",
    )
    assert events("aid.payment.voided").count() == 1  # voiding again changes nothing, audits nothing


def test_a_replayed_or_refused_payment_is_not_audited_again(world):
    pay(world, RICE_AND_SOAP, key="k1")
    pay(world, RICE_AND_SOAP, key="k1")
    with pytest.raises(WrongPin):
        pay(world, RICE_AND_SOAP, key="k2", pin="000000")
    assert events("aid.payment.paid").count() == 1
