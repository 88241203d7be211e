"""One place decides: capabilities per role, menus per role, and scoped audit rows."""

import pytest
from django.urls import reverse

from betang.accounts import access
from betang.accounts.models import Role
from betang.accounts.selectors import audit_event_list
from betang.core.audit import audit_record


@pytest.mark.parametrize(
    ("role", "sees_audit", "sees_admin"),
    [
        (Role.PROVINCIAL_OFFICER, True, False),
        (Role.REGENCY_OFFICER, True, False),
        (Role.COOPERATIVE_OPERATOR, False, False),
        (Role.CASHIER, False, False),
        (Role.FUND_OFFICER, False, False),
        (Role.PROCUREMENT_BUYER, False, False),
        (Role.AUDITOR, True, False),
        (Role.ADMINISTRATOR, True, True),
    ],
)
def test_each_role_gets_its_menu(client, make_user, role, sees_audit, sees_admin):
    user = make_user(role=role, scope="62", is_staff=role == Role.ADMINISTRATOR)
    client.force_login(user)
    page = client.get(reverse("accounts:home")).content.decode()
    assert ("Jejak audit" in page) is sees_audit
    assert ("Administrasi" in page) is sees_admin
    assert "Wilayah" in page
    assert (client.get(reverse("accounts:audit")).status_code == 200) is sees_audit


def test_every_role_has_capabilities_declared():
    assert set(access.ROLE_CAPABILITIES) == set(Role.values)


def test_inactive_users_hold_no_capability(make_user):
    user = make_user(role=Role.ADMINISTRATOR, is_active=False)
    assert not user.has_capability(access.VIEW_REGIONS)


def test_audit_rows_are_scoped(make_user, kapuas_officer, palangkaraya_officer, now):
    audit_record(actor=None, event="test.kapuas", occurred_at=now, region_code="62.03.01.1006")
    audit_record(actor=None, event="test.palangkaraya", occurred_at=now, region_code="62.71.01.1001")
    audit_record(actor=None, event="test.national", occurred_at=now, region_code="")
    kapuas = set(audit_event_list(user=kapuas_officer, event_prefix="test.").values_list("event", flat=True))
    assert kapuas == {"test.kapuas"}
    national = make_user(role=Role.AUDITOR, scope="")
    assert set(audit_event_list(user=national, event_prefix="test.").values_list("event", flat=True)) == {
        "test.kapuas",
        "test.palangkaraya",
        "test.national",
    }


def test_audit_page_hides_other_regencies(client, kapuas_officer, now):
    audit_record(actor=None, event="test.palangkaraya", occurred_at=now, region_code="62.71.01.1001")
    client.force_login(kapuas_officer)
    page = client.get(reverse("accounts:audit"), {"event": "test."}).content.decode()
    assert "test.palangkaraya" not in page


def test_admin_link_needs_staff_as_well_as_the_role(make_user):
    assert not make_user(role=Role.ADMINISTRATOR, is_staff=False).has_capability(access.USE_ADMIN)
    assert make_user(role=Role.ADMINISTRATOR, is_staff=True, username="staf").has_capability(access.USE_ADMIN)
