"""Background task of the fund: the portfolio run (every active loan classed by days past due),
queued each night by `betang fund portfolio --enqueue` from cron, or from the portfolio page, both
through `services.portfolio.portfolio_run_queue`."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django_tasks import task

from betang.core import clock
from betang.core.errors import PermissionDenied
from betang.core.progress import progress_reporter, progress_start
from betang.fund.models import Fund
from betang.fund.services.portfolio import portfolio_run


@task(takes_context=True)
def portfolio_task(context, *, fund_code: str, as_of: str, actor_id: int | None = None) -> dict:
    fund = Fund.objects.get(code=fund_code)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    if actor is not None and not actor.region_scope.contains(fund.region_code):
        raise PermissionDenied()  # a run asked from a page classes the whole fund: its area's officer only
    task_id = str(context.task_result.id)
    progress_start(task_id=task_id, label=f"{fund.name}: {as_of}", created_by=actor)
    progress = progress_reporter(task_id)
    result = portfolio_run(fund=fund, as_of=date.fromisoformat(as_of), actor=actor, occurred_at=clock.now())
    progress(result.loans, result.loans)
    return {"fund": result.fund, "as_of": as_of, "loans": result.loans}
