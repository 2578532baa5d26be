from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health, ops

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("cinema.api_urls")),
    path("", include("bookings.api_urls")),
    path("", include("bookings.waitlist.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("notifications.api_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/ops/", ops.dashboard, name="ops-dashboard"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("", include("bookings.urls")),
    path("", include("web.urls")),
]

handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
