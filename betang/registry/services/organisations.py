"""Rules of the registry's organisations: an enterprise's scale (UMKM class) by capital and sales."""

from __future__ import annotations

from betang.registry.models import Enterprise

# PP 7/2021 art. 35: (upper bound of capital, upper bound of annual sales) per class, in rupiah.
SCALE_THRESHOLDS = [
    (Enterprise.Scale.MICRO, 1_000_000_000, 2_000_000_000),
    (Enterprise.Scale.SMALL, 5_000_000_000, 15_000_000_000),
    (Enterprise.Scale.MEDIUM, 10_000_000_000, 50_000_000_000),
]
_ORDER = [Enterprise.Scale.MICRO, Enterprise.Scale.SMALL, Enterprise.Scale.MEDIUM, Enterprise.Scale.LARGE]


def _class_by(amount: int | None, index: int) -> str | None:
    if amount is None:
        return None
    for scale, *limits in SCALE_THRESHOLDS:
        if amount <= limits[index]:
            return scale
    return Enterprise.Scale.LARGE


def enterprise_scale(*, capital: int | None, annual_turnover: int | None) -> str:
    """Scale by capital (excluding land and buildings) or by annual sales; when both are known the
    higher class wins, so a business above either threshold is never counted as smaller."""
    classes = [c for c in (_class_by(capital, 0), _class_by(annual_turnover, 1)) if c]
    if not classes:
        return Enterprise.Scale.UNKNOWN
    return max(classes, key=_ORDER.index)
