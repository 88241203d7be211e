"""The menu: each entry names the capability it needs; apps register their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class MenuEntry:
    label: str  # a lazy translation
    url_name: str
    capability: str | tuple[str, ...] | None  # None: every signed-in user; a tuple: any one of them
    order: int = 100


_MENU: list[MenuEntry] = []


def register(*entries: MenuEntry) -> None:
    """Called from each app's `ready()`; higher layers add their pages without web importing them."""
    for entry in entries:
        if entry not in _MENU:
            _MENU.append(entry)
    _MENU.sort(key=lambda e: e.order)


def menu_for(user) -> list[dict[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for entry in _MENU:
        needed = (entry.capability,) if isinstance(entry.capability, str) else entry.capability or ()
        if needed and not any(user.has_capability(c) for c in needed):
            continue
        items.append({"label": entry.label, "url": reverse(entry.url_name), "name": entry.url_name})
    return items
