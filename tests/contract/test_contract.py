"""An end-to-end walk of /work/shared/CONTRACT.md, row by row, asserting it to the letter.

This module covers what the area tests (tests/core, payments, accounts, notifications, ops, site)
do not already assert; where a row is already proven elsewhere the test named in the comment is
the proof and is not repeated here:

- healthz / readyz bodies (ok and 503 naming what failed): tests/test_smoke.py, tests/ops/test_readiness.py
- SECRET_KEY refusal and PAYMENT_GATEWAY refusal with DEBUG false, check --deploy:
  tests/ops/test_security.py (subprocesses)
- webhooks' 400/200/503 rules: tests/payments/test_webhook.py, tests/accounts/test_webhook.py
- unsubscribe GET changes nothing / POST without CSRF / forged 400: tests/notifications/test_unsubscribe.py
- periodic tasks after migrate: tests/core/test_expiry.py (expire_unpaid_bookings, every minute),
  tests/notifications/test_api_admin.py (send_showtime_reminders hourly, requeue_stale_emails every minute)
- seed_demo idempotent: tests/core/test_seed_and_admin.py
- seats_unavailable with exactly the taken seats: tests/core/test_holds_api.py
- QR image decodes to the code (owner and staff), hidden from others: tests/payments/test_tickets.py
"""

import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from bookings.holds import services as hold_services
from bookings.payments import cancellation
from bookings.models import Booking
from notifications.models import EmailMessage
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory
from tests.support.stripe import make_event, session_of, store_and_process

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
PAGE_KEYS = {"count", "next", "previous", "results"}
ERROR_KEYS = {"detail", "code"}
MOVIE_FIELDS = {"id", "title", "slug", "overview", "runtime_minutes", "release_date", "poster_url", "poster"}
AUDITORIUM_FIELDS = {"id", "name", "seat_count"}
SHOWTIME_FIELDS = {"id", "movie", "auditorium", "starts_at", "price", "currency"}
SEAT_FIELDS = {"id", "row", "number", "label", "status"}
# Additions of API version 1 (layouts and prices): each seat of the map, each seat of a booking, each ticket.
SEAT_MAP_ADDED = {"kind", "category", "x", "y", "price"}
PRICED = {"ticket_type", "price"}
BOOKING_FIELDS = {
    "id", "reference", "status", "showtime", "seats", "total", "currency", "expires_at", "paid_at",
    "cancelled_at", "refund_amount", "refund_status",
}
TICKET_FIELDS = {"id", "seat", "code", "qr_url"}
ME_FIELDS = {"id", "email", "first_name", "last_name", "marketing_opt_in", "language"}
EMAIL_FIELDS = {"id", "kind", "to", "subject", "status", "attempts", "last_error", "provider", "created_at", "sent_at"}
TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")
WHOLE = re.compile(r"^-?\d+$")


def assert_timestamp(value):
    """ISO 8601 with an offset ("Z" is the zero offset of RFC 3339)."""
    assert isinstance(value, str), value
    assert re.search(r"T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", value), value
    assert datetime.fromisoformat(value).tzinfo is not None


def assert_money(value, currency):
    assert isinstance(value, str), value
    assert currency == currency.lower()
    pattern = WHOLE if currency in ("vnd", "jpy") else TWO_DECIMALS
    assert pattern.match(value), (value, currency)


def assert_error(response, status, code=None, exact=True):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == ERROR_KEYS if exact else ERROR_KEYS <= set(body), body
    assert isinstance(body["detail"], str) and body["detail"]
    if code:
        assert body["code"] == code, body


# --- a small world: a showtime, a pending and a paid booking, an outbox row ---------------------


@pytest.fixture
def world(user, other_user, staff_user, showtime):
    seats = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))
    pending = hold_services.hold_seats(user, showtime, seats[:2])
    paid = hold_services.hold_seats(user, showtime, seats[2:4])
    store_and_process(make_event("checkout.session.completed", session_of(paid)))
    paid = Booking.objects.get(pk=paid.pk)
    assert paid.status == "paid"
    email = EmailMessage.objects.create(
        kind="booking_confirmation", to=user.email, user=user, subject="s", body_text="t",
        idempotency_key="contract:1", status="sent", sent_at=timezone.now(),
    )
    return {
        "user": user, "other": other_user, "staff": staff_user, "showtime": showtime, "seats": seats,
        "pending": pending, "paid": paid, "ticket": paid.tickets.first(), "email": email,
    }


def fill(template, w):
    return template.format(
        showtime=w["showtime"].pk, booking=w["pending"].pk, paid=w["paid"].pk, ticket=w["ticket"].pk,
        email=w["email"].pk,
    )


# Every row of the HTTP API table that needs credentials: (method, path as written, who).
PROTECTED = [
    ("post", "/api/v1/movies/", "staff"),
    ("post", "/api/v1/auditoriums/", "staff"),
    ("post", "/api/v1/showtimes/", "staff"),
    ("post", "/api/v1/bookings/", "user"),
    ("get", "/api/v1/bookings/", "user"),
    ("get", "/api/v1/bookings/{booking}/", "owner"),
    ("post", "/api/v1/bookings/{booking}/checkout/", "owner"),
    ("post", "/api/v1/bookings/{booking}/cancel/", "owner"),
    ("get", "/api/v1/tickets/{ticket}/qr.png", "owner"),  # the qr_url a paid booking lists
    ("post", "/api/v1/checkin/", "staff"),
    ("get", "/api/v1/me/", "user"),
    ("patch", "/api/v1/me/", "user"),
    ("get", "/api/v1/emails/", "user"),
    ("post", "/api/v1/emails/{email}/resend/", "staff"),
]
PUBLIC = [
    ("get", "/api/v1/movies/"),
    ("get", "/api/v1/auditoriums/"),
    ("get", "/api/v1/showtimes/"),
    ("get", "/api/v1/showtimes/{showtime}/seats/"),
]
BAD_CREDENTIALS = {
    "missing": {},
    "bad_token": {"HTTP_AUTHORIZATION": "Token 0000000000000000000000000000000000000000"},
    "bad_bearer": {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"},
}


@pytest.mark.parametrize("method,path,who", PROTECTED)
def test_missing_or_bad_credentials_answer_401_in_the_error_shape(world, method, path, who):
    before = (Booking.objects.count(), world["pending"].status)
    for credentials in BAD_CREDENTIALS.values():  # missing, a bad DRF token, a bad bearer JWT
        response = getattr(APIClient(), method)(fill(path, world), {}, format="json", **credentials)
        assert_error(response, 401)
        assert response["WWW-Authenticate"]
    assert (Booking.objects.count(), Booking.objects.get(pk=world["pending"].pk).status) == before


@pytest.mark.parametrize("credentials", ["bad_token", "bad_bearer"])
@pytest.mark.parametrize("method,path", PUBLIC)
def test_bad_credentials_answer_401_even_where_anyone_may_read(world, method, path, credentials):
    assert APIClient().get(fill(path, world)).status_code == 200
    assert_error(APIClient().get(fill(path, world), **BAD_CREDENTIALS[credentials]), 401)


@pytest.mark.parametrize("method,path,who", [row for row in PROTECTED if row[2] == "staff"])
def test_a_signed_in_user_without_the_right_gets_403(world, client_for, method, path, who):
    response = getattr(client_for(world["user"]), method)(fill(path, world), {}, format="json")
    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("method,path,who", [row for row in PROTECTED if row[2] != "user"])
def test_every_protected_row_is_served_at_its_path_as_written_to_its_caller(world, client_for, method, path, who):
    """Not 404/405/401/403 for the right caller: the path (trailing slash as written) and the method exist."""
    caller = world["staff"] if who == "staff" else world["user"]
    response = getattr(client_for(caller), method)(fill(path, world), {}, format="json")
    assert response.status_code not in (401, 403, 404, 405), (response.status_code, response.content[:300])


def test_owner_rows_are_404_to_a_signed_in_non_owner(world, client_for):
    other = client_for(world["other"])
    for method, path, who in PROTECTED:
        if who == "owner":
            assert_error(getattr(other, method)(fill(path, world), {}, format="json"), 404, "not_found")


# --- lists: pagination, exact fields, money, timestamps ------------------------------------------


def test_every_list_is_paginated_with_exactly_count_next_previous_results(world, client_for):
    staff = client_for(world["staff"])
    for path in ["/api/v1/movies/", "/api/v1/auditoriums/", "/api/v1/showtimes/", "/api/v1/bookings/",
                 "/api/v1/emails/"]:
        body = staff.get(path).json()
        assert set(body) == PAGE_KEYS, (path, body)
        assert isinstance(body["count"], int) and isinstance(body["results"], list)


def test_catalogue_lists_carry_exactly_the_contract_fields(world, anon_client):
    movie = anon_client.get("/api/v1/movies/").json()["results"][0]
    auditorium = anon_client.get("/api/v1/auditoriums/").json()["results"][0]
    showtime = anon_client.get("/api/v1/showtimes/", {"movie": world["showtime"].movie_id}).json()["results"][0]
    assert set(movie) == MOVIE_FIELDS
    # Additions of API version 1: an auditorium adds the seat categories its layout uses.
    assert set(auditorium) == AUDITORIUM_FIELDS | {"categories"}
    # The contract lets fields be added, never renamed or dropped: ends_at is the one addition.
    assert SHOWTIME_FIELDS <= set(showtime) and set(showtime) - SHOWTIME_FIELDS <= {"ends_at"}
    assert_timestamp(showtime["starts_at"])
    assert_timestamp(showtime["ends_at"])
    assert showtime["price"] == "9.50" and showtime["currency"] == "usd"


def test_a_created_showtime_answers_money_and_time_in_contract_form(staff_client, movie, auditorium):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=3)
    response = staff_client.post(
        "/api/v1/showtimes/",
        {"movie": movie.pk, "auditorium": auditorium.pk, "starts_at": starts.isoformat(), "price": "120000",
         "currency": "VND"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert SHOWTIME_FIELDS <= set(body)
    assert_timestamp(body["starts_at"])
    assert datetime.fromisoformat(body["starts_at"]) == starts
    assert (body["price"], body["currency"]) == ("120000", "vnd")


def test_seat_map_is_exactly_showtime_and_seats(world, anon_client):
    body = anon_client.get(fill("/api/v1/showtimes/{showtime}/seats/", world)).json()
    assert set(body) == {"showtime", "seats"}
    assert all(set(seat) == SEAT_FIELDS | SEAT_MAP_ADDED for seat in body["seats"])
    assert {seat["status"] for seat in body["seats"]} == {"available", "held", "sold"}


# --- bookings --------------------------------------------------------------------------------------


def test_hold_answers_201_with_every_listed_field(user_client, showtime):
    seat = showtime.auditorium.seats.order_by("row_index", "number").first()
    response = user_client.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": [seat.pk]}, format="json")
    assert response.status_code == 201
    body = response.json()
    # Fields may be added, never dropped: created_at is the one addition.
    assert BOOKING_FIELDS <= set(body) and set(body) - BOOKING_FIELDS <= {"created_at"}, set(body) ^ BOOKING_FIELDS
    assert set(body["seats"][0]) == {"id", "label"} | PRICED
    assert body["seats"][0]["ticket_type"] == "adult"
    assert_money(body["seats"][0]["price"], body["currency"])
    assert body["status"] == "pending" and body["refund_status"] == "none"
    assert_money(body["total"], body["currency"])
    assert_timestamp(body["expires_at"])


def test_a_paid_booking_reads_with_tickets_money_and_timestamps(world, user_client, staff_client):
    for client in (user_client, staff_client):
        body = client.get(fill("/api/v1/bookings/{paid}/", world)).json()
        assert BOOKING_FIELDS | {"tickets"} <= set(body)
        assert body["status"] == "paid"
        assert_timestamp(body["paid_at"])
        assert_money(body["total"], body["currency"])
        assert [set(t) for t in body["tickets"]] == [TICKET_FIELDS | PRICED] * 2
        for ticket in body["tickets"]:
            assert urlparse(ticket["qr_url"]).scheme in ("http", "https")  # usable as is by a client


def test_the_qr_url_as_listed_serves_a_png_that_decodes_to_the_code(world, user_client):
    import zxingcpp
    from PIL import Image

    ticket = user_client.get(fill("/api/v1/bookings/{paid}/", world)).json()["tickets"][0]
    response = user_client.get(urlparse(ticket["qr_url"]).path)  # GET {qr_url}, as written in the booking
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))] == [ticket["code"]]


def test_checkout_answers_exactly_checkout_url_and_session_id(world, user_client):
    response = user_client.post(fill("/api/v1/bookings/{booking}/checkout/", world))
    assert response.status_code == 200
    assert set(response.json()) == {"checkout_url", "session_id"}
    assert urlparse(response.json()["checkout_url"]).scheme in ("http", "https")


def test_cancel_of_a_vnd_booking_answers_refund_in_whole_dong(user, user_client):
    showtime = ShowtimeFactory(price=Decimal("120000"), currency="vnd")
    seat = showtime.auditorium.seats.first()
    booking = hold_services.hold_seats(user, showtime, [seat.pk])
    response = user_client.post(f"/api/v1/bookings/{booking.pk}/cancel/")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "refund_amount"}
    assert response.json()["status"] == "cancelled"
    assert_money(response.json()["refund_amount"], "vnd")
    detail = user_client.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert_money(detail["total"], "vnd")
    assert_timestamp(detail["cancelled_at"])
    assert_money(detail["refund_amount"], "vnd")


def test_paid_vnd_cancel_refunds_in_whole_dong(user, user_client):
    showtime = ShowtimeFactory(price=Decimal("120000"), currency="vnd",
                               starts_at=timezone.now() + timedelta(days=3))
    seat = showtime.auditorium.seats.first()
    booking = hold_services.hold_seats(user, showtime, [seat.pk])
    store_and_process(make_event("checkout.session.completed", session_of(booking)))
    response = user_client.post(f"/api/v1/bookings/{booking.pk}/cancel/")
    assert response.status_code == 200
    assert response.json() == {"status": "cancelled", "refund_amount": "120000"}


def test_named_409_and_400_codes_are_in_the_error_shape(world, staff_client, user_client):
    code = world["ticket"].code
    assert staff_client.post("/api/v1/checkin/", {"code": code}, format="json").status_code == 200
    assert_error(staff_client.post("/api/v1/checkin/", {"code": code}, format="json"), 409,
                 "already_checked_in", exact=False)
    forged = code[:-1] + ("y" if code.endswith("x") else "x")  # never the real code (1 in 64 ends in x)
    assert_error(staff_client.post("/api/v1/checkin/", {"code": forged}, format="json"), 400,
                 "invalid_ticket", exact=False)
    cancellation.cancel_booking(Booking.objects.get(pk=world["paid"].pk), by_user=world["staff"])
    other_code = world["paid"].tickets.exclude(pk=world["ticket"].pk).first().code
    assert_error(staff_client.post("/api/v1/checkin/", {"code": other_code}, format="json"), 409,
                 "ticket_not_valid", exact=False)
    taken = user_client.post("/api/v1/bookings/", {"showtime": world["showtime"].pk, "seats": world["seats"][:1]},
                             format="json")
    assert_error(taken, 409, "seats_unavailable", exact=False)
    assert set(taken.json()) == ERROR_KEYS | {"seats"}


def test_too_late_is_in_the_error_shape(user, user_client):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=1))
    booking = hold_services.hold_seats(user, showtime, [showtime.auditorium.seats.first().pk])
    store_and_process(make_event("checkout.session.completed", session_of(booking)))
    assert_error(user_client.post(f"/api/v1/bookings/{booking.pk}/cancel/"), 409, "too_late", exact=False)


# --- /me and the outbox ----------------------------------------------------------------------------


def test_new_users_start_opted_out_and_in_language_code(settings, client_for):
    settings.LANGUAGE_CODE = "vi"
    fresh = User.objects.create_user("fresh", "fresh@example.com", "pw-12345678")
    body = client_for(fresh).get("/api/v1/me/").json()
    assert set(body) == ME_FIELDS
    assert (body["marketing_opt_in"], body["language"]) == (False, "vi")



def test_pages_default_to_language_code(settings, client, showtime):
    settings.LANGUAGE_CODE = "vi"
    assert '<html lang="vi"' in client.get("/").content.decode()
    assert '<html lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

def test_emails_rows_carry_timestamps_with_an_offset(world, user_client):
    row = user_client.get("/api/v1/emails/", {"status": "sent"}).json()["results"][0]
    assert set(row) == EMAIL_FIELDS
    assert_timestamp(row["created_at"])
    assert_timestamp(row["sent_at"])


def test_a_new_movie_email_carries_the_one_click_link_in_text_html_and_headers(settings, client):
    """RFC 8058 end to end without a worker: build the row, the MIME message, then POST its link."""
    from notifications.announcements import _NewMovieTemplates
    from notifications.delivery import build_email

    fan = UserFactory(marketing_opt_in=True)
    row = _NewMovieTemplates(MovieFactory(title="Contract Night")).message(fan)
    assert row.kind == "new_movie"
    row.save()
    mime = build_email(row).message()
    link = re.search(r"<(http[^>]+)>", mime["List-Unsubscribe"]).group(1)
    assert mime["List-Unsubscribe"].strip() == f"<{link}>"  # exactly `List-Unsubscribe: <link>`
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = next(p for p in mime.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    html = next(p for p in mime.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert link in text and link in html
    path = urlparse(link).path
    assert client.get(path).status_code == 200
    fan.refresh_from_db()
    assert fan.marketing_opt_in is True  # GET changes nothing
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, "List-Unsubscribe=One-Click",
                                                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    fan.refresh_from_db()
    assert fan.marketing_opt_in is False


# --- schema and docs -------------------------------------------------------------------------------

SCHEMA_ROWS = [
    ("get", "/api/v1/movies/"), ("post", "/api/v1/movies/"), ("get", "/api/v1/auditoriums/"),
    ("post", "/api/v1/auditoriums/"), ("get", "/api/v1/showtimes/"), ("post", "/api/v1/showtimes/"),
    ("get", "/api/v1/showtimes/{}/seats/"), ("post", "/api/v1/bookings/"), ("get", "/api/v1/bookings/"),
    ("get", "/api/v1/bookings/{}/"), ("post", "/api/v1/bookings/{}/checkout/"),
    ("post", "/api/v1/bookings/{}/cancel/"), ("post", "/api/v1/checkin/"), ("get", "/api/v1/me/"),
    ("patch", "/api/v1/me/"), ("get", "/api/v1/emails/"), ("post", "/api/v1/emails/{}/resend/"),
    ("post", "/api/v1/webhooks/stripe/"), ("post", "/api/v1/webhooks/clerk/"),
]


def test_schema_is_openapi_3_and_documents_every_api_row(anon_client):
    response = anon_client.get("/api/v1/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert str(document["openapi"]).startswith("3.")
    paths = {re.sub(r"\{[^}]+\}", "{}", path): ops for path, ops in document["paths"].items()}
    missing = [(m, p) for m, p in SCHEMA_ROWS if m not in paths.get(p, {})]
    assert missing == []
    emails = paths["/api/v1/emails/"]["get"]
    assert {"to", "status", "kind"} <= {p["name"] for p in emails.get("parameters", [])}


def test_docs_render_the_schema_with_local_assets_only(anon_client):
    response = anon_client.get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""["'](https?://[^"']+|//[^"']+)["']""", html)
    external = [u for u in urls if urlparse(u).netloc not in ("", "testserver")]
    assert external == []
    # The start-up script is a file of its own (no inline script under the Content-Security-Policy).
    script_url = next(u for u in urls if "?script" in u)
    assert "/api/v1/schema/" in anon_client.get(script_url).content.decode()
    assets = [u for u in urls if u.endswith((".js", ".css"))]
    assert assets
    for asset in assets:
        assert urlparse(asset).path.startswith("/static/"), asset
    from django.contrib.staticfiles import finders

    for asset in assets:
        assert finders.find(urlparse(asset).path.removeprefix("/static/")), asset


# --- Celery task names and queues ------------------------------------------------------------------

CONTRACT_TASKS = {
    "bookings.expire_booking", "bookings.expire_unpaid_bookings", "bookings.process_stripe_event",
    "notifications.send_email", "notifications.send_showtime_reminders", "notifications.announce_movie",
    "notifications.requeue_stale_emails", "accounts.sync_user",
}
CONTRACT_TASKS |= {"cinema.process_poster", "reports.build_report"}  # second release: back office


def test_every_contract_task_name_is_registered():
    from config.celery import app

    app.loader.import_default_modules()
    assert CONTRACT_TASKS - set(app.tasks) == set()


def test_a_worker_without_q_consumes_every_routed_queue():
    from config.celery import app

    routed = {route["queue"] for route in app.conf.task_routes.values()} | {app.conf.task_default_queue}
    assert routed <= set(app.amqp.queues)


# --- operator commands ----------------------------------------------------------------------------


def test_createsuperuser_noinput_then_drf_create_token_gives_a_working_staff_token(monkeypatch, world):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-pass-phrase-9")
    call_command("createsuperuser", "--noinput", stdout=io.StringIO())
    admin = User.objects.get(username="ops")
    assert admin.is_staff and admin.is_superuser and admin.check_password("a-long-pass-phrase-9")

    out = io.StringIO()
    call_command("drf_create_token", "ops", stdout=out)
    key = re.search(r"\b([0-9a-f]{40})\b", out.getvalue()).group(1)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["email"] == "ops@example.com"
    assert client.get("/api/v1/emails/").json()["count"] == EmailMessage.objects.count()  # staff sees all
    assert_error(client.post("/api/v1/checkin/", {"code": "garbled"}, format="json"), 400, "invalid_ticket",
                 exact=False)


# --- settings defaults (refusals to start are in tests/ops/test_security.py) ----------------------

PRINT_SETTINGS = """
import json, django
from django.conf import settings as s
django.setup()
from config.celery import app
app.loader.import_default_modules()
db = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "DB_ENGINE": db["ENGINE"], "DB_NAME": str(db["NAME"]),
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL, "SITE_URL": s.SITE_URL, "LANGUAGE_CODE": s.LANGUAGE_CODE,
    "DEFAULT_CURRENCY": s.DEFAULT_CURRENCY, "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "EMAIL_HOST": getattr(s, "EMAIL_HOST", None), "EMAIL_PORT": getattr(s, "EMAIL_PORT", None),
    "EMAIL_FALLBACK_URL": s.EMAIL_FALLBACK_URL, "DEFAULT_FROM_EMAIL": s.DEFAULT_FROM_EMAIL,
    "PAYMENT_GATEWAY": s.PAYMENT_GATEWAY, "STRIPE_SECRET_KEY": s.STRIPE_SECRET_KEY,
    "STRIPE_WEBHOOK_SECRET": s.STRIPE_WEBHOOK_SECRET, "CLERK_WEBHOOK_SECRET": s.CLERK_WEBHOOK_SECRET,
    "CLERK_JWT_KEY": s.CLERK_JWT_KEY, "CLERK_AUTHORIZED_PARTIES": s.CLERK_AUTHORIZED_PARTIES,
    "BOOKING_HOLD_SECONDS": s.BOOKING_HOLD_SECONDS, "MAX_SEATS_PER_BOOKING": s.MAX_SEATS_PER_BOOKING,
    "REMINDER_LEAD_HOURS": s.REMINDER_LEAD_HOURS, "ANNOUNCEMENT_BATCH_SIZE": s.ANNOUNCEMENT_BATCH_SIZE,
    "EMAIL_RATE_LIMIT": s.EMAIL_RATE_LIMIT, "send_email_rate_limit": app.tasks["notifications.send_email"].rate_limit,
    "EMAIL_MAX_ATTEMPTS": s.EMAIL_MAX_ATTEMPTS, "EMAIL_RETRY_BASE_SECONDS": s.EMAIL_RETRY_BASE_SECONDS,
    "REQUEUE_STALE_AFTER_SECONDS": s.REQUEUE_STALE_AFTER_SECONDS, "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
}))
"""


def settings_under(env):
    """The settings a fresh process reads from exactly `env` (nothing inherited but PATH)."""
    full = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    result = subprocess.run([sys.executable, "-c", PRINT_SETTINGS], cwd=BASE_DIR, env=full,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_defaults_are_the_contracts():
    s = settings_under({"DEBUG": "true"})
    assert s["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3" and s["DB_NAME"] == str(BASE_DIR / "db.sqlite3")
    assert s["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert s["SITE_URL"] == "http://localhost:8000"
    assert (s["LANGUAGE_CODE"], s["DEFAULT_CURRENCY"]) == ("en", "usd")
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["EMAIL_FALLBACK_URL"] in ("", None)
    assert s["DEFAULT_FROM_EMAIL"] == "tickets@localhost"
    assert s["PAYMENT_GATEWAY"] == "local" and s["STRIPE_WEBHOOK_SECRET"]  # local has a development default
    assert (s["CLERK_WEBHOOK_SECRET"], s["CLERK_JWT_KEY"], s["CLERK_AUTHORIZED_PARTIES"]) == ("", "", [])
    assert (s["BOOKING_HOLD_SECONDS"], s["MAX_SEATS_PER_BOOKING"], s["REMINDER_LEAD_HOURS"]) == (600, 10, 3)
    assert (s["ANNOUNCEMENT_BATCH_SIZE"], s["EMAIL_MAX_ATTEMPTS"], s["EMAIL_RETRY_BASE_SECONDS"]) == (50, 6, 30)
    assert s["EMAIL_RATE_LIMIT"] is None and s["send_email_rate_limit"] is None
    assert s["REQUEUE_STALE_AFTER_SECONDS"] == 300 and s["SECURE_SSL_REDIRECT"] is False


def test_settings_read_from_the_environment():
    s = settings_under({
        "SECRET_KEY": "k" * 50, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "EMAIL_URL": "smtp://mail.example:1025",
        "EMAIL_RATE_LIMIT": "600/m", "DEFAULT_CURRENCY": "VND", "LANGUAGE_CODE": "vi",
        "CELERY_BROKER_URL": "redis://10.0.0.1:6379/3", "ALLOWED_HOSTS": "a.example,b.example",
    })
    assert s["DEBUG"] is False  # the default
    assert s["PAYMENT_GATEWAY"] == "stripe"  # because STRIPE_SECRET_KEY is set
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("mail.example", 1025)
    assert s["EMAIL_RATE_LIMIT"] == "600/m" and s["send_email_rate_limit"] == "600/m"
    assert (s["DEFAULT_CURRENCY"], s["LANGUAGE_CODE"]) == ("vnd", "vi")
    assert s["CELERY_BROKER_URL"] == "redis://10.0.0.1:6379/3"
    assert s["ALLOWED_HOSTS"] == ["a.example", "b.example"]


# --- errors outside the views: unknown API paths and crashes still answer {"detail","code"} ---------


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/bookings/x/nope/", "/api/v2/movies/"])
def test_an_unknown_api_path_answers_json_in_the_error_shape(anon_client, path):
    response = anon_client.get(path)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")


def test_the_site_keeps_its_friendly_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_crash_under_the_api_still_answers_json(anon_client, monkeypatch):
    from cinema import views

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.MovieListCreate, "list", crash)
    anon_client.raise_request_exception = False
    response = anon_client.get("/api/v1/movies/")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 500, "server_error")


# --- more rows as written -----------------------------------------------------------------------


def test_emails_filters_written_empty_as_in_the_contract_filter_nothing(world, staff_client):
    every = staff_client.get("/api/v1/emails/").json()["count"]
    assert every >= 1
    response = staff_client.get("/api/v1/emails/?to=&status=&kind=")
    assert response.status_code == 200 and response.json()["count"] == every


def test_staff_list_only_their_own_bookings(world, staff_client):
    """GET /api/v1/bookings/ is "the caller's own bookings" for staff too (they read others' by id)."""
    assert staff_client.get("/api/v1/bookings/").json()["count"] == 0
    assert staff_client.get(fill("/api/v1/bookings/{booking}/", world)).status_code == 200


# --- layout and processes ---------------------------------------------------------------------------


def test_layout_files_exist_and_requirements_are_pinned():
    for name in ["config/settings.py", "config/urls.py", "config/celery.py", "config/wsgi.py", "manage.py",
                 "requirements.txt", "docker-compose.yml", "README.md", ".ci/run"]:
        assert (BASE_DIR / name).is_file(), name
    for app in ["accounts", "cinema", "bookings", "notifications"]:
        assert (BASE_DIR / app / "models.py").is_file(), app
    lines = [line.split("#")[0].strip() for line in (BASE_DIR / "requirements.txt").read_text().splitlines()]
    unpinned = [line for line in lines if line and not line.startswith("-") and "==" not in line]
    assert unpinned == []


def test_processes_find_their_entry_points():
    """`gunicorn config.wsgi`, `celery -A config worker|beat` (database scheduler)."""
    from celery.app.utils import find_app

    from config.celery import app
    from config.wsgi import application

    assert callable(application)
    assert find_app("config") is app
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


# --- the three ways to authenticate, on a write -------------------------------------------------------


def test_bearer_jwt_token_and_session_with_csrf_each_hold_seats(settings, showtime, user):
    import time

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.test import Client
    from rest_framework.authtoken.models import Token

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.CLERK_JWT_KEY = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    now = int(time.time())
    session_jwt = jwt.encode({"sub": "user_contract", "iat": now, "nbf": now - 5, "exp": now + 60}, key,
                             algorithm="RS256")
    seats = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))

    def hold(client, seat, **extra):
        return client.post("/api/v1/bookings/", json.dumps({"showtime": showtime.pk, "seats": [seat]}),
                           content_type="application/json", **extra)

    by_bearer = hold(Client(), seats[0], HTTP_AUTHORIZATION=f"Bearer {session_jwt}")
    assert by_bearer.status_code == 201, by_bearer.content
    assert Booking.objects.get(pk=by_bearer.json()["id"]).user.clerk_id == "user_contract"  # created on first sight

    token = Token.objects.create(user=user)
    assert hold(Client(), seats[1], HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 201

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert_error(hold(browser, seats[2]), 403)  # a session without the CSRF token is refused
    browser.get("/")  # the site sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    assert hold(browser, seats[2], HTTP_X_CSRFTOKEN=csrf).status_code == 201


# --- named values ----------------------------------------------------------------------------------

EMAIL_KINDS = {"booking_confirmation", "booking_cancelled", "showtime_reminder", "new_movie"}
EMAIL_KINDS |= {"email_verification"}  # additions of API version 1 (sign-up)
# Additions of API version 1 (second release); each lands with its feature.
EMAIL_KINDS_ADDED = {"waitlist_offer", "campaign", "email_verification"}
EMAIL_STATUSES = {"pending", "sending", "sent", "failed", "dead"}


def test_every_named_value_is_accepted_and_no_other_status_exists(staff_client):
    for kind in EMAIL_KINDS:
        assert staff_client.get("/api/v1/emails/", {"kind": kind}).status_code == 200, kind
    for status in EMAIL_STATUSES:
        assert staff_client.get("/api/v1/emails/", {"status": status}).status_code == 200, status
    assert set(EmailMessage.Status.values) == EMAIL_STATUSES
    assert EMAIL_KINDS <= set(EmailMessage.Kind.values) <= EMAIL_KINDS | EMAIL_KINDS_ADDED
    assert "campaign" in EmailMessage.Kind.values
    assert set(Booking.Status.values) == {"pending", "paid", "cancelled", "expired"}
    assert set(Booking.RefundStatus.values) == {"none", "pending", "succeeded", "failed"}


def test_the_emails_api_answers_only_the_contract_kinds(world, user_client, django_capture_on_commit_callbacks):
    from bookings import emails

    paid = world["paid"]
    paid.late_payment = "kept"
    paid.save(update_fields=["late_payment"])
    with django_capture_on_commit_callbacks(execute=False):
        emails.queue_late_payment_outcome(paid)
    kinds = {row["kind"] for row in user_client.get("/api/v1/emails/").json()["results"]}
    assert kinds and kinds <= EMAIL_KINDS, kinds
