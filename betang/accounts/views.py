"""Pages of accounts: sign in and out, change password, home, audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from betang.accounts import access, selectors, services
from betang.accounts.forms import LoginForm
from betang.core import clock
from betang.web import worklist
from betang.web.access import capability_required


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user, occurred_at=clock.now())
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def home_view(request):
    """Beranda: what waits for this user today (each app's worklist) and their area's headline figures."""
    return render(
        request,
        "accounts/home.html",
        {
            "scope_label": selectors.scope_label(request.user),
            "role_label": request.user.get_role_display(),
            "today": clock.now(),
            "work": worklist.work_for(request.user),
            "figures": worklist.figures_for(request.user),
        },
    )


@capability_required(access.VIEW_AUDIT)
def audit_list_view(request):
    events = selectors.audit_event_list(user=request.user, event_prefix=request.GET.get("event", "").strip())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_list.html", {"page": page, "event": request.GET.get("event", "")})
