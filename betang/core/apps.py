"""App config for betang.core."""

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Sections of the admin that third-party apps name in English: named here in the user's language.
_SECTION_NAMES = {
    "axes": _("Sign-in attempts"),
    "django_tasks_database": _("Background tasks"),
    "django_tasks": _("Background tasks"),
}


class CoreConfig(AppConfig):
    name = "betang.core"
    label = "core"
    verbose_name = _("Audit trail and files")

    def ready(self) -> None:
        from betang.core import lookups  # noqa: F401 - registers field__any

        for label, name in _SECTION_NAMES.items():
            if apps.is_installed(label) or label in apps.app_configs:
                apps.get_app_config(label).verbose_name = name
