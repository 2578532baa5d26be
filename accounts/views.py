"""Accounts API: the signed-in user's own profile and preferences."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from .serializers import MeSerializer


@extend_schema(tags=["accounts"])
class MeView(generics.RetrieveUpdateAPIView):
    """GET/PATCH /api/v1/me/: only marketing_opt_in and language can be changed (other keys: 400)."""

    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
