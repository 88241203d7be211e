"""A pair of possible duplicates across two regencies (an import in Kapuas found someone registered
in Palangkaraya): the Kapuas officer may say they differ, but only an officer whose area holds both
may merge them, for a merge makes the Kapuas record an alias of a Palangkaraya person."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from betang.registry.models import DuplicateCandidate, Person
from tests.conftest import NOW
from tests.scope.conftest import KAPUAS_VILLAGE, changed, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(world) -> DuplicateCandidate:
    newcomer = Person.objects.filter(household=world.kapuas.household).order_by("nik").first()
    return DuplicateCandidate.objects.create(
        existing=world.person, candidate=newcomer, score=88, reason="nama mirip", region_code=KAPUAS_VILLAGE,
        created_at=NOW,
    )  # fmt: skip


def test_a_regency_cannot_merge_its_record_into_another_regencys_person(client, world, pair):
    client.force_login(world.users["kapuas_officer"])
    before = snapshot()
    response = client.post(f"/pendataan/duplikat/{pair.pk}/", {"decision": "merge"})
    assert response.status_code == 302
    assert changed(before, snapshot()) == []
    [told] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "wilayah lain" in told
    assert world.person.name not in told


def test_an_officer_whose_area_holds_both_merges_them(client, world, pair, make_user):
    client.force_login(make_user(role="PROVINCIAL_OFFICER", scope="62", username="dinas.kalteng"))
    client.post(f"/pendataan/duplikat/{pair.pk}/", {"decision": "merge"})
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.MERGED
    assert Person.objects.get(pk=pair.candidate_id).merged_into_id == world.person.pk


def test_a_regency_may_still_say_they_are_two_people(client, world, pair):
    client.force_login(world.users["kapuas_officer"])
    client.post(f"/pendataan/duplikat/{pair.pk}/", {"decision": "distinct"})
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISTINCT
    assert Person.objects.get(pk=world.person.pk).merged_into_id is None
