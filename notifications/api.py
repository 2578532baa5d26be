"""GET /api/v1/emails/ (staff: all rows, users: their own), POST /api/v1/emails/{id}/resend/ (staff),
POST /api/v1/campaigns/ and GET /api/v1/campaigns/{id}/ (staff)."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import Conflict

from . import campaigns, outbox
from .models import Campaign, EmailMessage


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


# --- campaigns --------------------------------------------------------------------------------


class CampaignCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=255)
    body_text = serializers.CharField()
    body_html = serializers.CharField(required=False, allow_blank=True, default="")
    recipients = serializers.FileField(help_text="CSV with a header row: `email`, optional `name` and `language`.")


class CampaignSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    queued = serializers.SerializerMethodField()
    sent = serializers.SerializerMethodField()
    failed = serializers.SerializerMethodField()
    dead = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "status", "subject", "total", "invalid", "skipped_unsubscribed", "queued", "sent", "failed",
                  "dead", "created_at"]
        read_only_fields = fields

    def _progress(self, obj):
        if not hasattr(obj, "_progress"):
            obj._progress = campaigns.progress(obj)
        return obj._progress

    def get_status(self, obj) -> str:
        return self._progress(obj)["status"]

    def get_queued(self, obj) -> int:
        return self._progress(obj)["queued"]

    def get_sent(self, obj) -> int:
        return self._progress(obj)["sent"]

    def get_failed(self, obj) -> int:
        return self._progress(obj)["failed"]

    def get_dead(self, obj) -> int:
        return self._progress(obj)["dead"]


@extend_schema_view(
    create=extend_schema(request={"multipart/form-data": CampaignCreateSerializer}, responses={201: CampaignSerializer}),
)
class CampaignViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """POST a campaign (staff, multipart) and follow its progress."""

    serializer_class = CampaignSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaff]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return Campaign.objects.defer("recipients")

    def create(self, request, *args, **kwargs):
        form = CampaignCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        campaign = campaigns.create_campaign(  # a refused file is a DomainError: 400 {"detail", "code"}
            subject=data["subject"], body_text=data["body_text"], body_html=data["body_html"],
            recipients_file=data["recipients"], created_by=request.user,
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)
