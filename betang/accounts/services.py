"""Writes to accounts: users, their role and scope, and API tokens; each audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from betang.accounts.models import ApiToken, Role, User
from betang.core.audit import audit_record, diff
from betang.core.errors import DomainError
from betang.regions import codes
from betang.regions.selectors import MODELS as REGION_MODELS

TOKEN_PREFIX = "btg"  # noqa: S105 - a public marker, not a secret


class InvalidScope(DomainError):
    code = "accounts.invalid_scope"
    message = "The region scope is not a known region code."


class InvalidPassword(DomainError):
    code = "accounts.invalid_password"
    message = "The password is not strong enough."


def _check_scope(scope_region_code: str) -> str:
    if not scope_region_code:
        return ""
    code = codes.normalise(scope_region_code)
    level = codes.level_of(code) if code else None
    if level is None or not REGION_MODELS[level].objects.filter(code=code).exists():
        raise InvalidScope(details={"scope_region_code": scope_region_code})
    return code


def user_create(
    *,
    username: str,
    password: str,
    role: str,
    scope_region_code: str = "",
    full_name: str = "",
    email: str = "",
    actor: Any,
    occurred_at: datetime,
    check_password: bool = True,
) -> User:
    scope = _check_scope(scope_region_code)
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}.")
    first, _, last = full_name.partition(" ")
    user = User(username=username, role=role, scope_region_code=scope, first_name=first, last_name=last, email=email)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidPassword(" ".join(exc.messages)) from None
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit_record(
            actor=actor,
            event="accounts.user.created",
            occurred_at=occurred_at,
            obj=user,
            region_code=scope,
            changes={"username": [None, username], "role": [None, role], "scope_region_code": [None, scope]},
        )
    return user


def user_update(
    *, user: User, actor: Any, occurred_at: datetime, role: str | None = None, scope_region_code: str | None = None
) -> User:
    before = {"role": user.role, "scope_region_code": user.scope_region_code}
    if role is not None:
        if role not in Role.values:
            raise DomainError(f"Unknown role {role!r}.")
        user.role = role
    if scope_region_code is not None:
        user.scope_region_code = _check_scope(scope_region_code)
    after = {"role": user.role, "scope_region_code": user.scope_region_code}
    changes = diff(before, after)
    if not changes:
        return user
    with transaction.atomic():
        user.save(update_fields=["role", "scope_region_code"])
        audit_record(
            actor=actor,
            event="accounts.user.updated",
            occurred_at=occurred_at,
            obj=user,
            region_code=user.scope_region_code,
            changes=changes,
        )
    return user


def password_changed(*, user: User, occurred_at: datetime) -> None:
    """Record that a user changed their own password (the password itself is never recorded)."""
    audit_record(
        actor=user,
        event="accounts.password.changed",
        occurred_at=occurred_at,
        obj=user,
        region_code=user.scope_region_code,
    )


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once to the person who asked, never stored


LAST_USED_EVERY = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str, actor: Any, occurred_at: datetime) -> IssuedToken:
    prefix = secrets.token_hex(4)
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}_{prefix}_{body}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(secret))
        audit_record(
            actor=actor,
            event="accounts.token.created",
            occurred_at=occurred_at,
            obj=token,
            region_code=user.scope_region_code,
            changes={"name": [None, name], "user": [None, user.username]},
        )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, actor: Any, occurred_at: datetime) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=occurred_at)
        audit_record(
            actor=actor,
            event="accounts.token.revoked",
            occurred_at=occurred_at,
            obj=token,
            region_code=token.user.scope_region_code,
        )


_TOKEN_USED: dict[str, datetime] = {}  # token prefix (random) → when this process last wrote its last_used_at


def token_authenticate(secret: str, *, occurred_at: datetime) -> User | None:
    """The active user behind a bearer token, or None; constant-time comparison of the hash.

    One plain statement reads the token and its user (on every API call, and compiling the ORM's
    join cost more than running it, measured)."""
    parts = secret.split("_", 2)  # the body itself may contain underscores
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    q = connection.ops.quote_name
    found = list(
        User.objects.raw(
            f"SELECT u.*, t.id AS token_id, t.secret_hash AS token_hash FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608 - table names
            f"JOIN {q(User._meta.db_table)} u ON u.id = t.user_id WHERE t.prefix = %s AND t.revoked_at IS NULL",
            [parts[1]],
        )
    )
    if not found or not hmac.compare_digest(found[0].token_hash, _hash(secret)):
        return None
    user = found[0]
    if not user.is_active:
        return None
    # At most once a minute from each process: a POS sends hundreds of payments a minute on one
    # token, and an UPDATE of the same row by each of them would queue them all behind its lock.
    last = _TOKEN_USED.get(parts[1])
    if last is None or occurred_at - last > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=occurred_at)
        _TOKEN_USED[parts[1]] = occurred_at
    return user
