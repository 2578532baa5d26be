"""Deploy checks (`manage.py check --deploy`) of what settings alone cannot refuse."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def local_payment_gateway(app_configs, **kwargs):
    """The local gateway's Pay page marks bookings paid for free: fine on staging, never live."""
    if settings.PAYMENT_GATEWAY == "local" and not settings.DEBUG:
        return [
            checks.Error(
                "PAYMENT_GATEWAY is 'local': its Pay page marks bookings paid and takes no money.",
                hint="Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (PAYMENT_GATEWAY=stripe). On a staging "
                "box, accept it by name: SILENCED_SYSTEM_CHECKS=payments.E001.",
                id="payments.E001",
            )
        ]
    return []
