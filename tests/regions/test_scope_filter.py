"""The scope's Q filter against real rows."""

from betang.regions.models import Village
from betang.regions.scope import RegionScope


def test_scope_filter_selects_exactly_the_regency(db):
    kapuas = Village.objects.filter(RegionScope("62.03").q("code"))
    assert kapuas.count() == Village.objects.filter(district__regency_id="62.03").count() > 0
    assert not kapuas.exclude(code__startswith="62.03.").exists()


def test_national_scope_filters_nothing(db):
    assert Village.objects.filter(RegionScope("").q("code")).count() == Village.objects.count()
