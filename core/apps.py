from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing with no domain; it imports none of the apps."""

    name = "core"
    verbose_name = "Core"
