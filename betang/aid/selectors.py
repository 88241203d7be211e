"""Reads of aid, inside the reader's region scope (404 outside it)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from betang.aid.models import Redemption
from betang.regions.scope import RegionScope


def redemption_get(*, scope: RegionScope, pk: Any) -> Redemption:
    return get_object_or_404(Redemption.objects.filter(scope.q("region_code")), pk=pk)
