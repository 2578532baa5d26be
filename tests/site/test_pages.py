"""The site's pages with Django's test client: each page answers, and every failure is a
friendly message on a page (never a raw error)."""

from html import unescape
from urllib.parse import parse_qs
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from bookings.payments.checkout import pay_locally, start_checkout
from bookings.models import Booking
from bookings.holds.services import hold_seats
from bookings.tickets.services import qr_path
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def seat_ids(showtime, *labels):
    seats = dict(showtime.auditorium.seats.values_list("label", "pk"))
    return [seats[label] for label in labels]


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def paid_booking(user, showtime, *labels):
    booking = hold_seats(user, showtime, seat_ids(showtime, *labels))
    session = start_checkout(booking)
    pay_locally(booking, session.id)
    booking.refresh_from_db()
    assert booking.status == "paid"
    return booking


# --- browsing ---------------------------------------------------------------------------------


def test_home_lists_movies_now_showing_with_their_next_showtimes(client, showtime):
    past_only = MovieFactory(title="Yesterday's Film")
    ShowtimeFactory(movie=past_only, starts_at=timezone.now() - timedelta(days=1))

    response = client.get("/")

    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert showtime.movie.title in page
    assert f'href="/showtimes/{showtime.pk}/"' in page
    assert "Yesterday's Film" not in page


def test_home_shows_initials_when_a_movie_has_no_poster(client, showtime):
    showtime.movie.title = "Spirited Away"
    showtime.movie.save()
    html = client.get("/").content.decode()
    assert 'class="poster poster-placeholder"' in html
    assert "<span>SA</span>" in html


def test_movie_page_groups_showtimes_by_day(client, showtime):
    same_day = ShowtimeFactory(movie=showtime.movie, starts_at=showtime.starts_at + timedelta(hours=4))
    next_day = ShowtimeFactory(movie=showtime.movie, starts_at=showtime.starts_at + timedelta(days=1))

    response = client.get(f"/movies/{showtime.movie.slug}/")

    assert response.status_code == 200
    days = response.context["days"]
    assert [[s.pk for s in items] for _, items in days] == [[showtime.pk, same_day.pk], [next_day.pk]]
    assert response.content.decode().count('class="day-heading"') == 2


def test_unknown_pages_get_the_friendly_404(client):
    for url in ("/movies/no-such-movie/", "/showtimes/999999/", "/no/such/page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "We couldn't find that page" in unescape(response.content.decode())
        assert 'href="/"' in response.content.decode()


def test_500_page_renders_without_a_request(client):
    html = render_to_string("500.html")
    assert "Sorry, something went wrong on our side" in html
    assert "/static/" not in html  # self-contained: see test_error_page.py


# --- the seat map -----------------------------------------------------------------------------


def test_showtime_page_lists_every_seat_by_label_with_its_status(client, showtime, other_user):
    hold_seats(other_user, showtime, seat_ids(showtime, "A1"))
    paid_booking(UserFactory(), showtime, "A2")

    response = client.get(f"/showtimes/{showtime.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    for row in "ABCDE":
        for number in range(1, 11):
            assert f'data-label="{row}{number}"' in html
    assert 'aria-label="A1, on hold"' in html
    assert 'aria-label="A2, sold"' in html
    assert 'aria-label="A3, available"' in html
    assert html.count('aria-pressed="false"') == 50
    assert response.context["counts"] == {"available": 48, "held": 1, "sold": 1}


def test_seats_can_be_picked_without_javascript(client, showtime):
    a3, a4 = seat_ids(showtime, "A3", "A4")
    url = f"/showtimes/{showtime.pk}/"

    picked = client.get(url, {"seats": a3, "toggle": a4})
    assert [s["label"] for s in picked.context["selected_seats"]] == ["A3", "A4"]
    assert picked.context["selected_total"] == Decimal("19.00")
    assert 'aria-label="A4, selected"' in picked.content.decode()
    assert "$19.00" in picked.content.decode()

    unpicked = client.get(url, {"seats": f"{a3},{a4}", "toggle": a3})
    assert [s["label"] for s in unpicked.context["selected_seats"]] == ["A4"]


def test_picking_a_taken_seat_without_javascript_says_so(client, showtime, other_user):
    hold_seats(other_user, showtime, seat_ids(showtime, "B2"))
    response = client.get(f"/showtimes/{showtime.pk}/", {"toggle": seat_ids(showtime, "B2")})
    assert response.context["selected_seats"] == []
    assert messages_of(response) == ["Seat B2 is not available."]


def test_no_more_than_the_maximum_seats_can_be_picked(client, showtime, settings):
    settings.MAX_SEATS_PER_BOOKING = 2
    ids = seat_ids(showtime, "C1", "C2", "C3")
    response = client.get(f"/showtimes/{showtime.pk}/", {"seats": ids[:2], "toggle": ids[2]})
    assert [s["label"] for s in response.context["selected_seats"]] == ["C1", "C2"]
    assert messages_of(response) == ["You can pick up to 2 seats per booking."]


# --- holding ----------------------------------------------------------------------------------


def test_holding_needs_sign_in_and_keeps_the_picked_seats(client, showtime):
    ids = seat_ids(showtime, "C5", "C6")
    response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": ids})
    assert response.status_code == 302
    login, _, query = response.url.partition("?")
    assert login == "/accounts/login/"
    assert parse_qs(query)["next"] == [f"/showtimes/{showtime.pk}/?seats={ids[0]}%2C{ids[1]}"]
    assert Booking.objects.count() == 0


def test_hold_creates_a_pending_booking_and_goes_to_its_page(client, user, showtime):
    client.force_login(user)
    response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": seat_ids(showtime, "C5", "C6")})
    booking = Booking.objects.get(user=user)
    assert response.status_code == 302 and response.url == f"/bookings/{booking.pk}/"
    assert booking.status == "pending" and booking.total == Decimal("19.00")


def test_hold_of_a_seat_just_taken_names_the_seat_and_keeps_the_others(client, user, other_user, showtime):
    hold_seats(other_user, showtime, seat_ids(showtime, "D4"))
    client.force_login(user)
    d4, d5 = seat_ids(showtime, "D4", "D5")

    response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": [d4, d5]}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Sorry, seat D4 was just taken by someone else. Please pick another seat."
    ]
    assert [s["label"] for s in response.context["selected_seats"]] == ["D5"]
    assert not Booking.objects.filter(user=user).exists()


def test_hold_with_no_seat_or_too_many_seats_is_refused_kindly(client, user, showtime, settings):
    client.force_login(user)
    empty = client.post(f"/showtimes/{showtime.pk}/hold/", {}, follow=True)
    assert messages_of(empty) == ["Pick at least one seat first."]
    settings.MAX_SEATS_PER_BOOKING = 1
    many = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": seat_ids(showtime, "A1", "A2")}, follow=True)
    assert messages_of(many) == ["You can pick up to 1 seat per booking."]
    assert not Booking.objects.exists()


def test_hold_after_the_showtime_started_is_refused_kindly(client, user, showtime):
    client.force_login(user)
    with time_machine.travel(showtime.starts_at + timedelta(minutes=1)):
        response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": seat_ids(showtime, "A1")}, follow=True)
        assert messages_of(response) == ["This showtime has already started: seats can no longer be booked."]
        assert response.context["started"] is True
    assert not Booking.objects.exists()


def test_too_many_holds_is_explained(client, user, showtime, settings):
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 1
    hold_seats(user, showtime, seat_ids(showtime, "A1"))
    client.force_login(user)
    response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": seat_ids(showtime, "A2")}, follow=True)
    assert "You already have seats on hold for this showtime" in messages_of(response)[0]


# --- the booking page -------------------------------------------------------------------------


def test_booking_page_shows_the_countdown_and_pay(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1", "E2"))
    client.force_login(user)
    response = client.get(f"/bookings/{booking.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert booking.reference in html
    assert 'data-countdown data-seconds-left="' in html
    assert "Pay $19.00" in html
    assert "E1, E2" in html


def test_booking_of_someone_else_is_not_found(client, user, other_user, showtime):
    booking = hold_seats(other_user, showtime, seat_ids(showtime, "E1"))
    client.force_login(user)
    assert client.get(f"/bookings/{booking.pk}/").status_code == 404
    assert client.get(f"/bookings/{booking.pk}/status/").status_code == 404
    assert client.post(f"/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "pending"


def test_booking_pages_need_sign_in(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    for url in (f"/bookings/{booking.pk}/", "/bookings/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_status_json_follows_the_booking(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    client.force_login(user)
    pending = client.get(f"/bookings/{booking.pk}/status/").json()
    assert pending["status"] == "pending" and 0 < pending["seconds_left"] <= settings.BOOKING_HOLD_SECONDS
    pay_locally(booking, start_checkout(booking).id)
    assert client.get(f"/bookings/{booking.pk}/status/").json() == {
        "status": "paid",
        "expires_at": booking.expires_at.isoformat(),
        "seconds_left": 0,
        "tickets": 1,
    }


def test_pay_goes_to_the_gateways_checkout(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    client.force_login(user)
    response = client.post(f"/bookings/{booking.pk}/pay/")
    booking.refresh_from_db()
    assert response.status_code == 302
    assert response.url == f"{settings.SITE_URL}/pay/local/{booking.checkout_session_id}/"


def test_an_expired_hold_is_shown_and_cannot_be_paid(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    client.force_login(user)
    with time_machine.travel(booking.expires_at + timedelta(seconds=1)):
        page = client.get(f"/bookings/{booking.pk}/")
        assert "Your hold has expired" in page.content.decode()
        assert client.get(f"/bookings/{booking.pk}/status/").json()["status"] == "expired"
        response = client.post(f"/bookings/{booking.pk}/pay/", follow=True)
    assert response.redirect_chain == [(f"/bookings/{booking.pk}/", 302)]
    assert messages_of(response) == [
        "Your hold has expired and the seats were released. Please pick your seats again."
    ]


def test_a_declined_payment_is_explained(client, user, showtime):
    """Given a hold whose delayed payment the bank declined (async_payment_failed), the booking
    page says the payment did not go through rather than that the hold ran out."""
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.EXPIRED, payment_failed=True)
    client.force_login(user)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "Your payment did not go through" in page
    assert "Your hold has expired" not in page


def test_returning_from_a_cancelled_payment_says_the_seats_are_still_held(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "E1"))
    client.force_login(user)
    response = client.get(f"/bookings/{booking.pk}/?checkout=cancelled")
    assert messages_of(response) == ["Payment was cancelled. Your seats are still held: you can try again."]


def test_paid_booking_shows_tickets_with_their_qr_images(client, user, showtime):
    booking = paid_booking(user, showtime, "B1", "B2")
    client.force_login(user)
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    for ticket in booking.tickets.all():
        assert f'src="{qr_path(ticket)}"' in html
        image = client.get(qr_path(ticket))
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert html.count('class="ticket-qr"') == 2
    assert "Seat B1" in html and "Seat B2" in html
    assert "(refund: $19.00)" in html


# --- cancelling -------------------------------------------------------------------------------


def test_cancel_shows_the_refund_before_confirming(client, user, showtime):
    booking = paid_booking(user, showtime, "B1", "B2")
    client.force_login(user)
    with time_machine.travel(showtime.starts_at - timedelta(hours=5)):
        page = client.get(f"/bookings/{booking.pk}/cancel/")
        assert page.status_code == 200
        assert "You will get <strong>$9.50</strong> back (of $19.00 paid)." in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == "paid"


def test_cancel_confirmed_refunds_per_policy(client, user, showtime):
    booking = paid_booking(user, showtime, "B1", "B2")
    client.force_login(user)
    response = client.post(f"/bookings/{booking.pk}/cancel/", follow=True)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.refund_amount == Decimal("19.00")
    assert messages_of(response) == ["Your booking is cancelled. A refund of $19.00 is on its way."]


def test_cancel_too_late_is_refused_kindly(client, user, showtime):
    booking = paid_booking(user, showtime, "B1")
    client.force_login(user)
    with time_machine.travel(showtime.starts_at - timedelta(minutes=30)):
        page = client.get(f"/bookings/{booking.pk}/", follow=True)
        assert "Cancel this booking" not in page.content.decode()
        assert "too late to cancel" in page.content.decode()
        response = client.post(f"/bookings/{booking.pk}/cancel/", follow=True)
        assert messages_of(response) == [
            "It is too late to cancel: the showtime starts in less than 2 hours."
        ]
        confirm = client.get(f"/bookings/{booking.pk}/cancel/", follow=True)
        assert confirm.redirect_chain == [(f"/bookings/{booking.pk}/", 302)]
    booking.refresh_from_db()
    assert booking.status == "paid"


def test_releasing_a_hold_is_free(client, user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "B1"))
    client.force_login(user)
    page = client.get(f"/bookings/{booking.pk}/cancel/")
    assert "you pay nothing" in page.content.decode()
    response = client.post(f"/bookings/{booking.pk}/cancel/", follow=True)
    assert messages_of(response) == ["Your booking is cancelled and the seats are released."]
    booking.refresh_from_db()
    assert booking.status == "cancelled"


# --- my bookings, accounts, language ----------------------------------------------------------


def test_my_bookings_lists_only_my_own(client, user, other_user, showtime):
    mine = hold_seats(user, showtime, seat_ids(showtime, "A1"))
    theirs = hold_seats(other_user, showtime, seat_ids(showtime, "A2"))
    client.force_login(user)
    html = client.get("/bookings/").content.decode()
    assert mine.reference in html and theirs.reference not in html


def test_sign_up_errors_are_shown_on_the_form(client, user):
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": user.email, "password1": "a", "password2": "b"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The two password fields didn’t match." in html
    assert "already" not in html  # nothing says the address has an account (tests/site/test_signup.py)


def test_sign_in_and_sign_out(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "pw-12345678"})
    assert response.status_code == 302
    assert client.get("/bookings/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is a POST
    client.post("/accounts/logout/")
    assert client.get("/bookings/").status_code == 302


def test_wrong_password_is_said_plainly(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_language_switch_translates_pages_and_saves_a_signed_in_users_choice(client, user):
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "vi"
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert "Đang chiếu" in html  # "Now showing"


def test_language_switch_for_visitors_uses_the_cookie(client, showtime):
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    html = client.get(f"/showtimes/{showtime.pk}/").content.decode()
    assert '<html lang="vi">' in html
    assert "Chọn ghế" in html  # "Choose your seats"


def test_a_payment_that_came_too_late_is_explained(client, user, other_user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "A1"))
    session = start_checkout(booking)
    with time_machine.travel(booking.expires_at + timedelta(minutes=1)):
        hold_seats(other_user, showtime, seat_ids(showtime, "A1"))  # the seat goes to someone else
        pay_locally(booking, session.id)  # then the payment arrives
        client.force_login(user)
        page = unescape(client.get(f"/bookings/{booking.pk}/").content.decode())
    booking.refresh_from_db()
    assert booking.late_payment == "refunded"
    assert "the $9.50 you paid is being refunded in full" in page
    assert "Nothing was charged" not in page


def test_a_stale_form_gets_a_friendly_csrf_page(user, showtime):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": seat_ids(showtime, "A1")})
    assert response.status_code == 403
    assert "Your session timed out" in response.content.decode()
    assert not Booking.objects.exists()


def test_only_the_customer_can_pay_staff_can_look(client, user, staff_user, showtime):
    booking = hold_seats(user, showtime, seat_ids(showtime, "A1"))
    client.force_login(staff_user)
    assert client.get(f"/bookings/{booking.pk}/").status_code == 200
    assert client.post(f"/bookings/{booking.pk}/pay/").status_code == 404
    booking.refresh_from_db()
    assert booking.checkout_session_id is None


def test_seat_map_page_reads_in_a_constant_number_of_queries(client, showtime, django_assert_max_num_queries):
    from tests.factories import AuditoriumFactory

    big = ShowtimeFactory(auditorium=AuditoriumFactory(rows=20, seats_per_row=30))
    with django_assert_max_num_queries(6):
        response = client.get(f"/showtimes/{big.pk}/")
    assert response.content.decode().count('data-seat-id=') == 600


def test_a_double_submitted_hold_lands_on_the_booking_not_on_an_error(client, user, showtime):
    client.force_login(user)
    ids = seat_ids(showtime, "C1", "C2")
    first = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": ids})
    second = client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": ids})
    booking = Booking.objects.get(user=user)
    assert first.url == second.url == f"/bookings/{booking.pk}/"


def test_payment_service_down_is_a_friendly_message(client, user, showtime, settings):
    import socket

    with socket.socket() as s:  # a port nobody listens on: the connection is refused at once
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_site"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    booking = hold_seats(user, showtime, seat_ids(showtime, "A1"))
    client.force_login(user)
    response = client.post(f"/bookings/{booking.pk}/pay/", follow=True)
    assert response.redirect_chain == [(f"/bookings/{booking.pk}/", 302)]
    assert messages_of(response) == [
        "The payment service is not answering right now. Your seats are still held: please try again."
    ]
