"""URLs of the hold benchmark: the project's, plus a bare authenticated DRF endpoint doing one INSERT.

Loaded only through bench/holds_settings.py (never by the real site)."""

from django.db import connection
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


class BareInsert(APIView):
    """The floor a hold is compared with: same auth, same JSON in and out, one INSERT."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_insert (user_id, payload) VALUES (%s, %s) RETURNING id",
                [request.user.pk, str(request.data.get("seats"))],
            )
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


urlpatterns = [path("bench/insert/", BareInsert.as_view()), *project_urlpatterns]
