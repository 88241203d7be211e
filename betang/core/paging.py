"""Pagination that never counts a whole table: lists of a province's households or an import's rows
count at most CAP rows, and say "more than" beyond it (filters narrow a list; nobody pages to 20,000)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

CAP = 10_000


class CappedPaginator(Paginator):
    cap = CAP

    @cached_property
    def count(self) -> int:
        """Rows up to the cap (one more, to know whether there are more): a COUNT over a LIMIT subquery."""
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """True when the list is longer than the cap: the count and the last page are a lower bound."""
        return self.count > self.cap
