from rest_framework.routers import SimpleRouter

from .api import CampaignViewSet, EmailMessageViewSet

router = SimpleRouter()
router.register("emails", EmailMessageViewSet, basename="email")
router.register("campaigns", CampaignViewSet, basename="campaign")
urlpatterns = router.urls
