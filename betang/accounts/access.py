"""The one place that decides what a user may see and do: capabilities per role, scope per user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from betang.accounts.roles import Role
from betang.regions.scope import RegionScope

# Capabilities grow with the platform; each names something a page or endpoint checks.
VIEW_REGIONS = "regions.view"
LOAD_REGIONS = "regions.load"
VIEW_AUDIT = "audit.view"
VIEW_TASKS = "tasks.view"
USE_ADMIN = "admin.use"
VIEW_REGISTRY = "registry.view"  # organisations: cooperatives and their outlets, UMKM, BUMDes
VIEW_PERSONS = "registry.persons"  # households and persons (masked NIK/KK), cooperative members, their imports
EDIT_REGISTRY = "registry.edit"  # import files, create and update rows
VIEW_FULL_NIK = "registry.full_nik"  # see an unmasked NIK/KK (each view is audited)
REVIEW_DUPLICATES = "registry.review_duplicates"
AID_PAY = "aid.pay"  # take a card payment, check a card's balance (POS, integrations)
AID_VOID = "aid.void"  # void a card payment (a supervisor)
AID_VIEW = "aid.view"  # programs, cycles, enrolments and cards in one's area
AID_MANAGE = "aid.manage"  # draft, submit, credit and close cycles; issue and manage cards (the maker)
AID_APPROVE = "aid.approve"  # approve a cycle someone else prepared (the checker)
OUTLET_SELL = "outlets.sell"  # sell at an outlet's point of sale (cash and aid card)
OUTLET_VOID = "outlets.void"  # void a sale of today (a supervisor)
OUTLET_MANAGE = "outlets.manage"  # items, prices, stock received and adjusted
OUTLET_VIEW = "outlets.view"  # read the outlets of one's area: sales of any day, receipts, stock, reports
FUND_VIEW = "fund.view"  # the revolving fund: pool, loans and portfolio of one's area
FUND_MANAGE = "fund.manage"  # assess applications, disburse, record and import repayments (the maker)
FUND_APPROVE = "fund.approve"  # approve or reject an application someone else assessed (the checker)
FUND_APPLY = "fund.apply"  # a cooperative's treasurer: apply for a loan, see its own loans and schedule

# These roles act for one cooperative, the one they are bound to in the registry (CooperativeStaff);
# unbound, they act for none.
COOPERATIVE_BOUND_ROLES = frozenset({Role.COOPERATIVE_OPERATOR, Role.CASHIER})

_EVERYONE = {VIEW_REGIONS, VIEW_TASKS}
_REGISTRY_OFFICER = {VIEW_REGISTRY, VIEW_PERSONS, EDIT_REGISTRY, VIEW_FULL_NIK, REVIEW_DUPLICATES}

# Least privilege (docs/access.md holds the whole role × data matrix): a role sees the data its work
# needs. The fund officer lends to cooperatives and the procurement buyer buys from UMKM, BUMDes and
# cooperatives: both see organisations, never households or persons. The cooperative operator sees the
# households and members of its own village (its scope); the cashier sees no registry at all.

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.PROVINCIAL_OFFICER: frozenset(
        _EVERYONE
        | _REGISTRY_OFFICER
        | {VIEW_AUDIT, AID_VIEW, AID_MANAGE, AID_APPROVE, OUTLET_VIEW, FUND_VIEW, FUND_APPROVE}
    ),
    Role.REGENCY_OFFICER: frozenset(
        _EVERYONE | _REGISTRY_OFFICER | {VIEW_AUDIT, AID_VIEW, AID_MANAGE, OUTLET_VIEW, FUND_VIEW}
    ),
    Role.COOPERATIVE_OPERATOR: frozenset(
        _EVERYONE
        | {VIEW_REGISTRY, VIEW_PERSONS, AID_PAY, AID_VOID, OUTLET_SELL, OUTLET_VOID, OUTLET_MANAGE, FUND_APPLY}
    ),
    Role.CASHIER: frozenset(_EVERYONE | {AID_PAY, OUTLET_SELL}),
    Role.FUND_OFFICER: frozenset(_EVERYONE | {VIEW_REGISTRY, FUND_VIEW, FUND_MANAGE, FUND_APPROVE}),
    Role.PROCUREMENT_BUYER: frozenset(_EVERYONE | {VIEW_REGISTRY}),
    Role.AUDITOR: frozenset(
        _EVERYONE | {VIEW_AUDIT, VIEW_REGISTRY, VIEW_PERSONS, VIEW_FULL_NIK, AID_VIEW, OUTLET_VIEW, FUND_VIEW}
    ),
    Role.ADMINISTRATOR: frozenset(
        _EVERYONE
        | _REGISTRY_OFFICER
        | {VIEW_AUDIT, LOAD_REGIONS, USE_ADMIN, AID_PAY, AID_VOID, AID_VIEW, AID_MANAGE, AID_APPROVE}
        | {OUTLET_SELL, OUTLET_VOID, OUTLET_MANAGE, OUTLET_VIEW, FUND_VIEW, FUND_MANAGE, FUND_APPROVE}
    ),
}


def user_has_capability(user: Any, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if capability == USE_ADMIN and not user.is_staff:
        return False  # Django's admin itself admits staff only; never show a link it would refuse
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def user_scope(user: Any) -> RegionScope:
    """The region scope of a user; anonymous users reach nothing (an impossible prefix is not needed:
    callers check authentication first)."""
    return RegionScope(user.scope_region_code or "")


def scope_filter(user: Any, field: str = "region_code") -> Q:
    """A Q that keeps only rows inside the user's scope, for selectors of scoped rows."""
    return user_scope(user).q(field)
