"""App config for betang.demo."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "betang.demo"
    label = "demo"
    verbose_name = "Demo"
