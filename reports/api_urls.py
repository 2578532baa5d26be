from django.urls import path

from . import api

urlpatterns = [
    path("reports/", api.ReportCreate.as_view(), name="report-create"),
    path("reports/<uuid:pk>/", api.ReportDetail.as_view(), name="report-detail"),
    path("reports/<uuid:pk>/download/", api.ReportDownload.as_view(), name="report-download"),
]
