"""Programs, their budget, and who is enrolled: by the program's eligibility rule or by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from betang.aid import posting
from betang.aid.models import Enrolment, NationalAid, Pocket, Program, never_from_aid
from betang.core.audit import audit_record
from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError
from betang.core.ids import new_id
from betang.ledger.services import account_open, journal_post
from betang.registry import selectors as registry


class ProgramError(DomainError):
    code = "aid.program"


@dataclass(frozen=True)
class PocketSpec:
    code: str
    name: str
    categories: list[str] = field(default_factory=list)  # empty: any goods
    amount_per_household: int = 0
    amount_per_member: int = 0
    member_cap: int = 0


def program_create(
    *,
    code: str,
    name: str,
    pockets: list[PocketSpec],
    occurred_at: datetime,
    actor: Any = None,
    region_code: str = "",
    cycle_months: int = 1,
    unspent: str = Program.Unspent.CARRY_OVER,
    eligibility: dict | None = None,
    excluded_categories: list[str] | None = None,
    approvals_required: int = 1,
    extra_approval_above: int = 0,
) -> Program:
    if not pockets:
        raise ProgramError(_("A program needs at least one pocket."))
    with transaction.atomic():
        budget = account_open(**posting.budget_account(code), occurred_at=occurred_at, region_code=region_code)
        bank = account_open(**posting.bank_account(code), occurred_at=occurred_at, region_code=region_code)
        program = Program.objects.create(
            code=code,
            name=name,
            region_code=region_code,
            cycle_months=cycle_months,
            unspent=unspent,
            eligibility=eligibility or {},
            excluded_categories=never_from_aid() if excluded_categories is None else list(excluded_categories),
            approvals_required=approvals_required,
            extra_approval_above=extra_approval_above,
            budget_account_id=budget.pk,
            bank_account_id=bank.pk,
            created_at=occurred_at,
        )
        Pocket.objects.bulk_create(
            [
                Pocket(
                    program=program,
                    code=p.code,
                    name=p.name,
                    categories=list(p.categories),
                    amount_per_household=p.amount_per_household,
                    amount_per_member=p.amount_per_member,
                    member_cap=p.member_cap,
                )
                for p in pockets
            ]
        )
        audit_record(
            actor=actor, event="aid.program.created", occurred_at=occurred_at, obj=program, region_code=region_code
        )
    return program


def program_fund(
    *, program: Program, amount: int, reference: str, occurred_at: datetime, recorded_at: datetime, actor: Any = None
):
    """Money for the program arrives from the APBD (the bank reference is the idempotency key)."""
    if amount <= 0:
        raise ProgramError(_("The amount must be positive."))
    return journal_post(
        key=f"aid:{program.code}:fund:{reference}",
        kind="aid.budget.funded",
        legs=posting.funding_legs(amount, bank=program.bank_account_id, budget=program.budget_account_id),
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=actor,
        memo=reference,
    )


KEPT = 1000


@dataclass
class EligibilityReview:
    joined: list[dict[str, str]] = field(default_factory=list)  # {"household", "reason"}
    left: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # eligible, but cannot be enrolled

    def as_dict(self) -> dict[str, Any]:
        """What a cycle keeps: the counts, and the first KEPT households of each list (a province's
        first cycle enrols hundreds of thousands; the enrolments themselves hold each one's reason)."""
        lists = {"joined": self.joined, "left": self.left, "skipped": self.skipped}
        return {name: rows[:KEPT] for name, rows in lists.items()} | {
            "counts": {name: len(rows) for name, rows in lists.items()}
        }


def eligible_households(program: Program) -> dict[Any, str]:
    """household id → village code, for every household the program's rule admits today."""
    rule = program.eligibility or {}
    regions = list(rule.get("regencies") or ([program.region_code] if program.region_code else []))
    max_decile = rule.get("max_decile")
    households = dict(
        registry.households_for_programs(regions=regions, max_decile=max_decile).values_list("id", "region_code")
    )
    excluded = set(rule.get("exclude") or [])
    if excluded and households:
        for household_id in NationalAid.objects.filter(kind__in=excluded).values_list("household_id", flat=True):
            households.pop(household_id, None)
    return households


def rule_text(program: Program) -> str:
    """The eligibility rule in words: `DTSEN decile ≤ 4; in 62; not in PKH`."""
    rule = program.eligibility or {}
    parts = []
    if rule.get("max_decile") is not None:
        parts.append(_("DTSEN decile ≤ %(d)s") % {"d": rule["max_decile"]})
    if rule.get("regencies"):
        parts.append(_("in %(r)s") % {"r": ", ".join(rule["regencies"])})
    if rule.get("exclude"):
        parts.append(_("not in %(p)s") % {"p": ", ".join(rule["exclude"])})
    return "; ".join(parts) or _("every household")


def enrolments_review(*, program: Program, occurred_at: datetime, actor: Any = None) -> EligibilityReview:
    """Apply the rule: enrol newly eligible households (home cooperative: their village's), end the
    enrolment of those no longer eligible. Enrolments made by hand (reason starts "manual") stay."""
    review = EligibilityReview()
    eligible = eligible_households(program)
    with transaction.atomic():
        active = dict(
            Enrolment.objects.filter(program=program, status=Enrolment.Status.ACTIVE).values_list(
                "household_id", "reason"
            )
        )
        ended = set(
            Enrolment.objects.filter(program=program, status=Enrolment.Status.ENDED).values_list(
                "household_id", flat=True
            )
        )
        leaving = [h for h, reason in active.items() if h not in eligible and not reason.startswith("manual")]
        if leaving:
            Enrolment.objects.filter(program=program, household_id__in=leaving).update(
                status=Enrolment.Status.ENDED,
                ended_at=occurred_at,
                reason=_("no longer meets: %(rule)s") % {"rule": rule_text(program)},
            )
            review.left = [{"household": str(h), "reason": _("no longer meets the rule")} for h in leaving]
        joining = {h: v for h, v in eligible.items() if h not in active}
        homes = registry.home_cooperatives(set(joining.values()))
        new, back = [], []
        for household_id, village in joining.items():
            cooperative = homes.get(village)
            if cooperative is None:
                review.skipped.append(
                    {"household": str(household_id), "reason": _("no active cooperative in the village")}
                )
                continue
            (back if household_id in ended else new).append((household_id, village, cooperative))
        reason = _("meets: %(rule)s") % {"rule": rule_text(program)}
        bulk_insert(  # a province's first review enrols hundreds of thousands at once
            Enrolment,
            ["id", "program", "household", "region_code", "cooperative", "reason", "enrolled_at"],
            ((new_id(), program.pk, h, v, c, reason, occurred_at) for h, v, c in new),
        )
        for h, v, c in back:
            Enrolment.objects.filter(program=program, household_id=h).update(
                status=Enrolment.Status.ACTIVE, cooperative_id=c, region_code=v, reason=reason, ended_at=None
            )
        review.joined = [{"household": str(h), "reason": reason} for h, _v, _c in [*new, *back]]
        audit_record(
            actor=actor,
            event="aid.enrolment.reviewed",
            occurred_at=occurred_at,
            obj=program,
            changes={"joined": len(review.joined), "left": len(review.left), "skipped": len(review.skipped)},
        )
    return review


def enrolment_add(
    *, program: Program, household: Any, cooperative: Any, occurred_at: datetime, actor: Any, note: str
) -> Enrolment:
    """Enrol one household by hand (an officer's decision, kept even when the rule would not admit it)."""
    with transaction.atomic():
        enrolment, _created = Enrolment.objects.update_or_create(
            program=program,
            household=household,
            defaults={
                "cooperative_id": getattr(cooperative, "pk", cooperative),  # an instance or its id
                "region_code": household.region_code,
                "status": Enrolment.Status.ACTIVE,
                "reason": f"manual: {note}"[:200],
                "enrolled_at": occurred_at,
                "ended_at": None,
            },
        )
        audit_record(
            actor=actor,
            event="aid.enrolment.added",
            occurred_at=occurred_at,
            obj=enrolment,
            region_code=household.region_code,
        )
    return enrolment
