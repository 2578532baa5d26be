"""POST /api/v1/reports/, GET /api/v1/reports/{id}/ and the file's download: staff only.

The download is served by this view, after authentication, from Django's storage; the file is
never published under MEDIA_URL."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.views import APIView

from cinema.permissions import IsStaff

from . import services
from .models import Report


class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "status", "progress", "download_url", "error", "created_at", "finished_at",
                  "date_from", "date_to", "format"]
        read_only_fields = ["id", "status", "progress", "error", "created_at", "finished_at"]

    def get_download_url(self, report) -> str | None:
        if report.status != Report.Status.READY:
            return None
        url = reverse("report-download", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def validate(self, data):
        try:
            services.validate_range(data["date_from"], data["date_to"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"date_to": exc.messages}, code="invalid_date_range")
        return data

    def create(self, validated_data):
        return services.request_report(user=self.context["request"].user, **validated_data)


class ReportCreate(generics.CreateAPIView):
    """Request a report; a worker builds it (poll GET /reports/{id}/ for `progress` and `download_url`)."""

    serializer_class = ReportSerializer
    permission_classes = [IsStaff]

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.status_code = status.HTTP_202_ACCEPTED
        return response


class ReportDetail(generics.RetrieveAPIView):
    serializer_class = ReportSerializer
    permission_classes = [IsStaff]
    queryset = Report.objects.all()


class ReportDownload(APIView):
    """The built file, with its filename; 404 until it is ready."""

    permission_classes = [IsStaff]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        report = Report.objects.filter(pk=pk, status=Report.Status.READY).exclude(file="").first()
        if report is None:
            raise Http404
        return FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename,
                            content_type=report.content_type)
