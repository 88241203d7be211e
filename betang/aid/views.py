"""Pages of aid: programs, cycles with maker-checker (draft, submit, approve, credit in the background,
close), card batches printed with their PIN mailers, and each card's status, balance and actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from betang.accounts.access import AID_APPROVE, AID_MANAGE, AID_VIEW
from betang.aid import printing, selectors
from betang.aid.models import Card, Cycle
from betang.aid.services import cards as card_services
from betang.aid.services import cycles as cycle_services
from betang.aid.services.programs import enrolment_add, rule_text
from betang.core import clock
from betang.core.errors import DomainError
from betang.core.paging import CappedPaginator
from betang.core.progress import progress_get
from betang.registry import selectors as registry_selectors
from betang.web.access import capability_required

BATCH_LIMIT = 2000  # cards per printed batch from a page: PINs are hashed one by one (a few seconds)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # PIN mailers must not sit in a cache
    return response


@capability_required(AID_VIEW)
def program_list_view(request):
    scope = request.user.region_scope
    rows = [(p, selectors.cycle_list(p).first()) for p in selectors.program_list(scope=scope)]
    return render(request, "aid/program_list.html", {"rows": rows})


@capability_required(AID_VIEW)
def program_detail_view(request, code: str):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    covers = selectors.program_covers(program, scope)
    return render(
        request,
        "aid/program_detail.html",
        {
            "program": program,
            "pockets": program.pockets.order_by("code"),
            "rule": rule_text(program),
            "figures": selectors.program_figures(program, scope=scope),
            "cycles": selectors.cycle_list(program),
            "can_run": covers and request.user.has_capability(AID_MANAGE),
            "can_issue": request.user.has_capability(AID_MANAGE),
            "batch_limit": BATCH_LIMIT,
        },
    )


@require_POST
@capability_required(AID_MANAGE)
def enrolment_add_view(request, code: str):
    """Enrol one household by hand (by its KK number, in the officer's area), with the officer's
    reason; it is kept by every later eligibility review and credited from the next cycle drafted."""
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    if not selectors.program_covers(program, scope):
        raise PermissionDenied(AID_MANAGE)
    kk, note = request.POST.get("kk", "").strip(), request.POST.get("note", "").strip()
    household = registry_selectors.household_by_kk(scope=scope, kk_number=kk) if kk else None
    cooperative = (
        registry_selectors.home_cooperatives({household.region_code}).get(household.region_code) if household else None
    )
    if household is None:
        messages.error(request, _("No household with KK number %(kk)s in your area.") % {"kk": kk})
    elif not note:
        messages.error(request, _("Write why this household is enrolled by hand."))
    elif cooperative is None:
        messages.error(request, _("The household's village has no active cooperative to be its home."))
    else:
        enrolment_add(
            program=program,
            household=household,
            cooperative=cooperative,
            occurred_at=clock.now(),
            actor=request.user,
            note=note,
        )
        messages.success(request, _("The household is enrolled; it is credited from the next cycle drafted."))
    return redirect("aid:program", code=code)


@require_POST
@capability_required(AID_MANAGE)
def cycle_draft_view(request, code: str):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    if not selectors.program_covers(program, scope):
        raise PermissionDenied(AID_MANAGE)
    try:
        cycle = cycle_services.cycle_draft(program=program, occurred_at=clock.now(), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("aid:program", code=code)
    messages.success(
        request, _("Cycle %(n)s drafted: eligibility checked, entitlements computed.") % {"n": cycle.number}
    )
    return redirect("aid:cycle", code=code, number=cycle.number)


def _progress(cycle):
    """The running background task's progress: the close's once credited, else the credit's."""
    task_id = cycle.close_task_id if cycle.status == Cycle.Status.CREDITED else cycle.task_id
    return progress_get(task_id) if task_id and task_id != cycle_services.QUEUED else None


@capability_required(AID_VIEW)
def cycle_detail_view(request, code: str, number: int):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    cycle = selectors.cycle_get(program, number)
    user = request.user
    covers = selectors.program_covers(program, scope)
    approvals = list(cycle.approvals.select_related("approver").order_by("approved_at"))
    context = {
        "program": program,
        "cycle": cycle,
        "approvals": approvals,
        "needed": cycle_services.approvals_needed(cycle),
        "progress": _progress(cycle),
        "restartable": cycle_services.credit_restartable(cycle),
        "changes": cycle.eligibility_changes or {},
        "can_run": covers and user.has_capability(AID_MANAGE),
        "can_approve": (
            covers
            and user.has_capability(AID_APPROVE)
            and user.pk not in (cycle.created_by_id, cycle.submitted_by_id)
            and all(a.approver_id != user.pk for a in approvals)
        ),
        # Shown beside the approve button only (the page is polled while a credit runs).
        "available": (
            cycle_services.budget_available(program, excluding=cycle)
            if cycle.status == Cycle.Status.SUBMITTED
            else None
        ),
    }
    template = "aid/_cycle_status.html" if request.headers.get("HX-Request") else "aid/cycle_detail.html"
    return render(request, template, context)


# action → (capability, service, what the officer is told when it worked)
_ACTIONS = {
    "submit": (AID_MANAGE, cycle_services.cycle_submit, gettext_lazy("Submitted for approval.")),
    "approve": (AID_APPROVE, cycle_services.cycle_approve, gettext_lazy("Your approval is recorded.")),
    "credit": (
        AID_MANAGE,
        cycle_services.cycle_credit_enqueue,
        gettext_lazy("The credit is queued; the page follows its progress."),
    ),
    "close": (
        AID_MANAGE,
        cycle_services.cycle_close_enqueue,
        gettext_lazy("The cycle is closed, or closing: the page follows the return of unspent funds."),
    ),
}


@require_POST
@capability_required(AID_VIEW)
def cycle_action_view(request, code: str, number: int, action: str):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    cycle = selectors.cycle_get(program, number)
    if action not in _ACTIONS:
        raise PermissionDenied(action)
    capability, service, done = _ACTIONS[action]
    if not request.user.has_capability(capability) or not selectors.program_covers(program, scope):
        raise PermissionDenied(capability)
    try:
        service(cycle=cycle, actor=request.user, occurred_at=clock.now())
    except DomainError as exc:  # the services' refusals, PermissionDenied of an approver included
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("aid:cycle", code=code, number=number)


@require_POST
@capability_required(AID_MANAGE)
def cards_issue_view(request, code: str):
    """Issue cards to enrolled households in the officer's area that have none (one village, or the
    first BATCH_LIMIT), and answer with the PDF: card sheets, then PIN mailers, the PINs' only copy."""
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    village = request.POST.get("village", "").strip()
    try:
        waiting = selectors.households_without_card(program, scope=scope, village=village)
    except ValueError:
        messages.error(request, _("%(code)s is not a region code.") % {"code": village})
        return redirect("aid:program", code=code)
    households = [e.household for e in waiting[:BATCH_LIMIT]]
    if not households:
        messages.info(request, _("Every enrolled household here already has a card."))
        return redirect("aid:program", code=code)
    now = clock.now()
    batch = f"{program.code}-{now:%Y%m%d-%H%M%S}"
    issued = card_services.cards_issue(households=households, batch=batch, occurred_at=now, actor=request.user)
    printed = selectors.printed_cards([(i.card, i.pin) for i in issued], program)
    content = printing.issue_pack_pdf(printed, title=batch, issued_on=timezone.localdate(now))
    return _pdf(content, f"kartu-{batch}.pdf")


@capability_required(AID_VIEW)
def card_list_view(request):
    params = {k: request.GET.get(k, "").strip() for k in ("q", "status")}
    cards = selectors.card_list(scope=request.user.region_scope, **params)
    page = CappedPaginator(cards, 50).get_page(request.GET.get("page"))
    return render(request, "aid/card_list.html", {"page": page, "params": params, "statuses": Card.Status.choices})


@capability_required(AID_VIEW)
def card_detail_view(request, pk):
    card = selectors.card_get(scope=request.user.region_scope, pk=pk)
    return render(
        request,
        "aid/card_detail.html",
        {
            "card": card,
            "wallets": selectors.card_wallets(card),
            "redemptions": selectors.card_redemptions(card),
            "can_manage": request.user.has_capability(AID_MANAGE),
            "usable": card.status in (Card.Status.ACTIVE, Card.Status.LOCKED),
        },
    )


@capability_required(AID_VIEW)
def card_sheet_view(request, pk):
    """The card printed again (no PIN on it): a card printer jammed, the plastic was damaged."""
    card = selectors.card_get(scope=request.user.region_scope, pk=pk)
    program = selectors.card_program(card)
    content = printing.card_sheet_pdf(selectors.printed_cards([(card, "")], program), title=card.number[-4:])
    return _pdf(content, f"kartu-{card.number[-4:]}.pdf")


@require_POST
@capability_required(AID_MANAGE)
def card_action_view(request, pk, action: str):
    card = selectors.card_get(scope=request.user.region_scope, pk=pk)
    now = clock.now()
    user = request.user
    try:
        if action == "block":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                messages.error(request, _("Say why the card is blocked."))
                return redirect("aid:card", pk=card.pk)
            card_services.card_block(card=card, reason=reason, actor=user, occurred_at=now)
            messages.success(request, _("The card is blocked; it stops working at once."))
        elif action == "unlock":
            card_services.card_unlock(card=card, actor=user, occurred_at=now)
            messages.success(request, _("The card is unlocked."))
        elif action in ("reset-pin", "replace"):
            program = selectors.card_program(card)
            if action == "reset-pin":
                pin = card_services.card_pin_reset(card=card, actor=user, occurred_at=now)
                printed = selectors.printed_cards([(card, pin)], program)
                content = printing.pin_mailers_pdf(printed, title=card.number[-4:], issued_on=timezone.localdate(now))
                return _pdf(content, f"pin-{card.number[-4:]}.pdf")
            issued = card_services.card_replace(card=card, actor=user, occurred_at=now)
            printed = selectors.printed_cards([(issued.card, issued.pin)], program)
            content = printing.issue_pack_pdf(printed, title=issued.card.number[-4:], issued_on=timezone.localdate(now))
            return _pdf(content, f"kartu-pengganti-{issued.card.number[-4:]}.pdf")
        else:
            raise PermissionDenied(action)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("aid:card", pk=card.pk)
