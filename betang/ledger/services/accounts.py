"""Opening ledger accounts: one (a program's budget, a cooperative's payable) or thousands at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from betang.core.bulk import bulk_insert
from betang.ledger.models import Account
from betang.ledger.services.types import LedgerError

_COLUMNS = ["key", "name", "kind", "normal_side", "allow_negative", "balance", "region_code", "owner_ref", "created_at"]


def account_open(
    *,
    key: str,
    name: str,
    kind: str,
    normal_side: str,
    allow_negative: bool,
    occurred_at: datetime,
    region_code: str = "",
    owner_ref: str = "",
) -> Account:
    """The account with this key, opened if new. Reopening with another side or limit is refused."""
    account = Account.objects.filter(key=key).first()
    if account is None:
        try:
            with transaction.atomic():
                return Account.objects.create(
                    key=key,
                    name=name,
                    kind=kind,
                    normal_side=normal_side,
                    allow_negative=allow_negative,
                    balance=None if allow_negative else 0,
                    region_code=region_code,
                    owner_ref=owner_ref,
                    created_at=occurred_at,
                )
        except IntegrityError:
            account = Account.objects.get(key=key)
    if (account.kind, account.normal_side, account.allow_negative) != (kind, normal_side, allow_negative):
        raise LedgerError(_("Account %(key)s already exists with other terms.") % {"key": key})
    return account


def accounts_open_many(rows: Iterable[dict[str, Any]], *, occurred_at: datetime) -> dict[str, int]:
    """Open many accounts at once (enrolment of thousands of households): key → id, existing kept."""
    rows = list(rows)
    keys = [r["key"] for r in rows]
    found = dict(Account.objects.filter(key__any=keys).values_list("key", "id"))
    new = [r for r in rows if r["key"] not in found]
    bulk_insert(Account, _COLUMNS, (_row(r, occurred_at) for r in new))
    if new:
        found.update(Account.objects.filter(key__any=[r["key"] for r in new]).values_list("key", "id"))
    return found


def _row(r: dict[str, Any], occurred_at: datetime) -> tuple:
    """An account's values in _COLUMNS' order, its balance kept (from zero) only when it is limited."""
    return (
        r["key"],
        r["name"],
        r["kind"],
        r["normal_side"],
        r["allow_negative"],
        None if r["allow_negative"] else 0,
        r.get("region_code", ""),
        r.get("owner_ref", ""),
        occurred_at,
    )
