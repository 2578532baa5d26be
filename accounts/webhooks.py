"""The auth provider's (Clerk's) webhook, delivered through Svix: verify, store once, enqueue."""

import logging

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from svix.webhooks import Webhook

from core.api import ServiceUnavailable
from core.parsers import TooDeep, loads_shallow

from . import services

logger = logging.getLogger(__name__)

SVIX_HEADERS = ("svix-id", "svix-timestamp", "svix-signature")


class InvalidSignature(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The webhook signature could not be verified."
    default_code = "invalid_signature"


class InvalidPayload(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The webhook body is not a user event."
    default_code = "invalid_payload"


def verify_svix(raw_body, headers):
    """Raise InvalidSignature unless the Svix headers sign this exact body with our secret,
    within svix's 5-minute tolerance either way; returns the parsed JSON body."""
    secret = settings.CLERK_WEBHOOK_SECRET
    try:
        webhook = Webhook(secret)
    except Exception:  # a secret that is not whsec_<base64>: our configuration, not the sender's fault
        logger.error("CLERK_WEBHOOK_SECRET is not a valid Svix secret")
        raise ServiceUnavailable("The auth-provider webhook is misconfigured.", code="webhook_not_configured")
    svix_headers = {name: headers.get(name, "") for name in SVIX_HEADERS}
    if not all(svix_headers.values()):
        raise InvalidSignature("Missing Svix headers (svix-id, svix-timestamp, svix-signature).")
    try:
        # svix 2.x returns None here, so the body is parsed below.
        webhook.verify(raw_body, svix_headers)
    except Exception as exc:  # WebhookVerificationError, and malformed signatures (ValueError, binascii)
        raise InvalidSignature(f"The webhook signature could not be verified: {exc}.")
    try:
        return loads_shallow(raw_body)
    except TooDeep as exc:
        raise InvalidPayload(f"The webhook body is {exc}")
    except ValueError:
        raise InvalidPayload("The webhook body is not JSON.")


class ClerkWebhookView(APIView):
    """POST /api/v1/webhooks/clerk/: no session, no CSRF (the Svix signature is the proof)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        tags=["webhooks"],
        request={"application/json": {"type": "object", "description": "A Clerk event: type, data, object."}},
        parameters=[
            OpenApiParameter(name, str, OpenApiParameter.HEADER, required=True) for name in SVIX_HEADERS
        ],
        responses={
            200: inline_serializer(
                "ClerkWebhookReceived",
                {
                    "received": serializers.BooleanField(),
                    "duplicate": serializers.BooleanField(),
                    "status": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="invalid_signature or invalid_payload"),
            503: OpenApiResponse(description="CLERK_WEBHOOK_SECRET is not set"),
        },
    )
    def post(self, request):
        if not settings.CLERK_WEBHOOK_SECRET:
            raise ServiceUnavailable(
                "The auth-provider webhook is not configured (CLERK_WEBHOOK_SECRET).", code="webhook_not_configured"
            )
        payload = verify_svix(request.body, request.headers)
        try:
            event, created = services.store_event(request.headers["svix-id"], payload)
        except services.InvalidEventPayload as exc:
            raise InvalidPayload(str(exc))
        return Response({"received": True, "duplicate": not created, "status": event.status})
