"""GET /api/v1/emails/ (staff: all rows, users: their own) and POST /api/v1/emails/{id}/resend/ (staff)."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import Conflict

from . import outbox
from .models import EmailMessage


class EmailMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailMessage
        fields = ["id", "kind", "to", "subject", "status", "attempts", "last_error", "provider", "created_at", "sent_at"]
        read_only_fields = fields


class EmailFilterSerializer(serializers.Serializer):
    to = serializers.CharField(required=False, max_length=254)
    status = serializers.ChoiceField(choices=EmailMessage.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=EmailMessage.Kind.choices, required=False)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_staff)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("to", str, description="recipient address (case-insensitive)"),
            OpenApiParameter("status", str, enum=EmailMessage.Status.values),
            OpenApiParameter("kind", str, enum=EmailMessage.Kind.values),
        ]
    ),
    resend=extend_schema(request=None, parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]),
)
class EmailMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = EmailMessageSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_permissions(self):
        if self.action == "resend":
            return [permissions.IsAuthenticated(), IsStaff()]
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return EmailMessage.objects.none()
        queryset = EmailMessage.objects.all().order_by("-created_at", "-id")
        user = self.request.user
        if not user.is_staff:
            queryset = queryset.filter(Q(user=user))
        if self.action != "list":
            return queryset
        filters = EmailFilterSerializer(data=self.request.query_params)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        data = filters.validated_data
        if "to" in data:
            queryset = queryset.filter(to__iexact=data["to"])
        if "status" in data:
            queryset = queryset.filter(status=data["status"])
        if "kind" in data:
            queryset = queryset.filter(kind=data["kind"])
        return queryset

    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        message = self.get_object()
        try:
            outbox.resend(message.pk)
        except outbox.NotResendable:
            raise Conflict(
                f"A {message.status} message cannot be resent; only failed, dead or sent ones.",
                code="not_resendable",
            ) from None
        message.refresh_from_db()
        return Response(EmailMessageSerializer(message).data, status=status.HTTP_200_OK)
