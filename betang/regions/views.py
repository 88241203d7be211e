"""Pages of regions: the region browser, village search and (for administrators) a reload."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from betang.core import clock
from betang.core.errors import NotFound
from betang.core.progress import progress_start
from betang.regions import selectors
from betang.regions.tasks import regions_load_task
from betang.web import worklist
from betang.web.access import capability_required


@capability_required("regions.view")
def region_browser_view(request, code: str | None = None):
    scope = request.user.region_scope
    if code is None:
        provinces = selectors.province_list(scope=scope)
        if len(provinces) == 1:  # a regional officer starts at their own province
            return redirect("regions:detail", code=provinces[0].code)
        can_load = request.user.has_capability("regions.load")
        return render(request, "regions/browser.html", {"region": None, "children": provinces, "can_load": can_load})
    try:
        region = selectors.region_get(code=code, scope=scope)
    except NotFound:
        raise Http404 from None
    figures = worklist.area_figures_for(request.user, region.code) if scope.contains(region.code) else []
    return render(request, "regions/browser.html", {"region": region, "children": region.children, "figures": figures})


@capability_required("regions.view")
def village_search_view(request):
    query = request.GET.get("q", "")
    villages = selectors.village_search(query=query, scope=request.user.region_scope)
    template = "regions/_search_results.html" if request.headers.get("HX-Request") else "regions/search.html"
    return render(request, template, {"q": query, "villages": villages})


@require_POST
@capability_required("regions.load")
def regions_load_start_view(request):
    occurred_at = clock.now()
    with transaction.atomic():
        result = regions_load_task.enqueue(occurred_at=occurred_at.isoformat(), actor_id=request.user.pk)
        progress_start(task_id=str(result.id), label=_("Load region reference data"), created_by=request.user)
    messages.info(request, _("Region loading has started."))
    return redirect("web_task_progress", task_id=result.id)
