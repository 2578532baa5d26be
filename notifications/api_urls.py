from rest_framework.routers import SimpleRouter

from .api import EmailMessageViewSet

router = SimpleRouter()
router.register("emails", EmailMessageViewSet, basename="email")
urlpatterns = router.urls
