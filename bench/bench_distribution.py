"""The distribution view over many payments: each read of a node (province, regency, district, village,
in turn) folds the payments made since the last read into the tallies and reads them, while real card
payments keep posting between reads; beside it, in the same run, the raw GROUP BY over the payments
that the province's view would otherwise need.

The payments are loaded set-based into the real redemption table (its every index), 1,400
cooperatives in 14 regencies, then the tallies are rebuilt from them (timed too).
"""

from __future__ import annotations

import os
import random
import statistics

from django.db import connection
from django.utils import timezone

from bench import aid_world
from bench.harness import Result, Timer, percentile
from betang.aid.contracts import BasketLine
from betang.aid.models import Redemption, Tally
from betang.aid.selectors import distribution_view
from betang.aid.services import distribution
from betang.aid.services.cards import cards_issue
from betang.aid.services.cycles import cycle_credit
from betang.aid.services.payments import card_pay
from betang.regions.scope import RegionScope
from betang.registry.models import Cooperative, Household

PAYMENTS = int(os.environ.get("BENCH_DISTRIBUTION_PAYMENTS", "20000000"))
READS = int(os.environ.get("BENCH_DISTRIBUTION_READS", "400"))
PAYMENTS_PER_READ = 3  # real payments between two reads: what the next read folds in
PROVINCE = "66"
REGENCIES, DISTRICTS, VILLAGES = 14, 10, 10  # 1,400 cooperatives, a village each
HOUSEHOLDS = 2_000
CHUNK = 1_000_000


def _village(n: int) -> str:
    return f"{PROVINCE}.{1 + n % REGENCIES:02d}.{1 + n // REGENCIES % DISTRICTS:02d}.{2001 + n // (REGENCIES * DISTRICTS):04d}"


def _world():
    villages = REGENCIES * DISTRICTS * VILLAGES
    world = aid_world.build(households=HOUSEHOLDS, villages=villages, province=PROVINCE)
    now = timezone.now()
    cycle_credit(cycle=aid_world.approved_cycle(world), occurred_at=now, recorded_at=now)
    issued = cards_issue(
        households=list(Household.objects.filter(region_code__startswith=PROVINCE + ".")),
        batch="bench",
        occurred_at=now,
        actor=world.maker,
    )
    # Spread the cooperatives over 14 regencies (aid_world puts every village in one).
    for n, coop in enumerate(world.cooperatives):
        Cooperative.objects.filter(pk=coop.pk).update(region_code=_village(n))
    return world, [(i.card.number, i.pin) for i in issued]


def _load(program, payments: int) -> tuple[float, float]:
    """`payments` paid redemptions, already counted, spread over the cooperatives and the cards, in
    chunks of a million by INSERT … SELECT (on PostgreSQL into the table stripped of its indexes and
    keys, made again after); seconds taken loading, and making the indexes again."""
    pg = connection.vendor == "postgresql"
    table = connection.ops.quote_name(Redemption._meta.db_table)
    slots = list(
        Household.objects.filter(region_code__startswith=PROVINCE + ".", cards__isnull=False)
        .order_by("pk")
        .values_list("cards__id", "pk")
    )
    coops = list(Cooperative.objects.filter(region_code__startswith=PROVINCE + ".").values_list("pk", "region_code"))
    prep = Redemption._meta.pk.get_db_prep_value
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_slot")
        cursor.execute(
            f"CREATE TEMP TABLE bench_slot (k integer PRIMARY KEY, card_id {'uuid' if pg else 'char(32)'}, "
            f"household_id {'uuid' if pg else 'char(32)'}, cooperative_id {'uuid' if pg else 'char(32)'}, "
            "region_code varchar(13))"
        )
        cursor.executemany(
            "INSERT INTO bench_slot VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    k,
                    prep(card, connection),
                    prep(home, connection),
                    prep(coops[k % len(coops)][0], connection),
                    coops[k % len(coops)][1],
                )
                for k, (card, home) in enumerate(slots)
            ],
        )
        program_id = prep(program.pk, connection)
        if pg:
            series = "generate_series(%s::bigint, %s::bigint) AS g(i)"
            ident = "('00000000-0000-7000-8000-' || lpad(to_hex(g.i), 12, '0'))::uuid"
            at = "now() - (g.i %% 2592000) * interval '1 second'"
            empty_list, empty_map = "'[]'::jsonb", "'{}'::jsonb"
        else:
            series = (
                "(WITH RECURSIVE s(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM s WHERE i < %s) SELECT i FROM s) AS g"
            )
            ident = "printf('000000000000700080%%014x', g.i)"
            at = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (g.i %% 2592000) || ' seconds')"
            empty_list, empty_map = "'[]'", "'{}'"
        statement = (
            f"INSERT INTO {table} (id, idempotency_key, request_hash, card_id, household_id, cooperative_id, "
            "outlet_id, program_id, region_code, amount, basket, pockets, balances, receipt_number, entry_id, "
            f"void_entry_id, settlement_id, status, origin, operator_id, occurred_at, tally) SELECT {ident}, "
            "'bench:' || g.i, '', s.card_id, s.household_id, s.cooperative_id, NULL, %s, s.region_code, "
            f"(g.i %% 20 + 1) * 5000, {empty_list}, {empty_map}, {empty_list}, 'B' || g.i, {ident}, NULL, NULL, "
            f"'PAID', 'ONLINE', NULL, {at}, 1 FROM {series} JOIN bench_slot s ON s.k = g.i %% %s"
        )
        remake = _keys_dropped(cursor, Redemption._meta.db_table) if pg else []
        with Timer() as loaded:
            for start in range(0, payments, CHUNK):
                end = min(start + CHUNK, payments) - 1
                cursor.execute(statement, [program_id, start, end, len(slots)])
        with Timer() as indexed:
            for again in remake:
                cursor.execute(again)
        if pg:
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("DROP TABLE bench_slot")
    return loaded.seconds, indexed.seconds


def _keys_dropped(cursor, name: str) -> list[str]:
    """PostgreSQL: the table's indexes, unique and foreign keys but its primary key dropped, so that
    loading millions of rows writes the rows alone (a deferred foreign key check queues an event per
    row); returns the statements that make them again, as the migrations made them."""
    table = connection.ops.quote_name(name)
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('u', 'f')",
        [name],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [name, name],
    )
    indexes = cursor.fetchall()
    for constraint, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
    for index, _definition in indexes:
        cursor.execute(f'DROP INDEX "{index}"')
    return [definition for _index, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}' for constraint, definition in constraints
    ]


def _raw_group_by(program) -> list[tuple]:
    """What the province's view would need without tallies: its regencies' figures, grouped from the payments."""
    table = connection.ops.quote_name(Redemption._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT substr(region_code, 1, 5), count(*), sum(amount), max(occurred_at) FROM {table} "
            "WHERE program_id = %s AND status = 'PAID' GROUP BY substr(region_code, 1, 5) ORDER BY 1",
            [Redemption._meta.pk.get_db_prep_value(program.pk, connection)],
        )
        return cursor.fetchall()


def run() -> list[Result]:
    world, cards = _world()
    program = world.program
    load_seconds, index_seconds = _load(program, PAYMENTS)
    now = timezone.now()
    with Timer() as rebuilt:
        distribution.distribution_rebuild(program, now=now)

    raw_times = []
    for _ in range(3):
        with Timer() as raw:
            grouped = _raw_group_by(program)
        raw_times.append(raw.seconds * 1000)
    raw_ms = statistics.median(raw_times)

    scope = RegionScope(PROVINCE)
    coops = list(Cooperative.objects.filter(region_code__startswith=PROVINCE + ".").values_list("pk", "region_code"))
    nodes = [PROVINCE, *{c[1][:5] for c in coops[:5]}, *{c[1][:8] for c in coops[:5]}, *[c[1] for c in coops[:5]]]
    rng = random.Random(11)
    samples, made = [], 0
    for n in range(READS):
        for _ in range(PAYMENTS_PER_READ):
            number, pin = cards[rng.randrange(len(cards))]
            coop, _village = coops[rng.randrange(len(coops))]
            at = timezone.now()
            card_pay(
                card_number=number,
                pin=pin,
                cooperative_id=coop,
                basket=[BasketLine("BERAS", 1_000, "Beras")],
                key=f"bench:dist:{n}:{made}",
                occurred_at=at,
                recorded_at=at,
            )
            made += 1
        with Timer() as read:
            distribution.distribution_fold(max_batches=2)
            distribution_view(program, scope=scope, code=nodes[n % len(nodes)])
        samples.append(read.seconds * 1000)

    # The tallies are what grouping the payments gives, after every payment made during the reads.
    province = distribution_view(program, scope=scope, code=PROVINCE)
    expected = {r[0]: (r[1], r[2]) for r in _raw_group_by(program)}
    kept = {c.code: (c.redeemed_count, c.redeemed_amount) for c in province.children}
    agree = "tallies equal the GROUP BY" if kept == expected else "TALLIES DIFFER FROM THE GROUP BY"
    total = sum(count for count, _amount in expected.values())
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    label = f"distribution view over {total:,} payments"
    nodes_note = f"{Tally.objects.filter(program=program).count():,} tally rows; {len(grouped)} regencies"
    return [
        Result(
            label,
            "p95 read (fold + view)",
            round(p95, 2),
            "ms",
            baseline=round(raw_ms, 1),
            baseline_label="raw GROUP BY of the payments (province view)",
            note=f"p50 {p50:.2f} ms; {PAYMENTS_PER_READ} card payments posted before each of {READS} reads; {agree}; goal p95 ≤ 50 ms",
        ),
        Result(
            label,
            "rebuild of the tallies from the payments",
            round(rebuilt.seconds, 2),
            "s",
            note=f"{nodes_note}; loading the payments took {load_seconds:.1f} s"
            + (f", then {index_seconds:.1f} s to build their indexes and keys" if index_seconds > 0.05 else ""),
        ),
    ]
