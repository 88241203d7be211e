"""CappedPaginator counts at most its cap (plus one) and says when a list is longer."""

import pytest

from betang.core.paging import CappedPaginator
from betang.regions.models import Village

pytestmark = pytest.mark.django_db


class Small(CappedPaginator):
    cap = 100


def test_a_long_list_is_counted_up_to_the_cap_only():
    villages = Village.objects.order_by("code")
    assert villages.count() > 1000  # provinces 62 and 63
    paginator = Small(villages, 10)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (101, True, 11)
    assert [v.code for v in paginator.page(2)] == [v.code for v in villages[10:20]]


def test_a_short_list_is_counted_exactly():
    villages = Village.objects.filter(code__startswith="62.03.01.").order_by("code")
    paginator = Small(villages, 10)
    assert (paginator.count, paginator.capped) == (villages.count(), False)
