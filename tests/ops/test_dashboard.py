"""The operations dashboard: staff see the figures; nobody else does."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from bookings.models import Booking, StripeEvent
from notifications.models import EmailMessage
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.harness import needs_redis_server

pytestmark = pytest.mark.django_db


def email(status, **extra):
    return EmailMessage.objects.create(
        kind="booking_confirmation", to="a@example.com", subject="s", body_text="t", status=status,
        idempotency_key=f"ops-dash:{EmailMessage.objects.count()}:{status}", **extra,
    )


def booking(status, expires_in):
    showtime = ShowtimeFactory()
    return Booking.objects.create(
        user=UserFactory(), showtime=showtime, status=status, total="9.50", currency="usd",
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


@pytest.fixture
def figures(settings, own_redis):
    """A broker with work waiting, an outbox with a stale pending row and dead letters, webhook
    events left unprocessed, and bookings in every state."""
    from accounts.models import ClerkEvent

    settings.CELERY_BROKER_URL = own_redis.url
    client = redis.Redis.from_url(own_redis.url)
    client.lpush("email", "m1", "m2", "m3")
    client.lpush("payments", "m4")
    client.lpush("default\x06\x163", "m5")  # a priority-3 message of `default`
    client.hset("unacked", "tag1", "m6")

    oldest = email("pending")
    EmailMessage.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    email("pending")
    email("sent")
    email("dead")
    email("dead")
    StripeEvent.objects.create(id="evt_1", type="checkout.session.completed", payload={})
    StripeEvent.objects.create(id="evt_2", type="checkout.session.completed", payload={}, status="failed")
    StripeEvent.objects.create(id="evt_3", type="checkout.session.completed", payload={}, status="processed")
    ClerkEvent.objects.create(svix_id="msg_1", type="user.created", payload={})
    booking("pending", 600)
    booking("pending", -60)  # lapsed, not yet swept
    booking("paid", 600)
    booking("expired", -600)
    return oldest


@needs_redis_server
def test_staff_see_queues_outbox_dead_letters_webhooks_and_holds(client, staff_user, figures):
    client.force_login(staff_user)
    data = client.get("/admin/ops/", {"format": "json"}).json()

    assert data["broker"] == {"queues": {"default": 1, "payments": 1, "email": 3}, "unacked": 1}
    assert data["outbox"]["by_status"] == {"pending": 2, "sent": 1, "dead": 2}
    assert data["outbox"]["dead_letters"] == 2
    assert data["outbox"]["oldest_pending"]["pk"] == figures.pk
    assert data["outbox"]["oldest_pending"]["age_seconds"] >= 600
    assert data["webhooks"]["stripe"]["count"] == 2
    assert data["webhooks"]["clerk"]["count"] == 1
    assert data["holds"]["by_status"] == {"pending": 2, "paid": 1, "expired": 1}
    assert data["holds"]["lapsed_awaiting_sweep"] == 1

    page = client.get("/admin/ops/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<td class="queue-email">3</td>' in html
    assert '<td id="dead-letters">2</td>' in html
    assert f"#{figures.pk} booking_confirmation" in html
    assert '<td id="stripe-unprocessed">2</td>' in html and '<td id="clerk-unprocessed">1</td>' in html
    assert '<td id="lapsed">1</td>' in html


def test_the_page_still_answers_when_the_broker_is_down(client, staff_user, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    client.force_login(staff_user)
    page = client.get("/admin/ops/")
    assert page.status_code == 200
    assert 'id="broker-error"' in page.content.decode()


def test_the_admin_index_links_to_it(client, staff_user):
    client.force_login(staff_user)
    assert 'href="/admin/ops/"' in client.get("/admin/").content.decode()


def test_customers_and_strangers_are_sent_to_the_admin_login(client, user):
    anonymous = client.get("/admin/ops/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    client.force_login(user)
    customer = client.get("/admin/ops/", {"format": "json"})
    assert customer.status_code == 302 and customer["Location"].startswith("/admin/login/")
