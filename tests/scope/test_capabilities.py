"""Every role × every write path it holds no capability for: 403 (404 where the page hides the row
from all but its owner), and nothing stored. Each role's user is placed where the rows are (the
province; a cooperative's staff at Palangkaraya's cooperative), so the capability is the only reason."""

from __future__ import annotations

import pytest

from betang.accounts.access import ROLE_CAPABILITIES
from betang.accounts.models import Role
from tests.scope.conftest import ROLES, changed, snapshot
from tests.scope.paths import PATHS

pytestmark = pytest.mark.django_db

# Differences are resolved by their owner only; the page answers anyone else as if there were none.
HIDDEN = {"aid.exception.program", "aid.exception.cooperative"}
BOUND = {"COOPERATIVE_OPERATOR", "CASHIER"}


def lacking(role: str) -> list[str]:
    held = ROLE_CAPABILITIES[role]
    return [name for name, path in PATHS.items() if not any(c in held for c in path.needs)]


def test_the_table_leaves_no_role_out():
    assert set(ROLES) == set(Role.values)
    assert all(path.needs for path in PATHS.values())
    assert lacking("ADMINISTRATOR") == []  # the control of every other test
    assert all(lacking(role) for role in ROLES if role != "ADMINISTRATOR")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "ADMINISTRATOR"])
def test_a_role_without_the_capability_is_refused_every_write_and_nothing_changes(client, world, make_user, role):
    if role in BOUND:
        user = world.palangkaraya.operator if role == "COOPERATIVE_OPERATOR" else world.palangkaraya.cashier
    else:
        user = make_user(role=role, scope="62", username=f"x.{role.lower()}")
    client.force_login(user)
    before = snapshot()
    met = {name: PATHS[name].send(client, world).status_code for name in lacking(role)}
    assert met == {name: 404 if name in HIDDEN else 403 for name in lacking(role)}
    assert changed(before, snapshot()) == []  # refused at the door: nothing written by any of them
