"""The custom User with a role and a region scope, and hashed API tokens for machines."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from betang.accounts.access import user_has_capability
from betang.accounts.roles import Role
from betang.regions.scope import RegionScope


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.AUDITOR)
    # Region code prefix the user works in ("62.03" = Kabupaten Kapuas); empty = the whole country.
    scope_region_code = models.CharField(_("region scope"), max_length=13, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def region_scope(self) -> RegionScope:
        return RegionScope(self.scope_region_code)

    def has_capability(self, capability: str) -> bool:
        return user_has_capability(self, capability)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A machine credential: only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
