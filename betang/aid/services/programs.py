"""Programs, their budget, and who is enrolled: by the program's eligibility rule or by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from betang.aid import posting
from betang.aid.models import Enrolment, NationalAid, Pocket, Program, RuleChange, never_from_aid
from betang.core import clock
from betang.core.audit import audit_record
from betang.core.bulk import bulk_insert
from betang.core.errors import DomainError
from betang.core.ids import new_id
from betang.ledger import selectors as ledger
from betang.ledger.services import EntrySpec, InsufficientFunds, account_open, journal_post, journal_post_many
from betang.regions import codes
from betang.regions import selectors as regions
from betang.regions.scope import RegionScope
from betang.registry import selectors as registry


class ProgramError(DomainError):
    code = "aid.program"


class RuleInvalid(ProgramError):
    code = "aid.program.rule_invalid"


class EnrolmentError(ProgramError):
    code = "aid.enrolment"
    http_status = 409


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
            eligibility=rule_clean(eligibility or {}, region_code=region_code),
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
        RuleChange.objects.create(
            program=program,
            rule=program.eligibility,
            note=_("program created"),
            changed_by=actor if getattr(actor, "pk", None) else None,
            changed_at=occurred_at,
        )
        audit_record(
            actor=actor, event="aid.program.created", occurred_at=occurred_at, obj=program, region_code=region_code
        )
    return program


DECREE_LENGTH = 150


def rule_clean(raw: dict[str, Any], *, region_code: str) -> dict[str, Any]:
    """An eligibility rule checked and in its one written form (RuleInvalid says what is wrong):
    `max_decile` 1–10 or absent (any decile, or none recorded), `regencies` existing regency codes
    inside the program's region (none: the whole region), `exclude` national programs, `decree` the
    SK that fixes the recipients."""
    unknown = set(raw) - {"max_decile", "regencies", "exclude", "decree"}
    if unknown:
        raise RuleInvalid(_("Unknown part of the rule: %(parts)s.") % {"parts": ", ".join(sorted(unknown))})
    rule: dict[str, Any] = {}
    decile = raw.get("max_decile")
    if decile not in (None, ""):
        try:
            decile = int(decile)
        except (TypeError, ValueError):
            decile = 0
        if not 1 <= decile <= 10:
            raise RuleInvalid(_("The highest DTSEN decile is a whole number from 1 to 10."))
        rule["max_decile"] = decile
    wanted = []
    for text in raw.get("regencies") or []:
        code = codes.normalise(str(text))
        if code is None or codes.level_of(code) != "regency":
            raise RuleInvalid(_("%(code)s is not a regency code.") % {"code": text})
        wanted.append(code)
    if wanted:
        known = {r.code for r in regions.regencies_within(region_code)}
        outside = [c for c in wanted if c not in known]
        if outside:
            raise RuleInvalid(_("Not a regency of the program's region: %(codes)s.") % {"codes": ", ".join(outside)})
        rule["regencies"] = sorted(set(wanted))
    excluded = [str(kind) for kind in raw.get("exclude") or []]
    kinds = set(NationalAid.Kind.values)
    if any(kind not in kinds for kind in excluded):
        raise RuleInvalid(
            _("Only these national programs can be excluded: %(kinds)s.") % {"kinds": ", ".join(sorted(kinds))}
        )
    if excluded:
        rule["exclude"] = sorted(set(excluded))
    decree = " ".join(str(raw.get("decree") or "").split())
    if len(decree) > DECREE_LENGTH:
        raise RuleInvalid(_("The decree reference is at most %(n)s characters.") % {"n": DECREE_LENGTH})
    if decree:
        rule["decree"] = decree
    return rule


def rule_change(*, program: Program, rule: dict[str, Any], note: str, occurred_at: datetime, actor: Any) -> bool:
    """Give the program a new eligibility rule (kept as a RuleChange, audited). It applies from the
    next cycle drafted. False when the rule is the one in force (nothing written)."""
    note = " ".join(note.split())
    if not note:
        raise RuleInvalid(_("Say why the rule changes (e.g. the decree that changed it)."))
    cleaned = rule_clean(rule, region_code=program.region_code)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if cleaned == program.eligibility:
            return False
        before = program.eligibility
        program.eligibility = cleaned
        program.save(update_fields=["eligibility"])
        RuleChange.objects.create(
            program=program,
            rule=cleaned,
            note=note[:200],
            changed_by=actor if getattr(actor, "pk", None) else None,
            changed_at=occurred_at,
        )
        audit_record(
            actor=actor,
            event="aid.program.rule_changed",
            occurred_at=occurred_at,
            obj=program,
            region_code=program.region_code,
            changes={"eligibility": [before, cleaned], "note": note},
        )
    return True


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


def rule_text(program: Program, rule: dict[str, Any] | None = None) -> str:
    """An eligibility rule (the program's, or one of its RuleChange) in words:
    `DTSEN decile ≤ 4; in 62.03; not in PKH; SK Gubernur 188.44/12/2026`."""
    rule = program.eligibility if rule is None else rule
    rule = rule or {}
    parts = []
    if rule.get("max_decile") is not None:
        parts.append(_("DTSEN decile ≤ %(d)s") % {"d": rule["max_decile"]})
    if rule.get("regencies"):
        parts.append(_("in %(r)s") % {"r": ", ".join(rule["regencies"])})
    if rule.get("exclude"):
        parts.append(_("not in %(p)s") % {"p": ", ".join(rule["exclude"])})
    text = "; ".join(parts) or _("every household")
    return f"{text} ({rule['decree']})" if rule.get("decree") else text


def enrolments_review(*, program: Program, occurred_at: datetime, actor: Any = None) -> EligibilityReview:
    """Apply the rule: enrol newly eligible households (home cooperative: their village's), end the
    enrolment of those no longer eligible and return what their wallets hold to the budget. What an
    officer decided by hand (an enrolment added or ended) stays as the officer left it."""
    review = EligibilityReview()
    eligible = eligible_households(program)
    with transaction.atomic():
        rows = Enrolment.objects.filter(program=program).values_list("id", "household_id", "status", "basis")
        active, ended, by_hand = {}, set(), set()
        for enrolment_id, household_id, status, basis in rows:
            if status == Enrolment.Status.ACTIVE:
                active[household_id] = enrolment_id
            else:
                ended.add(household_id)
            if basis == Enrolment.Basis.MANUAL:
                by_hand.add(household_id)
        leaving = [h for h in active if h not in eligible and h not in by_hand]
        if leaving:
            Enrolment.objects.filter(program=program, household_id__in=leaving).update(
                status=Enrolment.Status.ENDED,
                ended_at=occurred_at,
                reason=(_("no longer meets: %(rule)s") % {"rule": rule_text(program)})[:200],
            )
            wallets_return(program=program, households=leaving, occurred_at=occurred_at, actor=actor)
            review.left = [{"household": str(h), "reason": _("no longer meets the rule")} for h in leaving]
        joining = {h: v for h, v in eligible.items() if h not in active and h not in by_hand}
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
        reason = (_("meets: %(rule)s") % {"rule": rule_text(program)})[:200]
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


RETURN_BATCH = 5_000


def wallets_return(*, program: Program, households: list[Any], occurred_at: datetime, actor: Any) -> int:
    """Return to the program's budget what the wallets of households leaving it still hold (Dr each
    wallet, Cr budget; one entry per household, keyed by the household and the moment it left), so
    no money stays where no card can spend it. A payment racing the return makes its batch be read
    again. Returns the amount returned."""
    returned = 0
    pockets = [p.code for p in program.pockets.all()]
    recorded_at = clock.now()
    for start in range(0, len(households), RETURN_BATCH):  # by household: its entry holds all its wallets
        keys = {
            posting.wallet_key(program.code, h, code): h
            for h in households[start : start + RETURN_BATCH]
            for code in pockets
        }
        for attempt in range(5):
            held: dict[Any, dict[int, int]] = {}
            for key, (account_id, balance) in ledger.accounts_by_key(list(keys)).items():
                if balance:
                    held.setdefault(keys[key], {})[account_id] = balance
            try:
                journal_post_many(
                    entries=[
                        EntrySpec(
                            key=f"aid:{program.code}:return:{household}:{occurred_at.isoformat()}",
                            kind="aid.enrolment.returned",
                            legs=posting.sweep_legs(amounts, budget=program.budget_account_id),
                            memo=program.code,
                        )
                        for household, amounts in held.items()
                    ],
                    occurred_at=occurred_at,
                    recorded_at=recorded_at,
                    actor=actor,
                )
                break
            except InsufficientFunds:
                if attempt == 4:
                    raise
        returned += sum(sum(amounts.values()) for amounts in held.values())
    return returned


def enrolment_add(
    *, program: Program, household: Any, cooperative: Any, occurred_at: datetime, actor: Any, note: str
) -> Enrolment:
    """Enrol one household by hand (an officer's decision, kept even when the rule would not admit it),
    inside the program's area and the officer's."""
    if program.region_code and not RegionScope(program.region_code).contains(household.region_code):
        raise EnrolmentError(_("This household lives outside the program's area."))
    if actor is not None and not actor.region_scope.contains(household.region_code):
        raise EnrolmentError(_("No such household in your area."))
    with transaction.atomic():
        enrolment, _created = Enrolment.objects.update_or_create(
            program=program,
            household=household,
            defaults={
                "cooperative_id": getattr(cooperative, "pk", cooperative),  # an instance or its id
                "region_code": household.region_code,
                "status": Enrolment.Status.ACTIVE,
                "basis": Enrolment.Basis.MANUAL,
                "reason": note[:200],
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
            changes={"reason": note},
        )
    return enrolment


def enrolment_end(*, enrolment: Enrolment, occurred_at: datetime, actor: Any, note: str) -> int:
    """End one household's enrolment by hand (moved away, a decree, found ineligible on the ground):
    it is not credited again, its card no longer pays in this program, and what its wallets hold
    goes back to the budget. Later reviews leave it ended, whatever the rule says, until an officer
    enrols it again. Returns the amount returned."""
    note = " ".join(note.split())
    if not note:
        raise EnrolmentError(_("Say why the enrolment ends."))
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().select_related("program").get(pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.ACTIVE:
            raise EnrolmentError(_("This enrolment has already ended."))
        enrolment.status, enrolment.basis = Enrolment.Status.ENDED, Enrolment.Basis.MANUAL
        enrolment.reason, enrolment.ended_at = note[:200], occurred_at
        enrolment.save(update_fields=["status", "basis", "reason", "ended_at"])
        returned = wallets_return(
            program=enrolment.program, households=[enrolment.household_id], occurred_at=occurred_at, actor=actor
        )
        audit_record(
            actor=actor,
            event="aid.enrolment.ended",
            occurred_at=occurred_at,
            obj=enrolment,
            region_code=enrolment.region_code,
            changes={"reason": note, "returned": returned},
        )
    return returned
