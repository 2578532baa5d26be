from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cinema.views import poster_file

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("cinema.api_urls")),
    path("", include("bookings.api.urls")),
    path("", include("bookings.waitlist.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("", include("ops.urls")),  # /healthz, /readyz, /admin/ops/ (before admin/)
    path("api/v1/", include(api_v1)),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path(f"{settings.MEDIA_URL.lstrip('/')}posters/<path:name>", poster_file, name="poster-file"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("", include("bookings.urls")),
    path("", include("web.urls")),
]

handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"
