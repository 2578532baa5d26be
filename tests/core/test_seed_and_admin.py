"""seed_demo is idempotent; the admin shows a showtime's occupancy."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cinema.models import Auditorium, Movie, Seat, Showtime

pytestmark = pytest.mark.django_db


def counts():
    User = get_user_model()
    return {
        "auditoriums": Auditorium.objects.count(),
        "seats": Seat.objects.count(),
        "movies": Movie.objects.count(),
        "showtimes": Showtime.objects.count(),
        "users": User.objects.count(),
    }


def test_seed_demo_twice_creates_nothing_twice(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)

    assert counts() == first
    assert first["auditoriums"] >= 2 and first["movies"] >= 3 and first["showtimes"] >= 7
    assert Showtime.objects.filter(starts_at__gt=timezone.now() + timedelta(days=5)).exists()  # a week of them
    assert not Movie.objects.exclude(poster_url="").exists()
    assert set(Movie.objects.values_list("poster_status", flat=True)) == {"ready"}  # drawn, processed once
    User = get_user_model()
    assert User.objects.get(username="demo").check_password("demo12345")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("admin12345")


def test_seed_demo_showtimes_never_overlap_and_are_upcoming():
    call_command("seed_demo", verbosity=0)
    for showtime in Showtime.objects.all():
        assert showtime.starts_at > timezone.now()
        clash = Showtime.objects.filter(
            auditorium=showtime.auditorium, starts_at__lt=showtime.ends_at, ends_at__gt=showtime.starts_at
        ).exclude(pk=showtime.pk)
        assert not clash.exists()


def test_seed_demo_makes_no_users_without_debug(settings):
    settings.DEBUG = False
    call_command("seed_demo", verbosity=0)
    assert get_user_model().objects.count() == 0


def test_seed_demo_in_vnd_uses_whole_dong(settings):
    settings.DEFAULT_CURRENCY = "vnd"
    call_command("seed_demo", verbosity=0, days=1)
    prices = set(Showtime.objects.values_list("price", flat=True))
    assert prices and all(p == p.to_integral_value() for p in prices)


def test_admin_showtime_list_and_page_show_occupancy(client, staff_user, showtime, seat_ids, user, other_user, hold, make_paid):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    hold(user, showtime, seat_ids[:3])
    make_paid(hold(other_user, showtime, seat_ids[3:5]))

    page = client.get(f"/admin/cinema/showtime/{showtime.pk}/change/")
    listing = client.get("/admin/cinema/showtime/")

    assert page.status_code == 200 and listing.status_code == 200
    assert "sold 2 · held 3 · free 45" in page.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)):
        later = client.get(f"/admin/cinema/showtime/{showtime.pk}/change/").content.decode()
    assert "sold 2 · held 0 · free 48" in later  # a lapsed hold is free at once


def test_admin_creates_an_auditorium_with_its_grid_and_lists_seat_counts(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)

    response = client.post("/admin/cinema/auditorium/add/", {"name": "Annex", "rows": 3, "seats_per_row": 4})

    assert response.status_code == 302
    assert Seat.objects.filter(auditorium__name="Annex").count() == 12
    assert client.get("/admin/cinema/auditorium/").status_code == 200
    assert client.get("/admin/cinema/movie/").status_code == 200


def test_admin_refuses_an_overlapping_showtime(client, staff_user, showtime):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    starts = timezone.localtime(showtime.starts_at + timedelta(minutes=10))

    response = client.post(
        "/admin/cinema/showtime/add/",
        {
            "movie": showtime.movie.pk,
            "auditorium": showtime.auditorium.pk,
            "starts_at_0": starts.strftime("%Y-%m-%d"),
            "starts_at_1": starts.strftime("%H:%M:%S"),
            "price": "9.50",
            "currency": "usd",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "is busy then" in response.content.decode()
    assert Showtime.objects.count() == 1


def test_admin_refuses_to_move_a_booked_showtime_to_another_auditorium(client, staff_user, showtime, user):
    """Given a showtime with a hold, when staff change its auditorium in the admin, then the form
    says why and the showtime stays where its seats are."""
    from bookings.holds.services import hold_seats
    from tests.factories import AuditoriumFactory

    hold_seats(user, showtime, [showtime.auditorium.seats.first().pk])
    other = AuditoriumFactory()
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    starts = timezone.localtime(showtime.starts_at)

    response = client.post(
        f"/admin/cinema/showtime/{showtime.pk}/change/",
        {
            "movie": showtime.movie.pk,
            "auditorium": other.pk,
            "starts_at_0": starts.strftime("%Y-%m-%d"),
            "starts_at_1": starts.strftime("%H:%M:%S"),
            "price": "9.50",
            "currency": "usd",
        },
    )

    assert response.status_code == 200
    assert "cannot move to another auditorium" in response.content.decode()
    showtime.refresh_from_db()
    assert showtime.auditorium_id != other.pk
