"""The distribution tallies: each program's figures at every node of province → regency → district →
village → cooperative, kept current as payments post, so that the distribution view reads a few rows
instead of grouping millions of payments.

- **Payments** are folded in by `distribution_fold`: it takes the redemptions not yet counted (a
  partial index finds them), adds them to their cooperative's node and every node above it, and marks
  them counted, in one transaction. A void marks a counted payment for taking off again. The payment
  itself writes no summary row: a row per cooperative updated by every payment would make each
  cooperative's payments wait for each other (the hot-account rule of the ledger).
- **Households, cards and credit** change in bulk (enrolment reviews, card batches, cycle credits) and
  are counted anew, set-based, by `distribution_refresh`: after a credit, and when the view finds them
  older than REFRESH_AFTER.

One folder at a time (on PostgreSQL an advisory lock; SQLite has one writer), and the refresh takes the
same lock, so the two never write the same rows at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from betang.aid.models import Anomaly, Card, Cycle, Enrolment, Entitlement, Program, Redemption, Tally, TallyState
from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.core.ids import uuid_param

FOLD_BATCH = 5_000
REFRESH_AFTER = timedelta(minutes=2)
_LOCK = 0x62E7_A11D  # the advisory lock of the tallies' writers (PostgreSQL)
Level = Tally.Level
# The partial index's own condition, with literals: a planner (SQLite's always) uses a partial index
# only for a WHERE it can prove implies the index's, which bound parameters never do.
_UNCOUNTED = f"tally IN ({TallyState.NEW.value}, {TallyState.VOID_PENDING.value})"


def nodes_of(cooperative_id: Any, village: str) -> list[tuple[str, str, str]]:
    """(level, code, parent) of a cooperative's node and every node above it, from its village code."""
    province, regency, district = village[:2], village[:5], village[:8]
    return [
        (Level.PROVINCE, province, ""),
        (Level.REGENCY, regency, province),
        (Level.DISTRICT, district, regency),
        (Level.VILLAGE, village, district),
        (Level.COOPERATIVE, str(cooperative_id), village),
    ]


@dataclass
class _Change:
    count: int = 0
    amount: int = 0
    last: datetime | None = None


@dataclass
class _Base:
    enrolled: int = 0
    cards: int = 0
    credited: int = 0


@dataclass
class Folded:
    payments: int = 0  # payments counted
    voids: int = 0  # voids taken off
    nodes: int = 0  # tally rows written
    rows: int = 0  # payments taken (counted, taken off, or voided before they were counted)
    cards: set = field(default_factory=set)  # (program, card) of the payments counted
    anomalies: int = 0  # anomalies flagged or updated among them


def _locked(wait: bool) -> bool:
    """The tallies' writer lock for this transaction (PostgreSQL); False when another holds it and
    we don't wait. On SQLite the transaction's write lock does it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK])
        return bool(cursor.fetchone()[0])


def distribution_fold(*, batch: int = FOLD_BATCH, max_batches: int | None = None) -> Folded:
    """Count the payments and voids not yet in the tallies, `batch` payments a transaction, until
    none are left (or max_batches). Returns at once when another fold is running."""
    done = Folded()
    batches = 0
    while max_batches is None or batches < max_batches:
        got = _fold_once(batch)
        batches += 1
        done.payments, done.voids, done.nodes, done.rows = (
            done.payments + got.payments,
            done.voids + got.voids,
            done.nodes + got.nodes,
            done.rows + got.rows,
        )
        done.cards |= got.cards
        done.anomalies += got.anomalies
        if got.rows < batch:
            break
    return done


def _fold_once(batch: int) -> Folded:
    folded = Folded()
    with transaction.atomic():
        if not _locked(wait=False):
            return folded
        rows = list(
            Redemption.objects.extra(where=[_UNCOUNTED])  # noqa: S610 - a literal: see _UNCOUNTED
            .select_for_update(skip_locked=True)  # a payment being voided waits for the next fold
            .order_by()
            .values_list(
                "id",
                "program_id",
                "cooperative_id",
                "region_code",
                "amount",
                "status",
                "tally",
                "occurred_at",
                "card_id",
                "household_id",
            )[:batch]
        )
        if not rows:
            return folded
        folded.rows = len(rows)
        changes: dict[tuple[Any, str, str, str], _Change] = defaultdict(_Change)
        counted, done, paid = [], [], []
        for pk, program_id, cooperative_id, village, amount, status, tally, occurred_at, card_id, household in rows:
            if tally == TallyState.NEW and status == Redemption.Status.PAID:
                sign, new_state = 1, counted
                folded.payments += 1
                folded.cards.add((program_id, card_id))
                paid.append(_Paid(program_id, cooperative_id, village, amount, occurred_at, card_id, household))
            elif tally == TallyState.NEW:  # voided before it was ever counted: nothing to add
                sign, new_state = 0, done
            else:  # counted, then voided
                sign, new_state = -1, done
                folded.voids += 1
            new_state.append(pk)
            for node in nodes_of(cooperative_id, village):
                change = changes[(program_id, *node)]
                change.count += sign
                change.amount += sign * amount
                if sign > 0 and (change.last is None or occurred_at > change.last):
                    change.last = occurred_at
        if counted:
            Redemption.objects.filter(pk__in=counted).update(tally=TallyState.COUNTED)
        if done:
            Redemption.objects.filter(pk__in=done).update(tally=TallyState.DONE)
        _add_payments(changes)
        folded.nodes = len(changes)
        folded.anomalies = anomalies_flag(paid)
    return folded


# --- anomalies among the payments folded in ------------------------------------------------------

RAPID_PAYMENTS = 3  # this many payments on one card ...
RAPID_WINDOW = timedelta(minutes=10)  # ... within this long are flagged


@dataclass(frozen=True)
class _Paid:
    program_id: Any
    cooperative_id: Any
    village: str
    amount: int
    occurred_at: datetime
    card_id: Any
    household_id: Any


@dataclass
class _Found:
    program_id: Any
    kind: str
    card_id: Any
    cooperative_id: Any
    village: str
    payments: int
    amount: int
    first_at: datetime
    last_at: datetime
    home_cooperative_id: Any = None


def anomalies_flag(paid: list[_Paid]) -> int:
    """Flag the patterns among payments being counted (in the fold's transaction, so each payment is
    looked at once): a card paying RAPID_PAYMENTS times within RAPID_WINDOW, and a card paying at a
    cooperative outside its home cooperative's district (the reference data has no coordinates; the
    district, kecamatan, is the nearest measure of "far"). One row per card and day (RAPID: the
    longest burst) or per card, cooperative and day (FAR); a reviewed row that grows opens again.
    Returns the anomalies written."""
    if not paid:
        return 0
    found = _far(paid) | _rapid(paid)
    if not found:
        return 0
    existing = {a.key: a for a in Anomaly.objects.select_for_update().filter(key__in=list(found))}
    new = []
    for key, f in found.items():
        a = existing.get(key)
        if a is None:
            new.append(
                Anomaly(
                    key=key,
                    program_id=f.program_id,
                    kind=f.kind,
                    card_id=f.card_id,
                    cooperative_id=f.cooperative_id,
                    home_cooperative_id=f.home_cooperative_id,
                    region_code=f.village,
                    payments=f.payments,
                    amount=f.amount,
                    first_at=f.first_at,
                    last_at=f.last_at,
                )
            )
            continue
        if f.kind == Anomaly.Kind.FAR:  # more payments there that day
            a.payments, a.amount = a.payments + f.payments, a.amount + f.amount
            a.first_at, a.last_at = min(a.first_at, f.first_at), max(a.last_at, f.last_at)
        elif f.payments > a.payments:  # a longer burst that day: its own figures and times
            a.payments, a.amount, a.first_at, a.last_at = f.payments, f.amount, f.first_at, f.last_at
        else:  # a burst no longer than the one flagged: that one stands
            continue
        a.status = Anomaly.Status.OPEN  # reviewed before, it has grown since: to be looked at again
        a.save(update_fields=["payments", "amount", "first_at", "last_at", "status"])
    Anomaly.objects.bulk_create(new)
    return len(found)


def _far(paid: list[_Paid]) -> dict[str, _Found]:
    homes = {
        (program_id, household): (cooperative_id, village)
        for program_id, household, cooperative_id, village in Enrolment.objects.filter(
            program_id__in={p.program_id for p in paid}, household_id__in={p.household_id for p in paid}
        ).values_list("program_id", "household_id", "cooperative_id", "cooperative__region_code")
    }
    found: dict[str, _Found] = {}
    for p in paid:
        home = homes.get((p.program_id, p.household_id))
        if home is None or home[1][:8] == p.village[:8]:
            continue
        key = f"FAR:{p.card_id}:{p.cooperative_id}:{timezone.localdate(p.occurred_at).isoformat()}"
        f = found.get(key)
        if f is None:
            found[key] = _Found(
                p.program_id, Anomaly.Kind.FAR, p.card_id, p.cooperative_id, p.village, 1, p.amount,
                p.occurred_at, p.occurred_at, home[0],
            )  # fmt: skip
        else:
            f.payments, f.amount = f.payments + 1, f.amount + p.amount
            f.first_at, f.last_at = min(f.first_at, p.occurred_at), max(f.last_at, p.occurred_at)
    return found


def _rapid(paid: list[_Paid]) -> dict[str, _Found]:
    """The longest burst of each card around its new payments, from all its payments near them."""
    new_at: dict[Any, list[datetime]] = defaultdict(list)
    for p in paid:
        new_at[p.card_id].append(p.occurred_at)
    since = min(p.occurred_at for p in paid) - RAPID_WINDOW
    until = max(p.occurred_at for p in paid) + RAPID_WINDOW
    near: dict[Any, list[tuple]] = defaultdict(list)
    for row in (
        Redemption.objects.filter(
            card_id__in=list(new_at), status=Redemption.Status.PAID, occurred_at__gte=since, occurred_at__lte=until
        )
        .order_by("occurred_at")
        .values_list("card_id", "program_id", "cooperative_id", "region_code", "amount", "occurred_at")
    ):
        near[row[0]].append(row)
    found: dict[str, _Found] = {}
    for card_id, rows in near.items():
        best, start = None, 0
        for end in range(len(rows)):
            while rows[end][5] - rows[start][5] >= RAPID_WINDOW:
                start += 1
            burst = rows[start : end + 1]
            longer = len(burst) >= RAPID_PAYMENTS and (best is None or len(burst) > len(best))
            if longer and any(burst[0][5] <= t <= burst[-1][5] for t in new_at[card_id]):
                best = burst
        if best is None:
            continue
        _card, program_id, cooperative_id, village, _amount, last_at = best[-1]
        key = f"RAPID:{card_id}:{timezone.localdate(best[0][5]).isoformat()}"
        found[key] = _Found(
            program_id, Anomaly.Kind.RAPID, card_id, cooperative_id, village, len(best),
            sum(r[4] for r in best), best[0][5], last_at,
        )  # fmt: skip
    return found


def _table() -> str:
    return connection.ops.quote_name(Tally._meta.db_table)


def _add_payments(changes: dict[tuple[Any, str, str, str], _Change]) -> None:
    """Add each node's change to its tally row (made when missing), in one order for every writer."""
    t = _table()
    adapt = connection.ops.adapt_datetimefield_value
    statement = (
        f"INSERT INTO {t} (program_id, level, code, parent, enrolled, cards, credited, redeemed_count, "  # noqa: S608 - name from model meta
        "redeemed_amount, last_payment_at) VALUES (%s, %s, %s, %s, 0, 0, 0, %s, %s, %s) "
        "ON CONFLICT (program_id, level, code) DO UPDATE SET "
        f"redeemed_count = {t}.redeemed_count + excluded.redeemed_count, "
        f"redeemed_amount = {t}.redeemed_amount + excluded.redeemed_amount, "
        f"last_payment_at = CASE WHEN {t}.last_payment_at IS NULL OR excluded.last_payment_at > {t}.last_payment_at "
        f"THEN excluded.last_payment_at ELSE {t}.last_payment_at END"
    )
    rows = [
        (uuid_param(program_id), level, code, parent, c.count, c.amount, adapt(c.last) if c.last else None)
        for (program_id, level, code, parent), c in sorted(changes.items(), key=lambda kv: (str(kv[0][0]), *kv[0][1:]))
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def distribution_refresh(program: Program, *, now: datetime) -> int:
    """Count each node's enrolled households, their active cards and every credited cycle's
    entitlements anew (set-based: three grouped reads at cooperative level, rolled up above).
    Returns the number of nodes written."""
    base: dict[tuple[str, str, str], _Base] = defaultdict(_Base)

    def add(cooperative_id: Any, village: str, **values: int) -> None:
        for node in nodes_of(cooperative_id, village):
            row = base[node]
            for name, value in values.items():
                setattr(row, name, getattr(row, name) + (value or 0))

    active = Enrolment.objects.filter(program=program, status=Enrolment.Status.ACTIVE)
    for coop, village, enrolled in active.values_list("cooperative_id", "cooperative__region_code").annotate(
        n=Count("id")
    ):
        add(coop, village, enrolled=enrolled)
    carded = active.filter(household__cards__status=Card.Status.ACTIVE)
    for coop, village, cards in carded.values_list("cooperative_id", "cooperative__region_code").annotate(
        n=Count("household_id", distinct=True)
    ):
        add(coop, village, cards=cards)
    credited = Entitlement.objects.filter(
        cycle__program=program, cycle__status__in=[Cycle.Status.CREDITED, Cycle.Status.CLOSED]
    )
    for coop, village, amount in credited.values_list(
        "enrolment__cooperative_id", "enrolment__cooperative__region_code"
    ).annotate(total=Sum("amount")):
        add(coop, village, credited=amount)

    t = _table()
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        _locked(wait=True)
        Tally.objects.filter(program=program).update(enrolled=0, cards=0, credited=0, refreshed_at=now)
        statement = (
            f"INSERT INTO {t} (program_id, level, code, parent, enrolled, cards, credited, redeemed_count, "  # noqa: S608 - name from model meta
            "redeemed_amount, last_payment_at, refreshed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0, NULL, %s) "
            "ON CONFLICT (program_id, level, code) DO UPDATE SET enrolled = excluded.enrolled, "
            "cards = excluded.cards, credited = excluded.credited, refreshed_at = excluded.refreshed_at"
        )
        pid, at = uuid_param(program.pk), adapt(now)
        rows = [(pid, *node, b.enrolled, b.cards, b.credited, at) for node, b in sorted(base.items())]
        with connection.cursor() as cursor:
            cursor.executemany(statement, rows)
    return len(rows)


def distribution_rebuild(program: Program, *, now: datetime) -> int:
    """Every tally of the program made anew from the payments themselves (a repair, or after a
    restore), set-based: one grouped read of its payments by cooperative, rolled up above, in one
    snapshot with marking the payments it took counted (on PostgreSQL a repeatable-read transaction:
    a payment that commits meanwhile is in neither and is folded later). Then households, cards and
    credit are refreshed. Returns the number of nodes."""
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block  # else the caller's
    for attempt in range(5):
        try:
            with transaction.atomic():
                if snapshot:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                _locked(wait=True)
                _rebuild_payments(program)
            break
        except OperationalError:  # a payment voided under the snapshot: start again
            if attempt == 4:
                raise
    return distribution_refresh(program, now=now)


def _rebuild_payments(program: Program) -> None:
    paid = Redemption.objects.filter(program=program, status=Redemption.Status.PAID)
    changes: dict[tuple[Any, str, str, str], _Change] = defaultdict(_Change)
    grouped = paid.values_list("cooperative_id", "region_code").annotate(
        n=Count("id"), total=Sum("amount"), last=Max("occurred_at")
    )
    for cooperative_id, village, count, amount, last in grouped.order_by():
        for node in nodes_of(cooperative_id, village):
            change = changes[(program.pk, *node)]
            change.count += count
            change.amount += amount
            if change.last is None or last > change.last:
                change.last = last
    Tally.objects.filter(program=program).delete()
    pending = Redemption.objects.filter(program=program, tally__in=[TallyState.NEW, TallyState.VOID_PENDING])
    pending.filter(status=Redemption.Status.PAID).update(tally=TallyState.COUNTED)
    pending.update(tally=TallyState.DONE)  # voided: the grouping left them out
    _add_payments(changes)


def refresh_due(program: Program, *, now: datetime) -> bool:
    """Whether the program's households, cards and credit were last counted longer ago than
    REFRESH_AFTER (or never)."""
    last = Tally.objects.filter(program=program, level=Level.PROVINCE).order_by("refreshed_at")
    oldest = last.values_list("refreshed_at", flat=True).first()
    return oldest is None or oldest < now - REFRESH_AFTER


class ReviewNoteNeeded(DomainError):
    code = "aid.review_note_needed"
    http_status = 400
    message = gettext_lazy("Say what the review found.")


def anomaly_review(*, anomaly: Anomaly, actor: Any, note: str, occurred_at: datetime) -> None:
    """An officer has looked at the pattern (a note is required: what was found, what was done)."""
    note = note.strip()
    if not note:
        raise ReviewNoteNeeded()
    with transaction.atomic():
        anomaly = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
        if anomaly.status == Anomaly.Status.REVIEWED:
            return
        anomaly.status, anomaly.reviewed_by, anomaly.reviewed_at, anomaly.note = (
            Anomaly.Status.REVIEWED,
            actor,
            occurred_at,
            note[:300],
        )
        anomaly.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
        audit_record(
            actor=actor,
            event="aid.anomaly.reviewed",
            occurred_at=occurred_at,
            obj=anomaly,
            changes={
                "kind": anomaly.kind,
                "payments": anomaly.payments,
                "amount": anomaly.amount,
                "note": anomaly.note,
            },
        )
