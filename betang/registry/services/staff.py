"""Cooperative staff: binding an operator or cashier to the cooperative they work for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.accounts.services import user_update
from betang.core.audit import audit_record
from betang.core.errors import DomainError
from betang.registry.models import Cooperative, CooperativeStaff


class NotCooperativeStaff(DomainError):
    code = "registry.not_cooperative_staff"
    message = gettext_lazy("Only cooperative operators and cashiers work for a cooperative.")


def cooperative_staff_assign(*, user: Any, cooperative: Cooperative, actor: Any, occurred_at: datetime) -> None:
    """Bind a cooperative operator or cashier to the cooperative they work for; their region scope
    becomes the cooperative's village. Rebinding moves them (a person works for one cooperative)."""
    if user.role not in COOPERATIVE_BOUND_ROLES:
        raise NotCooperativeStaff()
    with transaction.atomic():
        before = CooperativeStaff.objects.filter(user=user).values_list("cooperative_id", flat=True).first()
        if before == cooperative.pk and user.scope_region_code == cooperative.region_code:
            return
        CooperativeStaff.objects.update_or_create(
            user=user, defaults={"cooperative": cooperative, "since": occurred_at}
        )
        user_update(user=user, scope_region_code=cooperative.region_code, actor=actor, occurred_at=occurred_at)
        audit_record(
            actor=actor,
            event="registry.cooperative.staff_assigned",
            occurred_at=occurred_at,
            obj=cooperative,
            region_code=cooperative.region_code,
            changes={"user": [None, user.username], "from_cooperative": [str(before) if before else None, None]},
        )
