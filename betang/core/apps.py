"""App config for betang.core."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "betang.core"
    label = "core"
    verbose_name = "Core"
