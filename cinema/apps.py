from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_default_ticket_types(sender, using="default", **kwargs):
    """adult, child, senior and student exist after every `migrate` (the contract), like
    Django's permissions; also after a test flush, which sends post_migrate too."""
    from .models import TicketType

    for code, name, check_id, position in TicketType.DEFAULTS:
        TicketType.objects.using(using).get_or_create(
            code=code, defaults={"name": name, "check_id": check_id, "position": position}
        )


class CinemaConfig(AppConfig):
    name = "cinema"
    verbose_name = "Catalogue"

    def ready(self):
        post_migrate.connect(ensure_default_ticket_types, sender=self, dispatch_uid="cinema_default_ticket_types")
