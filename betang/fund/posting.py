"""The fund's ledger accounts and the legs of its money events."""

from __future__ import annotations

from typing import Any

from betang.ledger.services import Leg

CREDIT, DEBIT = "CREDIT", "DEBIT"


def pool_account(code: str) -> dict[str, Any]:
    """The fund's money at the bank, ready to lend: an asset that may not go below zero."""
    return {"key": f"fund:{code}:pool", "name": f"Kas dana bergulir {code}", "kind": "FUND_POOL",
            "normal_side": DEBIT, "allow_negative": False}  # fmt: skip


def funding_account(code: str) -> dict[str, Any]:
    """Where the capital comes from (the APBD's investment): the hot side of every capital transfer."""
    return {"key": f"fund:{code}:capital", "name": f"Modal dana bergulir {code}", "kind": "FUNDING",
            "normal_side": CREDIT, "allow_negative": True}  # fmt: skip


def income_account(code: str) -> dict[str, Any]:
    """Interest, fees and penalties: Lain-lain PAD yang sah – hasil pengelolaan dana bergulir."""
    return {"key": f"fund:{code}:income", "name": f"Pendapatan dana bergulir {code}", "kind": "INCOME",
            "normal_side": CREDIT, "allow_negative": True}  # fmt: skip


def receivable_account(code: str, loan_id: Any, number: str, region_code: str) -> dict[str, Any]:
    return {"key": f"fund:{code}:loan:{loan_id}", "name": f"Piutang {number}", "kind": "LOAN_RECEIVABLE",
            "normal_side": DEBIT, "allow_negative": False, "region_code": region_code,
            "owner_ref": f"fund.loan:{loan_id}"}  # fmt: skip


def writeoff_account(code: str) -> dict[str, Any]:
    """Loans written off (hapus buku): still owed, collected if the cooperative pays (or PUPN collects),
    which then lowers it."""
    return {"key": f"fund:{code}:writeoff", "name": f"Piutang dihapusbukukan {code}", "kind": "WRITE_OFF",
            "normal_side": DEBIT, "allow_negative": False}  # fmt: skip


def capital_legs(amount: int, *, pool: int, funding: int) -> list[Leg]:
    """Capital arrives: Dr pool, Cr funding source."""
    return [Leg(pool, amount), Leg(funding, -amount)]


def disbursement_legs(amount: int, fee: int, *, receivable: int, pool: int, income: int) -> list[Leg]:
    """The loan leaves the pool: Dr the loan's receivable the whole principal, Cr the pool what is
    transferred and Cr income the admin fee kept from it."""
    legs = [Leg(receivable, amount), Leg(pool, -(amount - fee))]
    return legs + ([Leg(income, -fee)] if fee else [])


def overpaid_account(code: str, loan_id: Any, number: str, region_code: str) -> dict[str, Any]:
    """What a cooperative paid beyond its whole loan: owed back to it (or applied as it decides)."""
    return {"key": f"fund:{code}:loan:{loan_id}:overpaid", "name": f"Kelebihan bayar {number}", "kind": "SUSPENSE",
            "normal_side": CREDIT, "allow_negative": False, "region_code": region_code,
            "owner_ref": f"fund.loan:{loan_id}"}  # fmt: skip


def repayment_legs(
    amount: int, *, principal: int, income: int, overpaid: int, pool: int, receivable: int, income_account: int,
    overpaid_account: int | None,
) -> list[Leg]:  # fmt: skip
    """A repayment arrives: Dr pool all of it; Cr the receivable the principal, Cr income the interest
    and penalty, Cr the overpayment account what is beyond the loan."""
    legs = [Leg(pool, amount)]
    if principal:
        legs.append(Leg(receivable, -principal))
    if income:
        legs.append(Leg(income_account, -income))
    if overpaid:
        legs.append(Leg(overpaid_account, -overpaid))
    return legs


def capitalisation_legs(amount: int, *, receivable: int, income: int) -> list[Leg]:
    """Interest added to the principal (a capitalising grace month, a restructuring's arrears): Dr the
    loan's receivable, Cr the fund's income."""
    return [Leg(receivable, amount), Leg(income, -amount)]


def interest_credit_legs(amount: int, *, receivable: int, income: int) -> list[Leg]:
    """Interest paid in advance for periods that will not run (a loan restructured or settled early)
    goes to the principal: Dr the fund's income, Cr the loan's receivable."""
    return [Leg(income, amount), Leg(receivable, -amount)]


def writeoff_legs(amount: int, *, receivable: int, writeoff: int) -> list[Leg]:
    """A loan written off: Dr the fund's write-offs, Cr the loan's receivable what it held."""
    return [Leg(writeoff, amount), Leg(receivable, -amount)]
