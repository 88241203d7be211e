"""Core rows: the audit trail and the progress of background tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from betang.core.ids import new_id


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


class ExportFile(models.Model):
    """A file made by a background task for the one user who asked for it (a large export): kept in the
    private media storage, never served by URL, downloaded only by that user, each download audited."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(max_length=40)  # dotted: registry.households, registry.rejects
    label = models.CharField(max_length=200)
    filename = models.CharField(max_length=200)  # what the browser saves it as
    # What to export (filters, a batch): read by the task, emptied once the file is made, since a
    # search may hold a NIK.
    params = models.JSONField(default=dict, blank=True)
    full_identifiers = models.BooleanField(default=False)  # decided when asked: registry.full_nik
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=13, blank=True)
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    file = models.FileField(upload_to="exports/", blank=True)
    rows = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"
