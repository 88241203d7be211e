"""Cards: issued in batches (one usable card per household), PINs set and reset, locked after three
wrong PINs until an officer unlocks them, blocked, replaced (the balance stays with the household)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.aid import pins
from betang.aid.models import Card
from betang.core.audit import audit_record
from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError

MAX_PIN_FAILURES = 3


class CardError(DomainError):
    code = "aid.card"
    http_status = 409


class PinFormat(CardError):
    code = "aid.pin_format"
    http_status = 400
    message = gettext_lazy("A PIN is six digits.")


@dataclass(frozen=True)
class Issued:
    card: Card
    pin: str  # shown once, on the PIN mailer; only its hash is kept


def _new_card(household: Any, *, batch: str, occurred_at: datetime, replaces: Card | None = None) -> Issued:
    pin = pins.pin_new()
    for _attempt in range(5):  # a random number may, very rarely, be taken
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    number=pins.card_number_new(),
                    household_id=household.pk if hasattr(household, "pk") else household[0],
                    region_code=household.region_code if hasattr(household, "region_code") else household[1],
                    pin_hash=pins.pin_hash(pin),
                    pin_offline_hash=pins.pin_offline_hash(pin),
                    batch=batch,
                    issued_at=occurred_at,
                    replaces=replaces,
                )
            return Issued(card, pin)
        except IntegrityError:
            if Card.objects.filter(
                household_id=household.pk if hasattr(household, "pk") else household[0],
                status__in=[Card.Status.ACTIVE, Card.Status.LOCKED],
            ).exists():
                raise CardError(_("The household already has a usable card.")) from None
    raise CardError(_("No free card number was found; try again."))


def cards_issue(*, households: list[Any], batch: str, occurred_at: datetime, actor: Any) -> list[Issued]:
    """A card and a PIN for each household that has no usable card (the others are skipped).

    Set-based: a province issues tens of thousands of cards in one batch. Each PIN is returned once,
    for the PIN mailers printed from this result; only its hash is stored.
    """
    wanted = {h.pk: h for h in households}
    with transaction.atomic():
        has_card = set(
            Card.objects.filter(
                household_id__in=list(wanted), status__in=[Card.Status.ACTIVE, Card.Status.LOCKED]
            ).values_list("household_id", flat=True)
        )
        todo = [h for pk, h in wanted.items() if pk not in has_card]
        numbers = _free_numbers(len(todo))
        issued = []
        for household, number in zip(todo, numbers, strict=True):
            pin = pins.pin_new()
            card = Card(
                number=number,
                household_id=household.pk,
                region_code=household.region_code,
                pin_hash=pins.pin_hash(pin),
                pin_offline_hash=pins.pin_offline_hash(pin),
                batch=batch,
                issued_at=occurred_at,
            )
            issued.append(Issued(card, pin))
        bulk_insert(
            Card,
            [
                "id",
                "number",
                "household",
                "region_code",
                "status",
                "pin_hash",
                "pin_offline_hash",
                "batch",
                "issued_at",
            ],
            (
                (
                    i.card.pk,
                    i.card.number,
                    i.card.household_id,
                    i.card.region_code,
                    i.card.status,
                    i.card.pin_hash,
                    i.card.pin_offline_hash,
                    i.card.batch,
                    i.card.issued_at,
                )
                for i in issued
            ),
        )
        audit_record(
            actor=actor,
            event="aid.card.issued",
            occurred_at=occurred_at,
            changes={"batch": batch, "cards": len(issued), "skipped": len(has_card)},
        )
    return issued


def _free_numbers(count: int) -> list[str]:
    """`count` new random card numbers, none already taken (a clash is rare: drawn again)."""
    numbers: set[str] = set()
    while len(numbers) < count:
        drawn = {pins.card_number_new() for _ in range(count - len(numbers))} - numbers
        taken = set(Card.objects.filter(number__in=list(drawn)).values_list("number", flat=True))
        numbers |= drawn - taken
    return list(numbers)


def card_pin_set(*, card: Card, pin: str, actor: Any, occurred_at: datetime) -> None:
    """Set a new PIN (the beneficiary at the office, or a reset): also clears the failure count."""
    if not pins.pin_is_well_formed(pin):
        raise PinFormat()
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        if card.status in (Card.Status.BLOCKED, Card.Status.REPLACED):
            raise CardError(_("This card can no longer be used."))
        card.pin_hash, card.pin_offline_hash = pins.pin_hash(pin), pins.pin_offline_hash(pin)
        card.failed_pin_attempts = 0
        if card.status == Card.Status.LOCKED:
            card.status = Card.Status.ACTIVE
        card.save(update_fields=["pin_hash", "pin_offline_hash", "failed_pin_attempts", "status"])
        audit_record(
            actor=actor, event="aid.card.pin_set", occurred_at=occurred_at, obj=card, region_code=card.region_code
        )


def card_pin_reset(*, card: Card, actor: Any, occurred_at: datetime) -> str:
    """A new random PIN (the mailer was lost, or the beneficiary forgot it); returned once, for the
    new PIN mailer, and never stored in clear."""
    pin = pins.pin_new()
    card_pin_set(card=card, pin=pin, actor=actor, occurred_at=occurred_at)
    return pin


def card_unlock(*, card: Card, actor: Any, occurred_at: datetime) -> None:
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        if card.status != Card.Status.LOCKED:
            raise CardError(_("The card is not locked."))
        card.status, card.failed_pin_attempts = Card.Status.ACTIVE, 0
        card.save(update_fields=["status", "failed_pin_attempts"])
        audit_record(
            actor=actor, event="aid.card.unlocked", occurred_at=occurred_at, obj=card, region_code=card.region_code
        )


def card_block(*, card: Card, reason: str, actor: Any, occurred_at: datetime) -> None:
    """Stop a card at once (lost, stolen, misused). Its household's balance is untouched."""
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        if card.status == Card.Status.REPLACED:
            raise CardError(_("This card was replaced."))
        before = card.status
        card.status = Card.Status.BLOCKED
        card.save(update_fields=["status"])
        audit_record(
            actor=actor,
            event="aid.card.blocked",
            occurred_at=occurred_at,
            obj=card,
            region_code=card.region_code,
            changes={"status": [before, card.status], "reason": reason},
        )


def card_replace(*, card: Card, actor: Any, occurred_at: datetime, batch: str = "replacement") -> Issued:
    """The old card stops working at once; the new one reaches the same household's wallets."""
    with transaction.atomic():
        old = Card.objects.select_for_update().select_related("household").get(pk=card.pk)
        if old.status == Card.Status.REPLACED:
            raise CardError(_("This card was already replaced."))
        old.status = Card.Status.REPLACED
        old.save(update_fields=["status"])
        issued = _new_card(old.household, batch=batch, occurred_at=occurred_at, replaces=old)
        audit_record(
            actor=actor,
            event="aid.card.replaced",
            occurred_at=occurred_at,
            obj=old,
            region_code=old.region_code,
            changes={"replaced_by": str(issued.card.pk)},
        )
    return issued
