"""User services and machine tokens."""

from datetime import timedelta

import pytest

from betang.accounts.models import ApiToken
from betang.accounts.services import (
    InvalidPassword,
    InvalidScope,
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
    user_update,
)
from betang.core.models import AuditEvent


def test_user_create_checks_scope_and_password_and_audits(db, now):
    with pytest.raises(InvalidScope):
        user_create(
            username="x",
            password="Panjang-Sekali-99",
            role="CASHIER",
            scope_region_code="62.99",
            actor=None,
            occurred_at=now,
        )
    with pytest.raises(InvalidPassword):
        user_create(
            username="x", password="123", role="CASHIER", scope_region_code="62.03", actor=None, occurred_at=now
        )
    user = user_create(
        username="kasir1",
        password="Panjang-Sekali-99",
        role="CASHIER",
        scope_region_code="6203",
        actor=None,
        occurred_at=now,
    )
    assert user.scope_region_code == "62.03"  # normalised
    event = AuditEvent.objects.get(event="accounts.user.created", object_id=str(user.pk))
    assert event.changes["role"] == [None, "CASHIER"]
    assert "Panjang-Sekali-99" not in str(event.changes)


def test_user_update_records_only_real_changes(make_user, now):
    user = make_user(role="CASHIER", scope="62.03")
    user_update(user=user, role="CASHIER", actor=None, occurred_at=now)
    assert not AuditEvent.objects.filter(event="accounts.user.updated").exists()
    user_update(user=user, scope_region_code="62.71", actor=None, occurred_at=now)
    event = AuditEvent.objects.get(event="accounts.user.updated")
    assert event.changes == {"scope_region_code": ["62.03", "62.71"]}


def test_tokens_authenticate_until_revoked_and_store_only_a_hash(make_user, now):
    user = make_user()
    issued = [token_create(user=user, name=f"t{i}", actor=user, occurred_at=now) for i in range(30)]
    for item in issued:
        assert token_authenticate(item.secret, occurred_at=now) == user
        stored = ApiToken.objects.get(pk=item.token.pk)
        assert item.secret not in stored.secret_hash
    token_revoke(token=issued[0].token, actor=user, occurred_at=now)
    assert token_authenticate(issued[0].secret, occurred_at=now) is None
    assert token_authenticate(issued[1].secret + "x", occurred_at=now) is None
    assert token_authenticate("btg_nothing_here", occurred_at=now) is None


def test_tokens_of_inactive_users_stop_working(make_user, now):
    user = make_user()
    issued = token_create(user=user, name="pos", actor=user, occurred_at=now)
    user.is_active = False
    user.save()
    assert token_authenticate(issued.secret, occurred_at=now) is None


def test_a_busy_token_notes_its_last_use_at_most_once_a_minute(make_user, now):
    user = make_user(role="CASHIER", scope="62.03.01.1006")
    issued = token_create(user=user, name="POS", actor=None, occurred_at=now)
    token = issued.token
    token_authenticate(issued.secret, occurred_at=now)
    token.refresh_from_db()
    assert token.last_used_at == now
    token_authenticate(issued.secret, occurred_at=now + timedelta(seconds=59))
    token.refresh_from_db()
    assert token.last_used_at == now  # a POS's hundreds of payments a minute do not each write the row
    token_authenticate(issued.secret, occurred_at=now + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == now + timedelta(seconds=61)
