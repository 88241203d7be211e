"""The role × data matrix of docs/access.md: the capability table there is the code's, both ways, and
each role meets the registry's pages and API as the matrix says (a buyer sees suppliers, not families)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from betang.accounts.access import ROLE_CAPABILITIES
from betang.accounts.models import Role
from betang.registry.models import Cooperative, CooperativeMember, CooperativeStaff, Household, Person
from tests.conftest import NOW
from tests.registry.conftest import FAMILY, csv_bytes
from tests.registry.test_import_orgs import COOP_HEADERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _documented_capabilities() -> dict[str, set[str]]:
    """The 'Capabilities per role' table of docs/access.md as role → capabilities."""
    text = DOC.read_text(encoding="utf-8").split("## Capabilities per role", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("|")]
    roles = [cell.strip() for cell in rows[0].strip("|").split("|")][1:]
    held: dict[str, set[str]] = {role: set() for role in roles}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        for role, cell in zip(roles, cells[1:], strict=True):
            if cell == "x":
                held[role].add(cells[0])
    return held


def test_the_documented_capabilities_are_the_codes():
    documented = _documented_capabilities()
    assert set(documented) == set(Role.values)
    for role in Role.values:
        assert documented[role] == set(ROLE_CAPABILITIES[role]), role


@pytest.fixture
def registry_world(run_import, kapuas_officer):
    """A Kapuas family, a cooperative of their village, an import of each kind."""
    households, _ = run_import(csv_bytes(FAMILY), actor=kapuas_officer)
    coop_row = ["KDMP Murung Keramat", "KDMP", "62.03.01.1006", "AHU-0002.AH.01.29.TAHUN 2025", "", "", "", ""]
    coops, _ = run_import(csv_bytes([coop_row], headers=COOP_HEADERS), kind="cooperatives", actor=kapuas_officer)
    CooperativeMember.objects.create(
        cooperative=Cooperative.objects.get(), person=Person.objects.get(nik=FAMILY[0][0]), role="CHAIR"
    )
    return {
        "household": Household.objects.get(),
        "cooperative": Cooperative.objects.get(),
        "household_import": households,
        "coop_import": coops,
    }


# What each role gets, inside its area: (registry home, households list, household page, cooperative
# page shows members, API households, household import page, cooperative import page).
EXPECTED = {
    Role.PROVINCIAL_OFFICER: (200, 200, 200, True, 200, 200, 200),
    Role.REGENCY_OFFICER: (200, 200, 200, True, 200, 200, 200),
    Role.COOPERATIVE_OPERATOR: (200, 200, 200, True, 200, 404, 404),  # the imports were the regency's
    Role.CASHIER: (403, 403, 403, None, 403, 403, 403),
    Role.FUND_OFFICER: (200, 403, 403, False, 403, 404, 200),
    Role.PROCUREMENT_BUYER: (200, 403, 403, False, 403, 404, 200),
    Role.AUDITOR: (200, 200, 200, True, 200, 200, 200),
    Role.ADMINISTRATOR: (200, 200, 200, True, 200, 200, 200),
}
SCOPES = {Role.COOPERATIVE_OPERATOR: "62.03.01.1006", Role.CASHIER: "62.03.01.1006", Role.REGENCY_OFFICER: "62.03"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_meets_the_registry_as_the_matrix_says(client, make_user, registry_world, role):
    user = make_user(role=role, scope=SCOPES.get(role, "62"), username=f"u-{role.lower()}")
    if role in (Role.COOPERATIVE_OPERATOR, Role.CASHIER):
        CooperativeStaff.objects.create(user=user, cooperative=registry_world["cooperative"], since=NOW)
    client.force_login(user)
    household, coop = registry_world["household"], registry_world["cooperative"]
    coop_page = client.get(reverse("registry:org_detail", args=["koperasi", coop.pk]))
    got = (
        client.get(reverse("registry:home")).status_code,
        client.get(reverse("registry:households")).status_code,
        client.get(reverse("registry:household_detail", args=[household.pk])).status_code,
        ('data-testid="members"' in coop_page.content.decode()) if coop_page.status_code == 200 else None,
        client.get("/api/v1/registry/households").status_code,
        client.get(reverse("registry:import_detail", args=[registry_world["household_import"].pk])).status_code,
        client.get(reverse("registry:import_detail", args=[registry_world["coop_import"].pk])).status_code,
    )
    assert got == EXPECTED[role]
    if not EXPECTED[role][3] and coop_page.status_code == 200:
        assert "Budi Santoso" not in coop_page.content.decode()
        members_api = client.get(f"/api/v1/registry/cooperatives/{coop.pk}/members")
        assert members_api.status_code == 403
    if EXPECTED[role][1] == 403 and EXPECTED[role][0] == 200:
        home = client.get(reverse("registry:home")).content.decode()
        assert 'data-testid="count-households"' not in home  # not even how many
        imports = client.get(reverse("registry:imports")).content.decode()
        assert reverse("registry:import_detail", args=[registry_world["coop_import"].pk]) in imports
        assert reverse("registry:import_detail", args=[registry_world["household_import"].pk]) not in imports


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_no_registry_page_shows_a_full_number_to_a_role_without_full_nik(client, make_user, registry_world, role):
    from betang.accounts.access import user_has_capability

    user = make_user(role=role, scope=SCOPES.get(role, "62"), username=f"v-{role.lower()}")
    client.force_login(user)
    household, coop = registry_world["household"], registry_world["cooperative"]
    urls = [
        reverse("registry:home"),
        reverse("registry:households"),
        reverse("registry:household_detail", args=[household.pk]),
        reverse("registry:org_detail", args=["koperasi", coop.pk]),
        reverse("registry:import_detail", args=[registry_world["household_import"].pk]),
        "/api/v1/registry/households",
        f"/api/v1/registry/households/{household.pk}",
        "/audit/",
    ]
    full = user_has_capability(user, "registry.full_nik")
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue
        found = SIXTEEN.findall(response.content.decode())
        if not full:
            assert found == [], url
