"""The payment gateway: Stripe Checkout in production, a local stand-in for offline work.

`get_gateway()` picks the implementation named by `settings.PAYMENT_GATEWAY`. Both speak in
integer minor units (cents for usd, whole dong for vnd), the only place where money is not
a Decimal (DESIGN.md rule 6). Every call that moves money or creates a session carries an
idempotency key derived from the booking, so a retried call cannot charge or refund twice.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.conf import settings
from django.urls import reverse

from core import money

logger = logging.getLogger(__name__)

# Stripe's own tables (https://docs.stripe.com/currencies#zero-decimal): these differ from
# ISO 4217 in places (Stripe treats isk, huf and twd as two-decimal), so they live here.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())

# A Checkout Session must live at least 30 minutes; one more minute covers the trip to Stripe.
SESSION_MIN_LIFETIME = timedelta(minutes=31)


def stripe_exponent(currency):
    """Digits of the minor unit in which Stripe counts this currency (its tables above)."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount, currency):
    """Stripe's integer amount: core.money's conversion, with Stripe's exponent."""
    return money.to_minor_units(amount, currency, digits=stripe_exponent(currency))


def from_minor_units(minor, currency):
    """The Decimal of one of Stripe's integer amounts."""
    return money.from_minor_units(minor, currency, digits=stripe_exponent(currency))


class GatewayError(Exception):
    """The gateway refused or failed. `transient` ones are worth retrying."""

    def __init__(self, message, *, transient):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class RefundResult:
    id: str
    # Stripe's refund status: succeeded, pending, requires_action, failed, canceled.
    status: str


def booking_page_url(booking):
    """The browser site's page of a booking: where Checkout returns to."""
    return f"{settings.SITE_URL}/bookings/{booking.id}/"


def checkout_idempotency_key(booking):
    return f"checkout:{booking.id}"


def refund_idempotency_key(booking):
    return f"refund:{booking.id}"


class PaymentGateway:
    """What bookings need from a payment provider."""

    name = ""

    def create_checkout_session(self, booking) -> CheckoutSession:
        raise NotImplementedError

    def expire_checkout_session(self, session_id) -> None:
        """Close an open session so that it can no longer be paid; a closed one is fine."""
        raise NotImplementedError

    def refund(self, *, payment_intent_id, session_id, amount_minor, currency, idempotency_key) -> RefundResult:
        """Refund `amount_minor` (None: everything that was paid) of the payment."""
        raise NotImplementedError


def _line_items(booking):
    """One line per ticket type (Adult, Child…) with its quantity, in minor units: a type whose
    seats differ in price (a premium row) is one line of quantity 1 at its subtotal. One line for
    the whole total when the seat prices do not add up to it (a discount, say)."""
    currency = booking.currency
    seats = list(booking.booking_seats.filter(active=True).select_related("seat", "ticket_type").order_by("seat_id"))
    title = f"{booking.showtime.movie.title} — {booking.showtime.starts_at:%Y-%m-%d %H:%M}"
    if seats and sum(seat.price for seat in seats) == booking.total:
        by_type = {}
        for seat in seats:
            by_type.setdefault(seat.ticket_type, []).append(seat)
        lines = []
        for ticket_type, typed in sorted(by_type.items(), key=lambda item: (item[0].position, item[0].code)):
            labels = ", ".join(seat.seat.label for seat in typed)
            one_price = len({seat.price for seat in typed}) == 1
            amount = typed[0].price if one_price else sum(seat.price for seat in typed)
            lines.append({
                "quantity": len(typed) if one_price else 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": to_minor_units(amount, currency),
                    "product_data": {
                        "name": f"{title} · {ticket_type.name}" + ("" if one_price else f" × {len(typed)}"),
                        "description": f"Seats {labels}",
                    },
                },
            })
        return lines
    return [
        {
            "quantity": 1,
            "price_data": {
                "currency": currency,
                "unit_amount": to_minor_units(booking.total, currency),
                "product_data": {"name": title, "description": f"Booking {booking.reference}"},
            },
        }
    ]


class StripeGateway(PaymentGateway):
    name = "stripe"

    def __init__(self, api_key=None, api_base=None):
        base = (api_base if api_base is not None else settings.STRIPE_API_BASE) or None
        self.client = stripe.StripeClient(
            api_key or settings.STRIPE_SECRET_KEY,
            base_addresses={"api": base.rstrip("/")} if base else None,
            max_network_retries=0,  # our tasks retry, with backoff, under the same idempotency key
        )

    @staticmethod
    def _error(exc):
        # Network trouble, rate limits, Stripe's 5xx and idempotency races pass; a 4xx does not.
        transient = isinstance(
            exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError, stripe.IdempotencyError)
        )
        return GatewayError(f"{type(exc).__name__}: {exc.user_message or exc}", transient=transient)

    def create_checkout_session(self, booking):
        """The parameters are a function of the booking alone (expires_at included), so a
        second call replays the first under its idempotency key and returns the same session."""
        params = {
            "mode": "payment",
            "line_items": _line_items(booking),
            "client_reference_id": str(booking.id),
            "metadata": {"booking_id": str(booking.id), "reference": booking.reference},
            "payment_intent_data": {"metadata": {"booking_id": str(booking.id)}},
            "success_url": booking_page_url(booking) + "?checkout=success",
            "cancel_url": booking_page_url(booking) + "?checkout=cancelled",
            "expires_at": int((booking.expires_at + SESSION_MIN_LIFETIME).timestamp()),
            "locale": getattr(booking.user, "language", "") or "auto",
        }
        if booking.user.email:
            params["customer_email"] = booking.user.email
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": checkout_idempotency_key(booking)}
            )
        except stripe.StripeError as exc:
            raise self._error(exc) from exc
        return CheckoutSession(id=session.id, url=session.url)

    def expire_checkout_session(self, session_id):
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError as exc:
            # Already complete or expired: nothing left to close.
            logger.info("checkout session %s not expirable: %s", session_id, exc.user_message or exc)
        except stripe.StripeError as exc:
            raise self._error(exc) from exc

    def refund(self, *, payment_intent_id, session_id, amount_minor, currency, idempotency_key):
        try:
            if not payment_intent_id:
                payment_intent_id = self.client.v1.checkout.sessions.retrieve(session_id).payment_intent
            if not payment_intent_id:
                raise GatewayError(f"session {session_id} has no payment to refund", transient=False)
            params = {"payment_intent": payment_intent_id, "reason": "requested_by_customer"}
            if amount_minor is not None:
                params["amount"] = amount_minor
            refund = self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                return RefundResult(id="", status="succeeded")
            raise self._error(exc) from exc
        except stripe.StripeError as exc:
            raise self._error(exc) from exc
        return RefundResult(id=refund.id, status=refund.status)


class LocalGateway(PaymentGateway):
    """Takes no money: its checkout page (bookings.api.payment_views.local_pay) sends our own
    webhook a correctly signed `checkout.session.completed`, and its refunds succeed at once."""

    name = "local"

    def create_checkout_session(self, booking):
        session_id = booking.checkout_session_id or f"cs_local_{secrets.token_hex(12)}"
        url = settings.SITE_URL + reverse("payments:local-pay", args=[session_id])
        return CheckoutSession(id=session_id, url=url)

    def expire_checkout_session(self, session_id):
        """The local page refuses a booking that is no longer pending; nothing to close."""

    def refund(self, *, payment_intent_id, session_id, amount_minor, currency, idempotency_key):
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return RefundResult(id=f"re_local_{digest}", status="succeeded")


def get_gateway():
    """The gateway named by settings.PAYMENT_GATEWAY (read at each call, so tests can switch)."""
    if settings.PAYMENT_GATEWAY == "stripe":
        return StripeGateway()
    return LocalGateway()
