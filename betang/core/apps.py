"""App config for betang.core."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "betang.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from betang.core import lookups  # noqa: F401 - registers field__any
