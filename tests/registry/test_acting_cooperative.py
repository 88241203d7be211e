"""Which cooperative a user may act for (take a card payment, sell): inside their area,
staff bound to their own cooperative, an outlet of that cooperative; everything else is 404."""

import pytest
from django.http import Http404

from betang.registry.models import Cooperative, CooperativeStaff, Outlet
from betang.registry.selectors import acting_cooperative_id
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def coop(region: str, name: str) -> Cooperative:
    return Cooperative.objects.create(
        name=name, name_key=name.lower(), kind="KDMP", region_code=region, created_at=NOW, updated_at=NOW
    )


def test_an_officer_acts_only_inside_their_area(make_user):
    kapuas = coop("62.03.01.1006", "KDMP Sei Pasah")
    other = coop("62.71.01.1001", "KDMP Pahandut")
    officer = make_user(role="REGENCY_OFFICER", scope="62.03")
    assert acting_cooperative_id(user=officer, cooperative_id=kapuas.pk) == kapuas.pk
    assert acting_cooperative_id(user=officer, cooperative_id=str(kapuas.pk)) == kapuas.pk
    with pytest.raises(Http404):
        acting_cooperative_id(user=officer, cooperative_id=other.pk)
    with pytest.raises(Http404):  # another district of the same regency
        acting_cooperative_id(user=make_user(role="REGENCY_OFFICER", scope="62.03.02"), cooperative_id=kapuas.pk)
    national = make_user(role="ADMINISTRATOR", scope="")
    assert acting_cooperative_id(user=national, cooperative_id=other.pk) == other.pk


def test_staff_act_for_their_cooperative_and_its_outlets_only(make_user):
    own, neighbour = coop("62.03.01.1006", "KDMP Sei Pasah"), coop("62.03.01.1006", "Koperasi Nelayan")
    cashier = make_user(role="CASHIER", scope="62.03.01.1006")
    CooperativeStaff.objects.create(user=cashier, cooperative=own, since=NOW)
    outlet = Outlet.objects.create(
        cooperative=own, name="Gerai", region_code=own.region_code, created_at=NOW, updated_at=NOW
    )
    theirs = Outlet.objects.create(
        cooperative=neighbour, name="Gerai Ikan", region_code=own.region_code, created_at=NOW, updated_at=NOW
    )
    assert acting_cooperative_id(user=cashier, cooperative_id=own.pk, outlet_id=outlet.pk) == own.pk
    for cooperative_id, outlet_id in [(neighbour.pk, None), (own.pk, theirs.pk), (own.pk, "not-a-uuid"), ("x", None)]:
        with pytest.raises(Http404):
            acting_cooperative_id(user=cashier, cooperative_id=cooperative_id, outlet_id=outlet_id)
