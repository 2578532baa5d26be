"""`manage.py prepare_release`: the one step before starting a release's processes."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Prepare a release: collectstatic (with DEBUG=false every page, the error pages included, needs "
        "the collected files), migrate (schema and periodic tasks), then check --deploy (fails on errors)."
    )
    requires_system_checks = []  # the deploy checks run last, after the release is in place

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        self.stdout.write("collectstatic…")
        call_command("collectstatic", interactive=False, verbosity=max(verbosity - 1, 0))
        self.stdout.write("migrate…")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        self.stdout.write("check --deploy…")
        call_command("check", deploy=True, fail_level="ERROR")
        self.stdout.write(self.style.SUCCESS("Release prepared: static files collected, database migrated, deploy checks passed."))
