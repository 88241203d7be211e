"""Enrolling by hand stays inside both areas: the officer's and the program's. A provincial officer
may run Kapuas's program, but cannot enrol a Palangkaraya household in it (its budget is Kapuas's)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from betang.aid.models import Enrolment
from betang.aid.services.programs import EnrolmentError, enrolment_add
from tests.conftest import NOW
from tests.scope.conftest import changed, snapshot

pytestmark = pytest.mark.django_db


def test_a_household_outside_the_programs_area_is_not_enrolled_in_it(client, world, make_user):
    client.force_login(make_user(role="PROVINCIAL_OFFICER", scope="62", username="dinas.kalteng"))
    before = snapshot()
    response = client.post(
        "/bantuan/program/kapuas/peserta/tambah/", {"kk": world.palangkaraya.household.kk_number, "note": "manual"}
    )
    assert response.status_code == 302
    assert changed(before, snapshot()) == []
    [told] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "di luar wilayah program" in told


def test_the_service_refuses_a_household_outside_the_officers_area(world):
    before = snapshot()
    with pytest.raises(EnrolmentError):
        enrolment_add(
            program=world.program, household=world.palangkaraya.household, cooperative=world.palangkaraya.cooperative,
            occurred_at=NOW, actor=world.users["kapuas_officer"], note="manual",
        )  # fmt: skip
    assert changed(before, snapshot()) == []


def test_inside_both_areas_it_is_enrolled(client, world):
    client.force_login(world.users["kapuas_officer"])
    client.post("/bantuan/program/kapuas/peserta/tambah/", {"kk": world.kapuas.household.kk_number, "note": "manual"})
    assert Enrolment.objects.filter(program__code="kapuas", household=world.kapuas.household).exists()
