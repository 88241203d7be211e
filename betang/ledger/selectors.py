"""Reads of the ledger: balances (kept, or summed for accounts that keep none) and statements."""

from __future__ import annotations

from django.db.models import Sum

from betang.ledger.models import Account, Posting


def account_balance(account_id: int) -> int:
    """The balance on the account's normal side."""
    side, kept = Account.objects.filter(pk=account_id).values_list("normal_side", "balance").get()
    if kept is not None:
        return kept
    total = Posting.objects.filter(account_id=account_id).aggregate(total=Sum("amount"))["total"] or 0
    return total if side == Account.Side.DEBIT else -total


def accounts_by_key(keys: list[str]) -> dict[str, tuple[int, int | None]]:
    """key → (account id, kept balance or None) for the accounts that exist."""
    return {
        key: (pk, kept) for key, pk, kept in Account.objects.filter(key__any=keys).values_list("key", "pk", "balance")
    }
