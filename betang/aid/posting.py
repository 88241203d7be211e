"""Aid's ledger accounts and entries: which account is whose, and the legs of each money event (a
cycle credit's — Dr budget, Cr each pocket's wallet — are a query: services.cycles._credit_legs)."""

from __future__ import annotations

from typing import Any

from betang.core.ids import uuid_text_sql
from betang.ledger.services import Leg

CREDIT, DEBIT = "CREDIT", "DEBIT"


def budget_account(program_code: str) -> dict[str, Any]:
    return {
        "key": f"aid:{program_code}:budget",
        "name": f"Pagu {program_code}",
        "kind": "PROGRAM_BUDGET",
        "normal_side": CREDIT,
        "allow_negative": False,
    }


def bank_account(program_code: str) -> dict[str, Any]:
    """The program's money at the bank (RKUD): a debit-normal asset."""
    return {
        "key": f"aid:{program_code}:bank",
        "name": f"Rekening {program_code}",
        "kind": "BANK",
        "normal_side": DEBIT,
        "allow_negative": True,
    }


def wallet_prefix(program_code: str) -> str:
    """What every wallet key of a program starts with."""
    return f"aid:{program_code}:wallet:"


def wallet_key(program_code: str, household_id: Any, pocket_code: str) -> str:
    return f"{wallet_prefix(program_code)}{household_id}:{pocket_code}"


def wallet_key_sql(program_code: str, household_id: str, pocket_code: str) -> str:
    """wallet_key inside a statement, from SQL expressions for the program's code, the household's
    id column and the pocket's code (tested equal to wallet_key on both databases)."""
    return f"'aid:' || {program_code} || ':wallet:' || {uuid_text_sql(household_id)} || ':' || {pocket_code}"


def wallet_account(program_code: str, household_id: Any, pocket_code: str, region_code: str) -> dict[str, Any]:
    return {
        "key": wallet_key(program_code, household_id, pocket_code),
        "name": f"Dompet {pocket_code}",
        "kind": "HOUSEHOLD_WALLET",
        "normal_side": CREDIT,
        "allow_negative": False,
        "region_code": region_code,
        "owner_ref": f"registry.household:{household_id}",
    }


def payable_key(program_code: str, cooperative_id: Any) -> str:
    return f"aid:{program_code}:payable:{cooperative_id}"


def payable_key_sql(program_code: str, cooperative_text: str) -> str:
    """payable_key inside a statement, from SQL expressions for the program's code and the
    cooperative's id as str(UUID) gives it (a parameter, say)."""
    return f"'aid:' || {program_code} || ':payable:' || {cooperative_text}"


def payable_account(program_code: str, cooperative_id: Any, region_code: str) -> dict[str, Any]:
    """What the program owes a cooperative for redemptions: the hot account, never locked."""
    return {
        "key": payable_key(program_code, cooperative_id),
        "name": f"Utang ke koperasi {cooperative_id}",
        "kind": "COOPERATIVE_PAYABLE",
        "normal_side": CREDIT,
        "allow_negative": True,
        "region_code": region_code,
        "owner_ref": f"registry.cooperative:{cooperative_id}",
    }


def funding_legs(amount: int, *, bank: int, budget: int) -> list[Leg]:
    """Money arrives from the APBD: Dr bank, Cr budget."""
    return [Leg(bank, amount), Leg(budget, -amount)]


def payment_legs(taken: dict[int, int], *, payable: int) -> list[Leg]:
    """A card payment: Dr each wallet it takes from, Cr what the program owes the cooperative."""
    return [*(Leg(wallet, amount) for wallet, amount in taken.items()), Leg(payable, -sum(taken.values()))]


def sweep_legs(amounts: dict[int, int], *, budget: int) -> list[Leg]:
    """Unspent funds that expire: Dr each wallet, Cr budget."""
    return [*(Leg(wallet, amount) for wallet, amount in amounts.items()), Leg(budget, -sum(amounts.values()))]


def settlement_legs(amount: int, *, payable: int, bank: int) -> list[Leg]:
    """The program pays a cooperative what it owes by bank transfer: Dr its payable, Cr the program's bank."""
    return [Leg(payable, amount), Leg(bank, -amount)]
