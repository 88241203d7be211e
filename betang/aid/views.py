"""Pages of aid: programs, cycles with maker-checker (draft, submit, approve, credit in the background,
close), card batches printed with their PIN mailers, and each card's status, balance and actions."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from betang.accounts.access import AID_APPROVE, AID_MANAGE, AID_VIEW, OUTLET_MANAGE
from betang.aid import pins, printing, selectors
from betang.aid import tasks as aid_tasks
from betang.aid.models import Card, Cycle, Enrolment, NationalAid, Program, ReconciliationException, Settlement
from betang.aid.services import cards as card_services
from betang.aid.services import cycles as cycle_services
from betang.aid.services import distribution, reconciliation
from betang.aid.services import payments as payment_services
from betang.aid.services import settlements as settlement_services
from betang.aid.services.programs import enrolment_add, enrolment_end, rule_change, rule_text
from betang.core import clock
from betang.core.errors import DomainError
from betang.core.http import client_address
from betang.core.money import format_rupiah
from betang.core.paging import CappedPaginator
from betang.core.progress import progress_get
from betang.core.throttle import throttle_hit
from betang.ledger.views import bank_statement_context, bank_statement_upload
from betang.regions import selectors as region_selectors
from betang.registry import selectors as registry_selectors
from betang.web.access import capability_required
from betang.web.search import list_filters

DISTRIBUTION_REFRESH_SECONDS = 5
BATCH_LIMIT = 2000  # cards per printed batch from a page: PINs are hashed one by one (a few seconds)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # PIN mailers must not sit in a cache
    return response


def _program_run_by(request, code: str):
    """The program whose enrolments, rule and cycles the officer runs: their area covers all of it."""
    program = selectors.program_get(scope=request.user.region_scope, code=code)
    if not selectors.program_covers(program, request.user.region_scope):
        raise PermissionDenied(AID_MANAGE)
    return program


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
            "rule_changes": [(c, rule_text(program, c.rule)) for c in selectors.rule_changes(program)],
            "regencies": region_selectors.regencies_within(program.region_code) if program.region_code else [],
            "national_aid": NationalAid.Kind.choices,
        },
    )


@require_POST
@capability_required(AID_MANAGE)
def rule_edit_view(request, code: str):
    """A new eligibility rule for the program (kept with its reason; applies from the next cycle drafted)."""
    program = _program_run_by(request, code)
    post = request.POST
    regencies = post.getlist("regencies") or [c for c in post.get("regency_codes", "").replace(",", " ").split() if c]
    rule = {
        "max_decile": post.get("max_decile", "").strip(),
        "regencies": regencies,
        "exclude": post.getlist("exclude"),
        "decree": post.get("decree", ""),
    }
    try:
        changed = rule_change(
            program=program, rule=rule, note=post.get("note", ""), occurred_at=clock.now(), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if changed:
            messages.success(request, _("The new rule applies from the next cycle drafted."))
        else:
            messages.info(request, _("The rule is unchanged."))
    return redirect("aid:program", code=code)


@capability_required(AID_VIEW)
def enrolment_list_view(request, code: str):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    params, answer = list_filters(request, ("q", "status", "basis", "village"))  # a NIK or KK never in a URL
    if answer:
        return answer
    try:
        enrolments = selectors.enrolment_list(program, scope=scope, **params)
    except ValueError:
        messages.error(request, _("%(code)s is not a region code.") % {"code": params["village"]})
        params["village"] = ""
        enrolments = selectors.enrolment_list(program, scope=scope, **params)
    page = CappedPaginator(enrolments, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "aid/enrolment_list.html",
        {
            "program": program,
            "page": page,
            "params": params,
            "statuses": Enrolment.Status.choices,
            "bases": Enrolment.Basis.choices,
            # Like enrolling by hand: the program's owners decide (a regency officer reads the list).
            "can_end": selectors.program_covers(program, scope) and request.user.has_capability(AID_MANAGE),
        },
    )


@require_POST
@capability_required(AID_MANAGE)
def enrolment_end_view(request, code: str, pk):
    """End one enrolment by hand, with the officer's reason; what its wallets hold returns to the budget."""
    scope = request.user.region_scope
    program = _program_run_by(request, code)
    enrolment = selectors.enrolment_get(program, scope=scope, pk=pk)
    try:
        returned = enrolment_end(
            enrolment=enrolment, occurred_at=clock.now(), actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The enrolment has ended; %(amount)s went back to the program's budget.")
            % {"amount": format_rupiah(returned)},
        )
    # Back to the list as the officer filtered it (only the list's own parameters are carried).
    kept = QueryDict(request.POST.get("query", ""))
    query = urlencode({k: kept[k] for k in ("q", "status", "basis", "village", "page") if kept.get(k)})
    return redirect(reverse("aid:enrolments", args=[code]) + (f"?{query}" if query else ""))


@require_POST
@capability_required(AID_MANAGE)
def enrolment_add_view(request, code: str):
    """Enrol one household by hand (by its KK number, in the officer's area), with the officer's
    reason; it is kept by every later eligibility review and credited from the next cycle drafted."""
    scope = request.user.region_scope
    program = _program_run_by(request, code)
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
        try:
            enrolment_add(
                program=program,
                household=household,
                cooperative=cooperative,
                occurred_at=clock.now(),
                actor=request.user,
                note=note,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The household is enrolled; it is credited from the next cycle drafted."))
    return redirect("aid:program", code=code)


@require_POST
@capability_required(AID_MANAGE)
def cycle_draft_view(request, code: str):
    program = _program_run_by(request, code)
    try:
        cycle = cycle_services.cycle_draft_enqueue(program=program, occurred_at=clock.now(), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("aid:program", code=code)
    messages.success(
        request,
        _("Cycle %(n)s is being drafted: eligibility checked, then entitlements computed; the page follows.")
        % {"n": cycle.number},
    )
    return redirect("aid:cycle", code=code, number=cycle.number)


def _task_id(cycle) -> str:
    """The cycle's running background task: the close's once credited, else the draft's or credit's."""
    return cycle.close_task_id if cycle.status == Cycle.Status.CREDITED else cycle.task_id


def _with_households(rows: list[dict], scope) -> list[dict]:
    """A cycle's listed households with their KK number (masked by the page), where the reader may see them."""
    numbers = registry_selectors.kk_numbers(scope=scope, household_ids=[row["household"] for row in rows])
    return [row | {"kk": numbers.get(row["household"], "")} for row in rows]


@capability_required(AID_VIEW)
def cycle_detail_view(request, code: str, number: int):
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    cycle = selectors.cycle_get(program, number)
    user = request.user
    covers = selectors.program_covers(program, scope)
    approvals = list(cycle.approvals.select_related("approver").order_by("approved_at"))
    task_id = _task_id(cycle)
    restartable = cycle_services.task_restartable(cycle)
    close_restartable = cycle_services.close_restartable(cycle)
    changes = dict(cycle.eligibility_changes or {})
    if not request.headers.get("HX-Request"):
        for name in ("joined", "left", "skipped"):
            changes[name] = _with_households(changes.get(name) or [], scope)
    context = {
        "program": program,
        "cycle": cycle,
        "approvals": approvals,
        "needed": cycle_services.approvals_needed(cycle),
        "progress": progress_get(task_id) if task_id and not cycle_services.is_placeholder(task_id) else None,
        "running": bool(task_id) and not (close_restartable if cycle.status == Cycle.Status.CREDITED else restartable),
        "restartable": restartable,
        "close_restartable": close_restartable,
        "changes": changes,
        "can_run": covers and user.has_capability(AID_MANAGE),
        "can_approve": (
            covers
            and user.has_capability(AID_APPROVE)
            and user.pk not in (cycle.created_by_id, cycle.submitted_by_id)
            and all(a.approver_id != user.pk for a in approvals)
        ),
        # Shown beside the approve button only (the page is polled while a credit runs).
        "available": (
            selectors.budget_available(program, excluding=cycle) if cycle.status == Cycle.Status.SUBMITTED else None
        ),
    }
    if not request.headers.get("HX-Request"):
        return render(request, "aid/cycle_detail.html", context)
    response = render(request, "aid/_cycle_status.html", context)
    if request.GET.get("seen") == Cycle.Status.DRAFTING and cycle.status != Cycle.Status.DRAFTING:
        response["HX-Refresh"] = "true"  # drafted: the whole page, with who joined and who left
    return response


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
    "redraft": (AID_MANAGE, cycle_services.cycle_draft_restart, gettext_lazy("The draft is queued again.")),
    "discard": (AID_MANAGE, cycle_services.cycle_discard, gettext_lazy("The draft is discarded.")),
    "return": (AID_APPROVE, cycle_services.cycle_return, gettext_lazy("The cycle is back with its maker.")),
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
    extra = {"note": request.POST.get("note", "")} if action == "return" else {}
    try:
        service(cycle=cycle, actor=request.user, occurred_at=clock.now(), **extra)
    except DomainError as exc:  # the services' refusals, PermissionDenied of an approver included
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        if action == "discard":
            return redirect("aid:program", code=code)
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
    params, answer = list_filters(request, ("q", "status"))  # a card number never goes in a URL
    if answer:
        return answer
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


# --- settling cooperatives -----------------------------------------------------------------------


@capability_required(AID_VIEW)
def reconciliation_view(request, code: str, number: int):
    """A cycle's four-way reconciliation per outlet and its exceptions; the program office runs it again."""
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    cycle = selectors.cycle_get(program, number)
    can_run = request.user.has_capability(AID_MANAGE) and selectors.program_covers(program, scope)
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied(AID_MANAGE)
        reconciliation.reconcile(cycle, now=clock.now())
        messages.success(request, _("Reconciled again just now."))
        return redirect("aid:reconciliation", code=program.code, number=cycle.number)
    q, differing = request.GET.get("q", "").strip()[:100], request.GET.get("selisih") == "1"
    found = selectors.reconciliation_of(cycle, scope=scope, q=q, differing=differing)
    context = {
        "program": program,
        "cycle": cycle,
        "can_run": can_run,
        **found,
        "rows": CappedPaginator(found["rows"], 50).get_page(request.GET.get("page")),
        "exceptions": CappedPaginator(found["exceptions"], 50).get_page(request.GET.get("halaman_selisih")),
        "params": {"q": q, "selisih": "1" if differing else ""},
        "carries_over": program.unspent != Program.Unspent.EXPIRE,
    }
    return render(request, "aid/reconciliation.html", context)


def _back(request):
    """A redirect to the page the form came from (`next`, a path on this site), or None."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts=None) and back.startswith("/"):
        return redirect(back)
    return None


@require_POST
@login_required
def exception_resolve_view(request, pk):
    """The owner explains a difference: the program office for its own, the cooperative's operator
    (who manages its outlets) for the cooperative's."""
    exception = selectors.exception_get(pk)
    user = request.user
    if exception.owner == ReconciliationException.Owner.PROGRAM:
        allowed = user.has_capability(AID_MANAGE) and user.region_scope.contains(exception.region_code)
    else:
        staff_of = registry_selectors.cooperative_of_staff(user)
        allowed = (
            user.has_capability(OUTLET_MANAGE) and staff_of is not None and staff_of.pk == exception.cooperative_id
        )
    if not allowed:
        raise Http404
    try:
        reconciliation.exception_resolve(
            exception=exception, actor=user, note=request.POST.get("note", ""), occurred_at=clock.now()
        )
        messages.success(request, _("The difference is resolved, with your explanation."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return _back(request) or redirect(
        "aid:reconciliation", code=exception.cycle.program.code, number=exception.cycle.number
    )


@capability_required(AID_VIEW)
def distribution_view(request, code: str):
    """The program's distribution, province → regency → district → village → cooperative, from the
    tallies: payments not yet counted are folded in first (a few thousand at most per request), and
    households, cards and credit are recounted in the background when they are older than two minutes.
    The page asks for its table again every few seconds (htmx)."""
    scope = request.user.region_scope
    program = selectors.program_get(scope=scope, code=code)
    now = clock.now()
    distribution.distribution_fold(max_batches=2)
    refresh_guard = f"aid:distribution-refresh:{program.pk}"
    if distribution.refresh_due(program, now=now) and cache.add(refresh_guard, 1, distribution.REFRESH_AFTER.seconds):
        aid_tasks.distribution_refresh_task.enqueue(program_id=str(program.pk))
    view = selectors.distribution_view(program, scope=scope, code=request.GET.get("wilayah", ""))
    anomalies, open_anomalies = selectors.anomalies_open(program, code=view.node.code)
    context = {
        "program": program,
        "view": view,
        "now": now,
        "refresh_seconds": DISTRIBUTION_REFRESH_SECONDS,
        "anomalies": anomalies,
        "open_anomalies": open_anomalies,
        "can_review": request.user.has_capability(AID_MANAGE),
        "anomalies_counted": selectors.ANOMALIES_COUNTED,
        "rapid_payments": distribution.RAPID_PAYMENTS,
        "rapid_minutes": distribution.RAPID_WINDOW.seconds // 60,
    }
    if request.headers.get("HX-Request"):
        return render(request, "aid/_distribution.html", context)
    return render(request, "aid/distribution.html", context)


@require_POST
@capability_required(AID_MANAGE)
def anomaly_review_view(request, pk):
    """An officer of the area marks an anomaly reviewed, saying what was found."""
    anomaly = selectors.anomaly_get(pk, scope=request.user.region_scope)
    try:
        distribution.anomaly_review(
            anomaly=anomaly, actor=request.user, note=request.POST.get("note", ""), occurred_at=clock.now()
        )
        messages.success(request, _("Marked as reviewed."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return _back(request) or redirect("aid:distribution", code=anomaly.program.code)


@capability_required(AID_VIEW)
def settlement_list_view(request, code: str):
    program = selectors.program_get(scope=request.user.region_scope, code=code)
    status = request.GET.get("status", "")
    context = {
        "program": program,
        "settlements": CappedPaginator(
            selectors.settlement_list(program, scope=request.user.region_scope, status=status), 50
        ).get_page(request.GET.get("page")),
        "status": status,
        "statuses": Settlement.Status.choices,
        "unsettled": selectors.unsettled_summary(program, scope=request.user.region_scope),
        "yesterday": timezone.localdate(clock.now()) - timedelta(days=1),
        "can_manage": request.user.has_capability(AID_MANAGE),
    }
    return render(request, "aid/settlement_list.html", context)


@require_POST
@capability_required(AID_MANAGE)
def settlements_issue_view(request, code: str):
    program = _program_run_by(request, code)
    try:
        up_to = date.fromisoformat(request.POST.get("up_to", ""))
    except ValueError:
        messages.error(request, _("Choose the last day the statements cover."))
        return redirect("aid:settlements", code=program.code)
    try:
        made = settlement_services.settlements_issue(
            program=program, up_to=up_to, actor=request.user, occurred_at=clock.now()
        )
        total = sum(s.amount for s in made)
        messages.success(
            request,
            _("%(n)s statements issued, %(total)s in all.") % {"n": len(made), "total": format_rupiah(total)},
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("aid:settlements", code=program.code)


@capability_required(AID_VIEW)
def settlement_detail_view(request, pk):
    settlement = selectors.settlement_get(scope=request.user.region_scope, pk=pk)
    context = {
        "settlement": settlement,
        "lines": selectors.statement_lines(settlement),
        "today": timezone.localdate(clock.now()),
        "can_manage": request.user.has_capability(AID_MANAGE),
    }
    return render(request, "aid/settlement_detail.html", context)


@capability_required(AID_VIEW)
def settlement_file_view(request, pk, fmt: str):
    settlement = selectors.settlement_get(scope=request.user.region_scope, pk=pk)
    lines = selectors.statement_lines(settlement)
    name = settlement.number.replace("/", "-")
    if fmt == "pdf":
        return _pdf(printing.statement_pdf(settlement, settlement.cooperative.name, lines), f"{name}.pdf")
    if fmt == "xlsx":
        response = HttpResponse(
            printing.statement_xlsx(settlement, settlement.cooperative.name, lines),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    raise Http404


@require_POST
@capability_required(AID_MANAGE)
def settlement_paid_view(request, pk):
    settlement = selectors.settlement_get(scope=request.user.region_scope, pk=pk)
    try:
        paid_date = date.fromisoformat(request.POST.get("paid_date", ""))
    except ValueError:
        messages.error(request, _("Give the day the transfer was made."))
        return redirect("aid:settlement", pk=settlement.pk)
    now = clock.now()
    try:
        settlement_services.settlement_mark_paid(
            settlement=settlement,
            bank_reference=request.POST.get("bank_reference", ""),
            paid_date=paid_date,
            actor=request.user,
            occurred_at=now,
            recorded_at=now,
        )
        messages.success(
            request, _("The statement is marked paid; the amount owed to the cooperative went down by it.")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("aid:settlement", pk=settlement.pk)


@require_POST
@capability_required(AID_MANAGE)
def bank_statement_upload_view(request, code: str):
    program = _program_run_by(request, code)
    statement = bank_statement_upload(
        request,
        lambda **upload: settlement_services.bank_statement_match(
            program=program, actor=request.user, occurred_at=clock.now(), **upload
        ),
    )
    if statement is None:
        return redirect("aid:settlements", code=program.code)
    return redirect("aid:bank_statement", code=program.code, pk=statement.pk)


@capability_required(AID_VIEW)
def bank_statement_view(request, code: str, pk):
    program = selectors.program_get(scope=request.user.region_scope, code=code)
    if not selectors.program_covers(program, request.user.region_scope):
        raise Http404  # the program's account: its lines name every area's transfers
    statement = selectors.bank_statement_get(program, pk)
    labels = {
        "reconciled": _("reconciled"),
        "already": _("already reconciled"),
        "differs": _("amount differs"),
        "unmatched": _("not a settlement"),
        "unreadable": _("unreadable"),
    }
    context = {"program": program} | bank_statement_context(statement, labels=labels, subject="settlement")
    return render(request, "aid/bank_statement.html", context)


# --- the beneficiary's own balance (no sign-in: card number and PIN) -----------------------------

BALANCE_TRIES = 10  # attempts per client address per window ...
BALANCE_WINDOW = timedelta(minutes=15)
BALANCE_CARD_TRIES = 5  # ... and per card number per hour, whoever asks
BALANCE_CARD_WINDOW = timedelta(hours=1)


@sensitive_post_parameters("card", "pin")
@never_cache
def card_balance_view(request):
    """/saldo/: a beneficiary types the card number and PIN and sees each pocket's balance and the
    latest movements. Public, so it guards itself: BALANCE_TRIES attempts per client address per
    BALANCE_WINDOW and BALANCE_CARD_TRIES per card number per BALANCE_CARD_WINDOW (a PIN cannot be
    swept), wrong PINs here do not lock the card (a stranger who knows a number cannot lock it before
    distribution day), and an unknown card and a wrong PIN get the same answer; the card's state
    (blocked, locked) is told only with the right PIN."""
    context: dict = {"card": ""}
    status = 200
    if request.method == "POST":
        number = "".join(ch for ch in request.POST.get("card", "") if ch.isdigit())
        pin = request.POST.get("pin", "")
        context["card"] = number
        now = timezone.now()
        wait = throttle_hit(
            f"aid.balance:{client_address(request)}", limit=BALANCE_TRIES, window=BALANCE_WINDOW, now=now
        )
        if not wait and len(number) == 16:
            card_key = hashlib.sha256(number.encode()).hexdigest()[:32]  # no card numbers in the table
            wait = throttle_hit(
                f"aid.balance.card:{card_key}", limit=BALANCE_CARD_TRIES, window=BALANCE_CARD_WINDOW, now=now
            )
        if wait:
            context["error"] = _("Too many attempts. Try again in %(minutes)s minutes.") % {"minutes": -(-wait // 60)}
            status = 429
        elif len(number) != 16 or not pins.luhn_valid(number):
            context["error"] = _("A card number has 16 digits; check the number on the card.")
            status = 400
        else:
            try:
                context["statement"] = payment_services.card_statement(card_number=number, pin=pin, counted=False)
            except (payment_services.CardUnknown, payment_services.WrongPin):
                context["error"] = _("The card number or the PIN is not right.")
                status = 401
            except payment_services.PaymentError as e:
                context["error"] = str(e.message)
                status = e.http_status
    return render(request, "aid/card_balance.html", context, status=status)
