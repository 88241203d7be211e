"""Aid and ledger: card payments through the service (vs the same rows written by bare SQL), a hot
cooperative account vs payments spread over many, crediting a cycle of BENCH_CREDIT_HOUSEHOLDS
households (1,000,000 on PostgreSQL, 100,000 on SQLite by default; vs a bare COPY/executemany of the
same entries and postings) with a rerun and a crash mid-way, `betang ledger verify` over the result,
and on PostgreSQL the payment API over HTTP (gunicorn, a load generator on loopback) beside pgbench."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench import aid_world
from bench.harness import Result, Timer, drop_tables, shadow_tables
from betang.aid import pins
from betang.aid.contracts import BasketLine
from betang.aid.models import Card, Cycle, Redemption
from betang.aid.services.cards import cards_issue
from betang.aid.services.cycles import CHUNK, CycleError, cycle_credit
from betang.aid.services.payments import card_pay
from betang.core.forking import at_once
from betang.core.ids import new_id
from betang.ledger.models import Account, Entry, Posting
from betang.ledger.verify import ledger_verify
from betang.registry.models import Household

PAYMENTS = int(os.environ.get("BENCH_AID_PAYMENTS", "2000"))
CARDS = 2_000
PROCESSES = 4


def _credit_households() -> int:
    default = "1000000" if connection.vendor == "postgresql" else "100000"
    return int(os.environ.get("BENCH_CREDIT_HOUSEHOLDS", default))


# --- card payments -------------------------------------------------------------------------------


def _payment_world() -> tuple[aid_world.World, list[tuple[str, str]]]:
    """2,000 credited households of province 63 with a card each: (card number, PIN)."""
    world = aid_world.build(households=CARDS, villages=100, province="63")
    cycle = aid_world.approved_cycle(world)
    now = timezone.now()
    cycle_credit(cycle=cycle, occurred_at=now, recorded_at=now)
    households = list(Household.objects.filter(region_code__startswith="63."))
    issued = cards_issue(households=households, batch="bench", occurred_at=now, actor=world.maker)
    return world, [(i.card.number, i.pin) for i in issued]


def _pay(cards, cooperative_ids, count: int, seed: int, tag: str) -> int:
    rng = random.Random(seed)
    paid = 0
    for n in range(count):
        number, pin = cards[rng.randrange(len(cards))]
        now = timezone.now()
        card_pay(
            card_number=number,
            pin=pin,
            cooperative_id=cooperative_ids[rng.randrange(len(cooperative_ids))],
            basket=[BasketLine("BERAS", 1_000, "Beras 1 kg")],
            key=f"bench:{tag}:{n}",
            occurred_at=now,
            recorded_at=now,
        )
        paid += 1
    return paid


def _floor(cards, cooperative_id, program_id):
    """The same rows as a card payment — the card read under lock, the wallet's balance, the entry,
    its two postings, the redemption — written by bare SQL, one transaction per payment, into copies
    of the tables. Returns `write(count, seed) -> seconds` and `drop()`."""
    names = shadow_tables([Account, Entry, Posting, Redemption])
    sqlite = connection.vendor == "sqlite"

    def val(v):  # a key as the database takes it (hex text on SQLite)
        return Entry._meta.pk.get_db_prep_value(v, connection)

    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {names['ledger_account']} SELECT * FROM ledger_account")
    wallets = dict(
        Account.objects.filter(kind="HOUSEHOLD_WALLET", key__contains=":FOOD").values_list("owner_ref", "id")
    )
    payable = Account.objects.filter(kind="COOPERATIVE_PAYABLE").values_list("id", flat=True).first()
    households = dict(Card.objects.values_list("number", "household_id"))
    lock = "" if sqlite else " FOR UPDATE"
    when = connection.ops.adapt_datetimefield_value(timezone.now()) if sqlite else timezone.now()
    written = 0

    def write(count: int, seed: int) -> float:
        nonlocal written
        rng = random.Random(seed)
        with Timer() as t:
            for _ in range(count):
                n, written = written, written + 1
                number = cards[rng.randrange(len(cards))][0]
                household = households[number]
                wallet = wallets[f"registry.household:{household}"]
                entry = new_id()
                with transaction.atomic(), connection.cursor() as c:
                    c.execute("SELECT id, status, pin_hash FROM aid_card WHERE number = %s" + lock, [number])
                    card_id = c.fetchone()[0]
                    c.execute(
                        f"UPDATE {names['ledger_account']} SET balance = balance - 1000, version = version + 1 "
                        "WHERE id = %s",
                        [wallet],
                    )
                    c.execute(
                        f"INSERT INTO {names['ledger_entry']} (id, idempotency_key, request_hash, kind, occurred_at, "
                        "recorded_at, memo, postings_digest) VALUES (%s, %s, %s, %s, %s, %s, '', %s)",
                        [val(entry), f"floor:{n}", "0" * 64, "aid.card.payment", when, when, "0" * 64],
                    )
                    c.execute(
                        f"INSERT INTO {names['ledger_posting']} (entry_id, account_id, amount) "
                        "VALUES (%s, %s, %s), (%s, %s, %s)",
                        [val(entry), wallet, 1000, val(entry), payable, -1000],
                    )
                    c.execute(
                        f"INSERT INTO {names['aid_redemption']} (id, idempotency_key, request_hash, card_id, "
                        "household_id, cooperative_id, program_id, region_code, amount, basket, pockets, balances, "
                        "receipt_number, entry_id, status, origin, occurred_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [
                            val(new_id()),
                            f"floor:{n}",
                            "0" * 64,
                            val(card_id),
                            val(household),
                            val(cooperative_id),
                            val(program_id),
                            "63.01.01.1000",
                            1000,
                            '[{"category": "BERAS", "amount": 1000, "description": "Beras 1 kg"}]',
                            '{"FOOD": 1000}',
                            '[{"code": "FOOD", "name": "Pangan", "balance": 149000, "categories": ["BERAS"]}]',
                            f"F-{n}",
                            val(entry),
                            "PAID",
                            "ONLINE",
                            when,
                        ],
                    )
        return t.seconds

    return write, lambda: drop_tables(names)


def _rate_in_processes(fn: Callable[[int], int]) -> float:
    with Timer() as t:
        outcomes = at_once(fn, PROCESSES)
    failed = [o for o in outcomes if not isinstance(o, int)]
    if failed:
        raise RuntimeError(f"payments failed: {failed[:3]}")
    return sum(outcomes) / t.seconds


ROUNDS = 4  # service and floor take turns, so that both meet the machine in the same state


def _payments() -> tuple[list[Result], aid_world.World, list[tuple[str, str]]]:
    world, cards = _payment_world()
    coop = [world.cooperatives[0].pk]
    per_round = max(1, PAYMENTS // ROUNDS)
    service_seconds = floor_seconds = 0.0
    for r in range(ROUNDS):
        with Timer() as t:
            _pay(cards, coop, per_round, 1 + r, f"one{r}")
        service_seconds += t.seconds
        if r == 0:  # after the first payments: the cooperative's payable account exists
            floor_write, floor_drop = _floor(cards, coop[0], world.program.pk)
        floor_seconds += floor_write(per_round, 100 + r)
    floor_drop()
    service, floor = per_round * ROUNDS / service_seconds, per_round * ROUNDS / floor_seconds
    # Part of the check the floor leaves out and no payment can: the PIN against its online verifier.
    stored = Card.objects.filter(number=cards[0][0]).values_list("pin_hash", flat=True).get()
    with Timer() as p:
        checked = sum(pins.pin_matches(cards[0][1], stored) for _ in range(PAYMENTS))
    if checked != PAYMENTS:
        raise RuntimeError("the card's own PIN did not match its hash")
    label = "card payment, one at a time"
    note = (
        f"{ROUNDS} rounds of {per_round:,}, service and floor in turn; a PIN check (online verifier) takes "
        f"{p.seconds / PAYMENTS * 1e6:.1f} µs"
    )
    results = [
        Result(label, "service layer (lock, check, post)", service, "payments/s", floor, "bare SQL, same rows", note)
    ]

    # Several cashiers at once: all into one cooperative's payable, or spread over 100 cooperatives.
    per = PAYMENTS // PROCESSES
    share = len(cards) // PROCESSES  # each process its own cards: the card lock is not what is measured
    spread_ids = [c.pk for c in world.cooperatives]
    hot = _rate_in_processes(lambda i: _pay(cards[i * share : (i + 1) * share], coop, per, 10 + i, f"hot{i}"))
    spread = _rate_in_processes(
        lambda i: _pay(cards[i * share : (i + 1) * share], spread_ids, per, 20 + i, f"spread{i}")
    )
    label = f"card payments, {PROCESSES} processes at once"
    results.append(
        Result(label, "all into one cooperative (hot account)", hot, "payments/s", spread, "spread over 100")
    )
    return results, world, cards


# --- cycle credit --------------------------------------------------------------------------------


def _credit_in_process(cycle: Cycle, *, kill_after: float | None = None) -> dict[str, Any] | None:
    """`bench.run_credit` in its own process; killed (SIGKILL) after `kill_after` seconds if given."""
    connection.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.run_credit", str(cycle.pk)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings.base"},
    )
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"cycle credit failed: {err[-2000:]}")
    return json.loads(next(line[7:] for line in out.splitlines() if line.startswith("CREDIT ")))


def _bare_credit(households: int, budget: int) -> float:
    """The floor: the same entries and postings (one entry a batch of CHUNK households, debiting the
    budget once, and two wallet postings a household) loaded by a bare COPY (PostgreSQL) /
    executemany (SQLite) into copies of the ledger's tables."""
    names = shadow_tables([Entry, Posting])
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    when = connection.ops.adapt_datetimefield_value(now) if sqlite else now
    entries, postings = [], []
    for start in range(0, households, CHUNK):
        entry = new_id()
        key = entry.hex if sqlite else entry
        entries.append((key, f"bare:{start}", "0" * 64, "aid.cycle.credit", when, when, "", "0" * 64))
        size = min(CHUNK, households - start)
        postings.append((key, budget, 200_000 * size))
        for n in range(start, start + size):
            postings += [(key, 10 + 2 * n, -150_000), (key, 11 + 2 * n, -50_000)]
    entry_columns = "id, idempotency_key, request_hash, kind, occurred_at, recorded_at, memo, postings_digest"
    with Timer() as t, transaction.atomic(), connection.cursor() as cursor:
        if sqlite:
            cursor.executemany(
                f"INSERT INTO {names['ledger_entry']} ({entry_columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                entries,
            )
            cursor.executemany(
                f"INSERT INTO {names['ledger_posting']} (entry_id, account_id, amount) VALUES (%s, %s, %s)",
                postings,
            )
        else:
            with cursor.cursor.copy(f"COPY {names['ledger_entry']} ({entry_columns}) FROM STDIN") as copy:
                for row in entries:
                    copy.write_row(row)
            with cursor.cursor.copy(
                f"COPY {names['ledger_posting']} (entry_id, account_id, amount) FROM STDIN"
            ) as copy:
                for row in postings:
                    copy.write_row(row)
    drop_tables(names)
    return t.seconds


def _credits(households: int) -> list[Result]:
    label = f"cycle credit, {households:,} households"
    with Timer() as setup:
        world = aid_world.build(households=households, villages=1_000, province="62")
        first = aid_world.approved_cycle(world)
    bare = _bare_credit(households, world.program.budget_account_id)
    done = _credit_in_process(first)
    results = [
        Result(label, "credit (set-based, own process)", done["seconds"], "s", bare, "bare COPY/executemany"),
        Result(label, "peak memory of the crediting process", done["peak_kib"] / 1024, "MiB"),
    ]
    entries_before = Entry.objects.filter(kind="aid.cycle.credit").count()
    try:
        cycle_credit(cycle=first, occurred_at=timezone.now(), recorded_at=timezone.now())
        refused = False
    except CycleError:
        refused = True
    added = Entry.objects.filter(kind="aid.cycle.credit").count() - entries_before
    results.append(
        Result(label, "entries added by crediting it again", added, "entries", note="refused" if refused else "")
    )

    # The next cycle: killed half-way, then run again.
    second = aid_world.approved_cycle(world)
    _credit_in_process(second, kill_after=done["seconds"] / 2)
    status = Cycle.objects.get(pk=second.pk).status
    rerun = _credit_in_process(second)
    entries = Entry.objects.filter(idempotency_key__startswith=f"aid:credit:{second.pk}:").count()
    wallets = Account.objects.filter(kind="HOUSEHOLD_WALLET", key__startswith=f"aid:{world.program.code}:")
    # Two cycles in every household's two pockets: Rp300.000 food and Rp100.000 general, each once.
    exact = Counter(wallets.values_list("balance", flat=True)) == Counter({300_000: households, 100_000: households})
    results.append(
        Result(
            label,
            "killed mid-way, then rerun: households credited exactly once",
            rerun["households"],
            "households",
            note=(
                f"status after the kill {status}; rerun posted {rerun['posted']:,}, found "
                f"{rerun['already_posted']:,} already posted ({entries} entries); wallets exact: {exact}; "
                f"setup {setup.seconds:.0f} s"
            ),
        )
    )
    return results


def _verify() -> Result:
    entries = Entry.objects.count()
    with Timer() as t:
        checks = ledger_verify()
    broken = [c.name for c in checks if not c.ok]
    return Result(
        f"betang ledger verify ({entries:,} entries)",
        "all five checks",
        t.seconds,
        "s",
        note="clean" if not broken else f"BROKEN: {', '.join(broken)}",
    )


def run() -> list[Result]:
    results, world, cards = _payments()
    if connection.vendor == "postgresql":
        from bench.aid_http import http_results

        results += http_results(world, cards)
    results += _credits(_credit_households())
    results.append(_verify())
    return results
