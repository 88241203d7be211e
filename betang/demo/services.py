"""Builds the demo province step by step; every step is safe to run again."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction

from betang.accounts.access import COOPERATIVE_BOUND_ROLES
from betang.accounts.models import Role, User
from betang.accounts.services import user_create, user_update
from betang.regions.models import Village
from betang.regions.services import LoadResult, regions_load
from betang.registry.models import Cooperative
from betang.registry.services.staff import cooperative_staff_assign

PROVINCE = "62"  # Kalimantan Tengah


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    scope: str  # a code, or "village-of:<regency>" resolved to that regency's first village
    is_admin: bool = False


DEMO_USERS = [
    DemoUser("admin", "Admin Betang", Role.ADMINISTRATOR, "", is_admin=True),
    DemoUser("dinas.kalteng", "Rahmat Hidayat", Role.PROVINCIAL_OFFICER, PROVINCE),
    DemoUser("kab.kapuas", "Siti Rahmawati", Role.REGENCY_OFFICER, "62.03"),
    DemoUser("kota.palangkaraya", "Yohanes Dandan", Role.REGENCY_OFFICER, "62.71"),
    DemoUser("pengurus.kapuas", "Agus Salim", Role.COOPERATIVE_OPERATOR, "village-of:62.03"),
    DemoUser("kasir.kapuas", "Dewi Lestari", Role.CASHIER, "village-of:62.03"),
    DemoUser("dana.bergulir", "Bambang Suryadi", Role.FUND_OFFICER, PROVINCE),
    DemoUser("pengadaan.kalteng", "Maria Ulfa", Role.PROCUREMENT_BUYER, PROVINCE),
    DemoUser("auditor.kalteng", "Hendra Gunawan", Role.AUDITOR, PROVINCE),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role_label: str
    scope: str


def _resolve_scope(scope: str) -> str:
    if scope.startswith("village-of:"):
        regency = scope.split(":", 1)[1]
        village = Village.objects.filter(code__startswith=regency + ".", is_active=True).order_by("code").first()
        return village.code
    return scope


def demo_staff(*, occurred_at: datetime) -> list[tuple[str, str]]:
    """Bind the demo's cooperative operator and cashier to the cooperative of their village (after
    the registry is built); returns (user name, cooperative name) pairs."""
    bound = []
    for demo in DEMO_USERS:
        if demo.role not in COOPERATIVE_BOUND_ROLES:
            continue
        user = User.objects.get(username=demo.username)
        cooperative = Cooperative.objects.filter(region_code=_resolve_scope(demo.scope)).order_by("name").first()
        if cooperative is not None:
            cooperative_staff_assign(user=user, cooperative=cooperative, actor=None, occurred_at=occurred_at)
            bound.append((user.username, cooperative.name))
    return bound


def _load_passwords(path: Path) -> dict[str, str]:
    if path.exists():
        return json.loads(path.read_text())
    return {}


def _save_passwords(path: Path, passwords: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(passwords, fh, indent=2)


def demo_regions(*, occurred_at: datetime) -> LoadResult:
    return regions_load(occurred_at=occurred_at)


def demo_users(*, occurred_at: datetime, passwords_file: Path) -> list[DemoLogin]:
    """Create the demo users once; their random passwords live in var/ (never in the repository)."""
    passwords = _load_passwords(passwords_file)
    logins = []
    with transaction.atomic():
        for demo in DEMO_USERS:
            scope = _resolve_scope(demo.scope)
            password = passwords.get(demo.username) or f"Betang-{secrets.token_hex(4)}"
            passwords[demo.username] = password
            user = User.objects.filter(username=demo.username).first()
            if user is None:
                user = user_create(
                    username=demo.username,
                    password=password,
                    role=demo.role,
                    scope_region_code=scope,
                    full_name=demo.full_name,
                    actor=None,
                    occurred_at=occurred_at,
                )
            else:
                user_update(user=user, role=demo.role, scope_region_code=scope, actor=None, occurred_at=occurred_at)
                if not user.check_password(password):
                    user.set_password(password)
                    user.save(update_fields=["password"])
            if demo.is_admin and not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            logins.append(DemoLogin(demo.username, password, user.get_role_display(), scope or "Indonesia"))
    _save_passwords(passwords_file, passwords)
    return logins
