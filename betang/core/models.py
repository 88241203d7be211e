"""Core rows: the audit trail and the progress of background tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which row, when; written in the same transaction as the business write."""

    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(_("event"), max_length=100)  # dotted: accounts.user.created
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Village code (or a shorter region code) the row belongs to; scoping keys on it.
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.event} {self.object_type}:{self.object_id}"


class TaskProgress(models.Model):
    """How far a background task has come, keyed by its task result id, for progress pages."""

    task_id = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.label} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


class Throttle(models.Model):
    """Hits of one key (e.g. a client address on a public page) in the current fixed window; written
    only by `core.throttle`, in one statement, so every process sees the same count."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
