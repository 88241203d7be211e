"""Pages of the revolving fund: the fund's pool and re-lending, its portfolio by regency and
cooperative (XLSX), applications (with the schedule simulator and the business plan), their
assessment, decision and disbursement, each loan with its schedule and repayments, repayments from
the bank statement, and the cooperative treasurer's own view of its loans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from betang.accounts.access import FUND_APPLY, FUND_APPROVE, FUND_MANAGE, FUND_VIEW
from betang.core import clock
from betang.core.errors import DomainError
from betang.core.money import format_rupiah
from betang.core.spreadsheet import xlsx
from betang.core.templatetags.betang import tanggal
from betang.fund import printing, selectors
from betang.fund.allocation import standing
from betang.fund.models import METHOD_NAMES, Application, Loan, LoanChange, Repayment
from betang.fund.schedules import Method, ScheduleError, schedule
from betang.fund.services import applications as application_services
from betang.fund.services import bank_statements as statement_services
from betang.fund.services import changes as change_services
from betang.fund.services import funds as fund_services
from betang.fund.services import loans as loan_services
from betang.fund.services import portfolio as portfolio_services
from betang.ledger.views import bank_statement_context, bank_statement_upload
from betang.registry.imports.validation import check_amount
from betang.web.access import capability_required


def _rupiah(text: str | None) -> int | None:
    return check_amount(text, field_name="amount", label="").value


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _can(request, capability: str) -> bool:
    return request.user.has_capability(capability)


def _render(request, template: str, context: dict, status: int = 200):
    """Every fund page knows whether to show the fund's tabs (officers) or the way back to the
    cooperative's own loans (its treasurer)."""
    context.setdefault("can_view_fund", _can(request, FUND_VIEW))
    return render(request, template, context, status=status)


# --- the fund ----------------------------------------------------------------------------------


@capability_required(FUND_VIEW, FUND_APPLY)
def fund_home_view(request):
    """An officer goes to the fund (or chooses one); a cooperative's treasurer sees its loans."""
    if not _can(request, FUND_VIEW):
        return redirect("fund:cooperative")
    funds = selectors.fund_list(user=request.user)
    if len(funds) == 1:
        return redirect("fund:fund", code=funds[0].code)
    return _render(request, "fund/fund_list.html", {"funds": funds})


def _chart(months: list[selectors.Month], *, width: int = 720, height: int = 220) -> dict:
    """Bars of money in and out per month and the pool's balance as a line, in SVG units."""
    if not months:
        return {}
    top = max([m.inflow for m in months] + [m.outflow for m in months] + [m.balance for m in months] + [1])
    pad, base = 4, height - 24
    step = (width - 2 * pad) / len(months)
    bar = max(1.0, step / 2 - 2)
    scale = (base - 8) / top
    bars, points, labels = [], [], []
    for i, m in enumerate(months):
        x = pad + i * step
        bars.append({"x": round(x + 1, 1), "y": round(base - m.inflow * scale, 1), "h": round(m.inflow * scale, 1),
                     "w": round(bar, 1), "kind": "in", "m": m})  # fmt: skip
        bars.append({"x": round(x + 1 + bar, 1), "y": round(base - m.outflow * scale, 1),
                     "h": round(m.outflow * scale, 1), "w": round(bar, 1), "kind": "out", "m": m})  # fmt: skip
        points.append(f"{x + step / 2:.1f},{base - max(m.balance, 0) * scale:.1f}")
        if len(months) <= 12 or i % max(1, len(months) // 12) == 0:
            labels.append({"x": round(x + step / 2, 1), "month": m.month})
    return {"width": width, "height": height, "base": base, "bars": bars, "line": " ".join(points),
            "labels": labels, "label_y": height - 6}  # fmt: skip


@capability_required(FUND_VIEW)
def fund_view(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    months = selectors.pool_flows(fund)
    region = request.user.region_scope.prefix
    summary = selectors.portfolio_summary(fund, region=region if region.startswith(fund.region_code) else "")
    today = timezone.localdate()
    paid, due = selectors.collection_rate(fund, start=date(today.year, 1, 1), end=today)
    counts = selectors.status_counts(user=request.user, fund=fund)
    context = {
        "fund": fund,
        "pool": fund_services.pool_balance(fund),
        "months": months[-24:],
        "chart": _chart(months[-24:]),
        "relending": selectors.relending(fund),
        "summary": summary,
        "classes": selectors.quality_classes(fund),
        "last_run": selectors.last_run(fund),
        "collection": {"paid": paid, "due": due, "percent": 100 * paid / due if due else None},
        "par": [(days, amount, summary.par_percent(days)) for days, amount in summary.par.items()],
        "by_quality": [(c, *summary.by_quality.get(c.code, (0, 0))) for c in selectors.quality_classes(fund)],
        "statuses": [(label, counts[value]) for value, label in Application.Status.choices if counts[value]],
        "can_manage": _can(request, FUND_MANAGE),
        "year_start": date(today.year, 1, 1),
        "waiting_changes": selectors.changes_waiting(user=request.user, fund=fund),
    }
    return _render(request, "fund/fund.html", context)


@capability_required(FUND_VIEW)
def portfolio_view(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    by = "cooperative" if request.GET.get("by") == "cooperative" else "regency"
    rows = selectors.portfolio_by_area(fund, user=request.user, by=by)
    classes = selectors.quality_classes(fund)
    as_of = selectors.last_run(fund)
    if request.GET.get("format") == "xlsx":
        headers = [_("Cooperative") if by == "cooperative" else _("Regency/city")]
        headers += [_("Regency/city")] if by == "cooperative" else []
        headers += [_("Loans"), _("Principal outstanding"), _("Arrears"), _("Penalty owed"), _("PAR 30"),
                    _("Problem loans"), _("Most days past due")] + [f"{c.code} {c.name}" for c in classes]  # fmt: skip
        body = [
            [r.name] + ([r.regency] if by == "cooperative" else [])
            + [r.loans, r.outstanding, r.arrears, r.penalty, r.par30, r.problem, r.worst_days]
            + [r.by_quality.get(c.code, 0) for c in classes]
            for r in rows
        ]  # fmt: skip
        content = xlsx(headers, body, text_columns={0, 1} if by == "cooperative" else {0}, title=_("Portfolio"))
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        stamp = as_of.isoformat() if as_of else "belum"
        response["Content-Disposition"] = f'attachment; filename="portofolio-{fund.code}-{by}-{stamp}.xlsx"'
        return response
    for row in rows:
        row.quality_counts = [row.by_quality.get(c.code, 0) for c in classes]
    context = {"fund": fund, "rows": rows, "by": by, "classes": classes, "as_of": as_of,
               "totals": selectors.AreaRow("", _("Total"), loans=sum(r.loans for r in rows),
                                           outstanding=sum(r.outstanding for r in rows),
                                           arrears=sum(r.arrears for r in rows), penalty=sum(r.penalty for r in rows),
                                           par30=sum(r.par30 for r in rows), problem=sum(r.problem for r in rows)),
               "can_manage": _can(request, FUND_MANAGE), "today": timezone.localdate(),
               "can_run": _can(request, FUND_MANAGE) and request.user.region_scope.contains(fund.region_code)}  # fmt: skip
    return _render(request, "fund/portfolio.html", context)


@require_POST
@capability_required(FUND_MANAGE)
def portfolio_run_view(request, code: str):
    """Run the portfolio now (as the nightly task does), in the task worker."""
    fund = selectors.fund_get(user=request.user, code=code)
    if not request.user.region_scope.contains(fund.region_code):  # it classes every loan of the fund's area
        raise PermissionDenied(FUND_MANAGE)
    as_of = _day(request.POST.get("as_of")) or timezone.localdate()
    if as_of > timezone.localdate():
        messages.error(request, _("The portfolio is classed up to today, not a day to come."))
        return redirect("fund:portfolio", code=fund.code)
    portfolio_services.portfolio_run_queue(fund=fund, as_of=as_of, actor=request.user)
    messages.success(request, _("The portfolio is being classed as of %(day)s; this page shows it when done.")
                     % {"day": tanggal(as_of)})  # fmt: skip
    return redirect("fund:portfolio", code=fund.code)


# --- applications ------------------------------------------------------------------------------


@capability_required(FUND_VIEW, FUND_APPLY)
def application_list_view(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    rows = selectors.application_list(user=request.user, fund=fund, status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"fund": fund, "applications": page, "status": status, "statuses": Application.Status.choices,
               "can_apply": _can(request, FUND_APPLY) or _can(request, FUND_MANAGE)}  # fmt: skip
    return _render(request, "fund/application_list.html", context)


def _sums(lines) -> dict[str, int]:
    """The principal, interest and total of schedule lines (simulated or stored)."""
    return {k: sum(getattr(x, k) for x in lines) for k in ("principal", "interest", "total")}


def _simulate(product, amount: int | None, start: date):
    if product is None or amount is None or amount <= 0:
        return None, ""
    try:
        return schedule(fund_services.terms_of(product, amount, start)), ""
    except ScheduleError as exc:
        return None, str(exc)


@capability_required(FUND_APPLY, FUND_MANAGE)
def application_new_view(request, code: str):
    """Apply for a loan: the product, the amount and purpose, the business plan (PDF), with the
    schedule it would have simulated on the same page before sending."""
    fund = selectors.fund_get(user=request.user, code=code)
    products = list(selectors.product_list(fund))
    cooperatives = list(selectors.cooperatives_for(user=request.user)[:5000])  # a province has ~1,600
    data = request.POST if request.method == "POST" else request.GET
    product = next((p for p in products if str(p.pk) == data.get("product", "")), products[0] if products else None)
    amount = _rupiah(data.get("amount"))
    cooperative = next((c for c in cooperatives if str(c.pk) == data.get("cooperative", "")), None)
    if cooperative is None and len(cooperatives) == 1 and not data.get("cooperative"):  # never for one out of reach
        cooperative = cooperatives[0]
    start = timezone.localdate()
    lines, problem = _simulate(product, amount, start)
    context = {"fund": fund, "products": products, "product": product, "cooperatives": cooperatives,
               "cooperative": cooperative, "amount": data.get("amount", ""), "purpose": data.get("purpose", ""),
               "lines": lines, "problem": problem, "start": start}  # fmt: skip
    if lines:
        context["sums"] = _sums(lines)
    if request.method != "POST" or request.POST.get("action") != "submit":
        return _render(request, "fund/application_new.html", context)
    plan = request.FILES.get("business_plan")
    try:
        if cooperative is None:
            raise fund_services.FundError(_("Choose the cooperative that applies."))
        if product is None:
            raise fund_services.FundError(_("The fund has no product open for applications."))
        if amount is None:
            raise fund_services.FundError(_("Give the amount in whole rupiah."))
        if plan is not None and (plan.size > 10 * 1024 * 1024 or plan.read(5) != b"%PDF-"):
            raise fund_services.FundError(_("The business plan is a PDF of at most 10 MB."))
        if plan is not None:
            plan.seek(0)
        application = application_services.application_submit(
            product=product, cooperative=cooperative, amount=amount, purpose=request.POST.get("purpose", ""),
            actor=request.user, occurred_at=clock.now(), business_plan=plan,
        )  # fmt: skip
    except DomainError as exc:
        context["error"] = exc.message
        return _render(request, "fund/application_new.html", context, status=400)
    messages.success(request, _("The application was sent."))
    return redirect("fund:application", pk=application.pk)


@capability_required(FUND_VIEW, FUND_APPLY)
def application_detail_view(request, pk):
    application = selectors.application_get(user=request.user, pk=pk)
    fund = application.product.fund
    today = timezone.localdate()
    lines, problem = _simulate(application.product, application.amount, today)
    context = {
        "fund": fund,
        "application": application,
        "checklist": [
            (key, label, application.checklist.get(key)) for key, label in application_services.CHECKLIST.items()
        ],
        "lines": lines,
        "problem": problem,
        "today": today,
        "pool": fund_services.pool_balance(fund) if _can(request, FUND_VIEW) else None,
        "can_manage": _can(request, FUND_MANAGE),
        "can_approve": _can(request, FUND_APPROVE) and application.assessed_by_id != request.user.pk,
        "loan": Loan.objects.filter(application=application).first(),
    }
    if lines:
        context["sums"] = _sums(lines)
    return _render(request, "fund/application_detail.html", context)


@capability_required(FUND_VIEW, FUND_APPLY)
def business_plan_view(request, pk):
    application = selectors.application_get(user=request.user, pk=pk)
    if not application.business_plan:
        raise Http404
    return FileResponse(
        application.business_plan.open("rb"), as_attachment=True, filename=f"rencana-usaha-{application.pk}.pdf"
    )


@require_POST
@capability_required(FUND_MANAGE, FUND_APPROVE)
def application_action_view(request, pk, action: str):
    application = selectors.application_get(user=request.user, pk=pk)
    now = clock.now()
    needs = {"assess": FUND_MANAGE, "disburse": FUND_MANAGE, "approve": FUND_APPROVE, "reject": FUND_APPROVE}
    if action not in needs:
        raise Http404
    if not _can(request, needs[action]):
        raise PermissionDenied(needs[action])
    try:
        if action == "assess":
            try:
                score = int(request.POST.get("score", ""))
            except ValueError:
                raise fund_services.FundError(_("The score is a whole number from 0 to 100.")) from None
            application_services.application_assess(
                application=application, checklist={k: k in request.POST.getlist("checklist") for k in application_services.CHECKLIST},
                score=score, note=request.POST.get("note", ""), actor=request.user, occurred_at=now,
            )  # fmt: skip
            messages.success(request, _("The assessment was saved."))
        elif action == "approve":
            application_services.application_approve(application=application, actor=request.user, occurred_at=now)
            messages.success(request, _("The application was approved."))
        elif action == "reject":
            application_services.application_reject(
                application=application, reason=request.POST.get("reason", ""), actor=request.user, occurred_at=now
            )
            messages.success(request, _("The application was rejected."))
        else:
            day = _day(request.POST.get("disbursed_on"))
            if day is None or day > timezone.localdate():
                raise fund_services.FundError(_("Give the day the transfer was made (today or earlier)."))
            loan = loan_services.loan_disburse(
                application=application, disbursed_on=day, bank_reference=request.POST.get("bank_reference", ""),
                actor=request.user, occurred_at=now, recorded_at=now,
            )  # fmt: skip
            messages.success(request, _("Loan %(number)s was disbursed.") % {"number": loan.number})
            return redirect("fund:loan", pk=loan.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("fund:application", pk=application.pk)


# --- loans -------------------------------------------------------------------------------------


@capability_required(FUND_VIEW)
def loan_list_view(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    status = request.GET.get("status", "")
    status = status if status in Loan.Status.values else ""
    classes = selectors.quality_classes(fund)
    quality = request.GET.get("quality", "")
    quality = quality if quality in {c.code for c in classes} else ""
    overdue = request.GET.get("menunggak") == "1"
    rows = selectors.loan_list(
        user=request.user, fund=fund, status=status, quality=quality, q=request.GET.get("q", ""), overdue=overdue
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"fund": fund, "loans": page, "status": status, "statuses": Loan.Status.choices, "quality": quality,
               "overdue": overdue,
               "classes": classes, "class_names": {c.code: c.name for c in classes}, "q": request.GET.get("q", "")}  # fmt: skip
    return _render(request, "fund/loan_list.html", context)


def _line_state(line, as_of: date) -> str:
    if line.unpaid == 0:
        return "paid"
    if line.due_on < as_of:
        return "late"
    if line.principal_paid or line.interest_paid:
        return "part"
    return "due" if line.due_on == as_of else "coming"


@capability_required(FUND_VIEW, FUND_APPLY)
def loan_detail_view(request, pk):
    loan = selectors.loan_get(user=request.user, pk=pk)
    today = timezone.localdate()
    position = loan_services.loan_position(loan, as_of=today)
    stored = {x.number: x for x in loan.instalments.filter(version=loan.schedule_version)}
    lines = [{"line": x, "stored": stored[x.number], "state": _line_state(x, today)} for x in position.lines]
    classes = {c.code: c for c in selectors.quality_classes(loan.fund)}
    health = getattr(loan, "health", None)
    repayments = list(loan.repayments.select_related("recorded_by").order_by("-paid_on", "-recorded_at"))
    latest = next((r for r in repayments if r.status == Repayment.Status.POSTED), None)
    next_due = position.next_due
    context = {
        "loan": loan,
        "fund": loan.fund,
        "position": position,
        "lines": lines,
        "next_due": next_due,
        "method": METHOD_NAMES.get(loan.method, loan.method),
        "next_due_amount": (next_due.unpaid + next_due.penalty_owed) if next_due else 0,
        "due_now": position.arrears + position.penalty_owed,
        "health": health,
        "quality": classes.get(health.quality) if health else None,
        "repayments": repayments,
        "latest": latest,
        "today": today,
        "can_manage": _can(request, FUND_MANAGE),
        "sums": _sums([x["stored"] for x in lines]),
    }
    context |= _changes_context(request, loan, position, today)
    return _render(request, "fund/loan_detail.html", context)


def _changes_context(request, loan: Loan, position, today: date) -> dict:
    """The loan's changes: the proposal waiting (with the new schedule it would give), the history,
    the earlier schedule versions, and today's early-settlement figure."""
    history = list(loan.changes.select_related("proposed_by", "decided_by").order_by("-proposed_at"))
    waiting = next((c for c in history if c.status == LoanChange.Status.PROPOSED), None)
    preview, preview_error = None, ""
    if waiting is not None and waiting.kind == LoanChange.Kind.RESTRUCTURE:
        try:
            preview = change_services.restructured(
                loan, change_services.Restructuring.from_dict(waiting.terms), on=waiting.effective_on
            )
        except DomainError as exc:
            preview_error = exc.message
    earlier: dict[int, list] = {}
    for row in loan.instalments.filter(version__lt=loan.schedule_version).order_by("version", "number"):
        earlier.setdefault(row.version, []).append(row)
    active = loan.status == Loan.Status.ACTIVE
    restructuring = next(
        (c for c in history if c.kind == LoanChange.Kind.RESTRUCTURE and c.version == loan.schedule_version), None
    )
    current_terms = None
    if restructuring is not None:
        current_terms = restructuring.terms | {"method_name": METHOD_NAMES.get(restructuring.terms["method"], "")}
    return {
        "current_terms": current_terms,
        "history": history,
        "waiting": waiting,
        "preview": preview,
        "preview_sums": _sums(preview.lines) if preview else None,
        "preview_error": preview_error,
        "can_decide": waiting is not None and _can(request, FUND_APPROVE) and waiting.proposed_by_id != request.user.pk,
        "earlier_versions": sorted(earlier.items()),
        # What closes the loan today, from the position already replayed (the treasurer may ask it too).
        "quote": standing(position, period_start=change_services.period_start(loan)) if active else None,
        "can_change": active and waiting is None and _can(request, FUND_MANAGE),
        "methods": METHOD_NAMES,
        "instalments_left": sum(1 for x in position.lines if x.due_on > today) or 1,
    }


@capability_required(FUND_VIEW, FUND_APPLY)
def agreement_annex_view(request, pk):
    loan = selectors.loan_get(user=request.user, pk=pk)
    instalments = list(loan.instalments.filter(version=loan.schedule_version).order_by("number"))
    content = printing.agreement_annex_pdf(loan, instalments, printed_on=timezone.localdate())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="lampiran-{loan.number}.pdf"'
    return response


def _paid(post) -> tuple[int, date]:
    """A payment's amount (whole rupiah) and the day the bank booked it (today or earlier)."""
    amount, day = _rupiah(post.get("amount")), _day(post.get("paid_on"))
    if amount is None:
        raise fund_services.FundError(_("Give the amount in whole rupiah."))
    if day is None or day > timezone.localdate():
        raise fund_services.FundError(_("Give the day the bank booked it (today or earlier)."))
    return amount, day


@require_POST
@capability_required(FUND_MANAGE)
def repayment_record_view(request, pk):
    loan = selectors.loan_get(user=request.user, pk=pk)
    now = clock.now()
    try:
        amount, day = _paid(request.POST)
        repayment = loan_services.repayment_record(
            loan=loan, amount=amount, paid_on=day, bank_reference=request.POST.get("bank_reference", ""),
            actor=request.user, occurred_at=now, recorded_at=now,
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fund:loan", pk=loan.pk)
    a = repayment.allocation
    messages.success(
        request,
        _("Recorded: penalty %(penalty)s, interest %(interest)s, principal %(principal)s, overpaid %(overpaid)s.")
        % {k: format_rupiah(a[k]) for k in ("penalty", "interest", "principal", "overpaid")},
    )
    return redirect("fund:loan", pk=loan.pk)


@require_POST
@capability_required(FUND_MANAGE)
def repayment_reverse_view(request, pk):
    repayment = selectors.repayment_get(user=request.user, pk=pk)
    now = clock.now()
    try:
        loan_services.repayment_reverse(
            repayment=repayment, reason=request.POST.get("reason", ""), actor=request.user, occurred_at=now,
            recorded_at=now,
        )  # fmt: skip
        messages.success(request, _("The repayment was reversed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("fund:loan", pk=repayment.loan_id)


# --- changes to a loan: restructuring, write-off, early settlement ----------------------------


def _whole(text: str | None, default: int | None = None) -> int | None:
    text = (text or "").strip()
    if not text:
        return default
    # ASCII digits only ("²".isdigit() is True but int("²") fails), and within a 64-bit rupiah column
    return int(text) if text.isdigit() and text.isascii() and len(text) <= 15 else None


def _rate(text: str | None) -> Decimal | None:
    try:
        rate = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and 0 <= rate <= 100 else None


def _restructuring(post) -> change_services.Restructuring:
    months, grace, rate = _whole(post.get("months")), _whole(post.get("grace"), 0), _rate(post.get("annual_rate"))
    method = post.get("method", "")
    if months is None or not 1 <= months <= 240:
        raise fund_services.FundError(_("The new tenor is 1 to 240 months."))
    if grace is None or grace >= months:
        raise fund_services.FundError(_("The grace period must be shorter than the new tenor."))
    if rate is None:
        raise fund_services.FundError(_("The annual rate is a percentage from 0 to 100, e.g. 3 or 4,5."))
    if method not in METHOD_NAMES:
        raise fund_services.FundError(_("Choose the repayment method."))
    arrears = change_services.CAPITALISE if post.get("arrears") == change_services.CAPITALISE else change_services.CARRY
    return change_services.Restructuring(
        months, rate, Method(method), grace, arrears, post.get("waive_penalty") == "on"
    )


@require_POST
@capability_required(FUND_MANAGE)
def loan_change_propose_view(request, pk):
    loan = selectors.loan_get(user=request.user, pk=pk)
    kind = request.POST.get("kind", "")
    day = _day(request.POST.get("effective_on"))
    try:
        if day is None or day > timezone.localdate():
            raise fund_services.FundError(_("Give the day it takes effect (today or earlier)."))
        terms = _restructuring(request.POST) if kind == LoanChange.Kind.RESTRUCTURE else None
        change_services.change_propose(loan=loan, kind=kind, effective_on=day, terms=terms,
                               reason=request.POST.get("reason", ""), actor=request.user, occurred_at=clock.now())  # fmt: skip
        messages.success(request, _("Proposed. Another user with the right to decide approves or rejects it."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("fund:loan", pk=loan.pk)


@require_POST
@capability_required(FUND_APPROVE)
def loan_change_decide_view(request, pk, action: str):
    change = selectors.change_get(user=request.user, pk=pk)
    now = clock.now()
    if action not in ("approve", "reject"):
        raise Http404
    try:
        if action == "approve":
            change = change_services.change_approve(change=change, actor=request.user, occurred_at=now, recorded_at=now)
            messages.success(request, _("Approved and carried out: %(kind)s.") % {"kind": change.get_kind_display()})
        else:
            change_services.change_reject(change=change, reason=request.POST.get("reason", ""), actor=request.user,
                                  occurred_at=now)  # fmt: skip
            messages.success(request, _("The proposal was rejected."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("fund:loan", pk=change.loan_id)


@require_POST
@capability_required(FUND_MANAGE)
def loan_settle_view(request, pk):
    loan = selectors.loan_get(user=request.user, pk=pk)
    now = clock.now()
    try:
        amount, day = _paid(request.POST)
        change_services.loan_settle(loan=loan, paid_on=day, amount=amount, bank_reference=request.POST.get("bank_reference", ""),
                            actor=request.user, occurred_at=now, recorded_at=now)  # fmt: skip
        messages.success(request, _("The loan was settled early and is repaid."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("fund:loan", pk=loan.pk)


# --- declared disasters ------------------------------------------------------------------------


@capability_required(FUND_VIEW)
def disaster_view(request, code: str):
    """Declared disasters (banjir, kebakaran lahan): loans of cooperatives in the area do not grow
    delinquent during the period. A fund officer records a new declaration."""
    fund = selectors.fund_get(user=request.user, code=code)
    areas = selectors.disaster_areas(user=request.user, fund=fund)
    if request.method == "POST":
        if not _can(request, FUND_MANAGE):
            raise PermissionDenied(FUND_MANAGE)
        area, start, end = request.POST.get("region_code", ""), _day(request.POST.get("starts_on")), _day(
            request.POST.get("ends_on"))  # fmt: skip
        try:
            if area not in dict(areas):
                raise fund_services.FundError(_("Choose the area from the list."))
            if start is None or end is None:
                raise fund_services.FundError(_("Give the first and the last day of the period."))
            change_services.disaster_declare(region_code=area, starts_on=start, ends_on=end,
                                     basis=request.POST.get("basis", ""), actor=request.user, occurred_at=clock.now())  # fmt: skip
            messages.success(request, _("Recorded. The next portfolio run pauses delinquency in the area."))
            return redirect("fund:disasters", code=fund.code)
        except DomainError as exc:
            messages.error(request, exc.message)
    names = dict(areas)
    rows = [{"disaster": d, "area": names.get(d.region_code, d.region_code)}
            for d in selectors.disaster_list(user=request.user, fund=fund)]  # fmt: skip
    context = {"fund": fund, "rows": rows, "areas": areas, "can_manage": _can(request, FUND_MANAGE),
               "today": timezone.localdate()}  # fmt: skip
    return _render(request, "fund/disasters.html", context)


# --- the bank statement ------------------------------------------------------------------------


@capability_required(FUND_MANAGE)
def bank_statement_upload_view(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    if request.method != "POST":
        recent = selectors.bank_statement_list(fund=fund)
        return _render(request, "fund/bank_statement_upload.html", {"fund": fund, "recent": recent})
    statement = bank_statement_upload(
        request,
        lambda **upload: statement_services.repayments_import(
            fund=fund, actor=request.user, occurred_at=clock.now(), **upload
        ),
    )
    if statement is None:
        return redirect("fund:bank_statement_upload", code=fund.code)
    return redirect("fund:bank_statement", code=fund.code, pk=statement.pk)


@capability_required(FUND_MANAGE)
def bank_statement_view(request, code: str, pk):
    fund = selectors.fund_get(user=request.user, code=code)
    if not request.user.region_scope.contains(fund.region_code):
        raise Http404  # the fund's account: its lines name every area's repayments
    statement = selectors.bank_statement_get(fund=fund, pk=pk)
    labels = {
        "recorded": _("recorded"),
        "already": _("already recorded"),
        "refused": _("refused"),
        "no_loan": _("no loan named"),
        "other_way": _("money out"),
        "unreadable": _("unreadable"),
    }
    context = {"fund": fund} | bank_statement_context(statement, labels=labels, subject="loan")
    return _render(request, "fund/bank_statement.html", context)


# --- the cooperative's treasurer ---------------------------------------------------------------


@capability_required(FUND_APPLY, FUND_VIEW)
def cooperative_view(request):
    """The treasurer's view: each of its cooperative's loans with what is due next and what is late,
    and its applications."""
    today = timezone.localdate()
    loans = []
    for loan in selectors.loan_list(user=request.user)[:50]:
        position = loan_services.loan_position(loan, as_of=today)
        nxt = position.next_due
        loans.append({"loan": loan, "outstanding": position.principal_outstanding, "arrears": position.arrears,
                      "penalty": position.penalty_owed, "next": nxt,
                      "next_amount": (nxt.unpaid + nxt.penalty_owed) if nxt else 0,
                      "days": position.days_past_due})  # fmt: skip
    funds = selectors.fund_list(user=request.user)
    applications = [
        a for fund in funds for a in selectors.application_list(user=request.user, fund=fund).exclude(
            status=Application.Status.DISBURSED)[:20]
    ]  # fmt: skip
    context = {"loans": loans, "applications": applications, "funds": funds, "today": today,
               "cooperative": selectors.cooperatives_for(user=request.user).first()
               if selectors.is_cooperative_bound(request.user) else None}  # fmt: skip
    return _render(request, "fund/cooperative.html", context)
