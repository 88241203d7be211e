"""App config for betang.web."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "betang.web"
    label = "web"
    verbose_name = "Web"  # holds no models: never named on a page
