"""The home page's worklist and headline figures, and a region's figures on its page: each app
registers what it knows (from `ready()`), so these pages show every app's part without web, accounts
or regions importing the apps above them (as the menu does)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Work:
    """Something waiting for this user today: a sentence with its count, and where to do it."""

    text: str  # translated, the count inside it ("3 cycles wait for your approval")
    count: int
    url: str
    urgent: bool = False  # overdue, or blocking someone else


@dataclass(frozen=True)
class Figure:
    """One headline figure of the user's area, already formatted (Rp1.250.000, 12.345)."""

    label: str
    value: str
    url: str = ""


WorkSource = Callable[[Any], list[Work]]
FigureSource = Callable[[Any], list[Figure]]
AreaSource = Callable[[Any, str], list[Figure]]
_WORK: list[tuple[int, WorkSource]] = []
_FIGURES: list[tuple[int, FigureSource]] = []
_AREA: list[tuple[int, AreaSource]] = []


def register(
    *,
    work: WorkSource | None = None,
    figures: FigureSource | None = None,
    area: AreaSource | None = None,
    order: int = 100,
) -> None:
    """Called from an app's `ready()`: a function giving a user's work, one giving their figures, one
    giving a region's figures (user, region code) for the region's page."""
    if area is not None and all(a is not area for _o, a in _AREA):
        _AREA.append((order, area))
        _AREA.sort(key=lambda pair: pair[0])
    if work is not None and all(w is not work for _o, w in _WORK):
        _WORK.append((order, work))
        _WORK.sort(key=lambda pair: pair[0])
    if figures is not None and all(f is not figures for _o, f in _FIGURES):
        _FIGURES.append((order, figures))
        _FIGURES.sort(key=lambda pair: pair[0])


def work_for(user: Any) -> list[Work]:
    """Everything waiting for the user, urgent first; only what has something to do (count > 0)."""
    found = [w for _order, source in _WORK for w in source(user) if w.count > 0]
    return sorted(found, key=lambda w: not w.urgent)


def figures_for(user: Any) -> list[Figure]:
    return [f for _order, source in _FIGURES for f in source(user)]


def area_figures_for(user: Any, code: str) -> list[Figure]:
    """What the apps know of one region (inside the user's area): its cooperatives, enterprises,
    households, aid."""
    return [f for _order, source in _AREA for f in source(user, code)]
