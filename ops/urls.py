from django.urls import path

from . import dashboard, health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/ops/", dashboard.dashboard, name="ops-dashboard"),
]
