"""Enrolments say who decided them (the rule or an officer; before, a reason starting "manual: "); each
change of a program's eligibility rule is kept; a cycle can be DRAFTING (a background task) and its
task's error is the draft's or the credit's."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PREFIX = "manual: "


def basis_from_reason(apps, schema_editor):
    Enrolment = apps.get_model("aid", "Enrolment")
    for enrolment in Enrolment.objects.filter(reason__startswith="manual").only("pk", "reason"):
        reason = enrolment.reason[len(PREFIX) :] if enrolment.reason.startswith(PREFIX) else enrolment.reason
        Enrolment.objects.filter(pk=enrolment.pk).update(basis="MANUAL", reason=reason)


def reason_from_basis(apps, schema_editor):
    Enrolment = apps.get_model("aid", "Enrolment")
    for enrolment in Enrolment.objects.filter(basis="MANUAL").only("pk", "reason"):
        Enrolment.objects.filter(pk=enrolment.pk).update(reason=(PREFIX + enrolment.reason)[:200])


class Migration(migrations.Migration):
    dependencies = [
        ("aid", "0005_cycle_close_task_and_credit_error"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrolment",
            name="basis",
            field=models.CharField(
                choices=[("RULE", "by the eligibility rule"), ("MANUAL", "by an officer")],
                default="RULE",
                max_length=6,
                verbose_name="decided",
            ),
        ),
        migrations.RunPython(basis_from_reason, reason_from_basis),
        migrations.RenameField(
            model_name="cycle",
            old_name="credit_error",
            new_name="task_error",
        ),
        migrations.AlterField(
            model_name="cycle",
            name="status",
            field=models.CharField(
                choices=[
                    ("DRAFTING", "being drafted"),
                    ("DRAFT", "draft"),
                    ("SUBMITTED", "submitted"),
                    ("APPROVED", "approved"),
                    ("CREDITING", "being credited"),
                    ("CREDITED", "credited"),
                    ("CLOSED", "closed"),
                ],
                default="DRAFT",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.CreateModel(
            name="RuleChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("rule", models.JSONField(verbose_name="eligibility rule")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="reason")),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="rule_changes", to="aid.program"
                    ),
                ),
            ],
            options={
                "verbose_name": "eligibility rule change",
                "verbose_name_plural": "eligibility rule changes",
                "ordering": ["-changed_at", "-pk"],
            },
        ),
    ]
