"""A fixed-window counter per key in the database: shared by every worker process (a per-process
cache would multiply the limit by the number of workers), one statement per hit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection

from betang.core.models import Throttle

_HIT = (
    "INSERT INTO {table} (key, window_start, hits) VALUES (%s, %s, 1) "
    "ON CONFLICT (key) DO UPDATE SET "
    "hits = CASE WHEN {table}.window_start <= %s THEN 1 ELSE {table}.hits + 1 END, "
    "window_start = CASE WHEN {table}.window_start <= %s THEN excluded.window_start ELSE {table}.window_start END "
    "RETURNING hits, window_start"
)


def throttle_hit(key: str, *, limit: int, window: timedelta, now: datetime) -> int:
    """Count one hit of `key` at `now`. Returns 0 while within `limit` hits per `window`, else the
    seconds until the window ends (a caller then refuses, saying when to try again)."""
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(Throttle._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_HIT.format(table=table), [key[:200], adapt(now), adapt(now - window), adapt(now - window)])
        hits, started = cursor.fetchone()
    if hits <= limit:
        return 0
    if isinstance(started, str):  # SQLite gives the text it stored
        started = datetime.fromisoformat(started)
    if started.tzinfo is None:  # SQLite keeps UTC without its offset
        started = started.replace(tzinfo=UTC)
    return max(1, int((started + window - now).total_seconds()) + 1)


def throttle_clear(key: str) -> None:
    """Forget a key's hits (e.g. after the right answer)."""
    Throttle.objects.filter(key=key[:200]).delete()
