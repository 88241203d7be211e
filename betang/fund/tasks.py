"""Background task of the fund: the portfolio run (every active loan classed by days past due),
queued each night by `betang fund portfolio --enqueue` from cron, or from the portfolio page."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from betang.core.errors import PermissionDenied
from betang.core.progress import progress_reporter, progress_start


@task(takes_context=True)
def portfolio_task(context, *, fund_code: str, as_of: str, actor_id: int | None = None) -> dict:
    from betang.accounts.models import User
    from betang.fund.models import Fund
    from betang.fund.portfolio import portfolio_run

    fund = Fund.objects.get(code=fund_code)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    if actor is not None and not actor.region_scope.contains(fund.region_code):
        raise PermissionDenied()  # a run asked from a page classes the whole fund: its area's officer only
    task_id = str(context.task_result.id)
    progress_start(task_id=task_id, label=f"{fund.name}: {as_of}", created_by=actor)
    progress = progress_reporter(task_id)
    result = portfolio_run(fund, as_of=date.fromisoformat(as_of))
    progress(result.loans, result.loans)
    return {"fund": result.fund, "as_of": as_of, "loans": result.loans}
