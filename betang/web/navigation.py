"""The menu: each entry names the capability it needs; apps register their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class MenuEntry:
    label: str  # a lazy translation
    url_name: str
    capability: str | None  # None: every signed-in user
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
        if entry.capability and not user.has_capability(entry.capability):
            continue
        items.append({"label": entry.label, "url": reverse(entry.url_name), "name": entry.url_name})
    return items
