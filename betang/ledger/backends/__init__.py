"""The ledger's SQL by database, below its services: each module offers the same steps (`post_one`,
`lock_limited`, `add_to_balances`, `sql` and a query post's `tune`/`untune`/`analyze`); `current()`
is the running database's."""

from __future__ import annotations

from types import ModuleType

from django.db import connection

from betang.ledger.backends import postgresql, sqlite

_BY_VENDOR = {"postgresql": postgresql, "sqlite": sqlite}


def current() -> ModuleType:
    """The backend module of the database this thread's connection talks to."""
    return _BY_VENDOR[connection.vendor]
