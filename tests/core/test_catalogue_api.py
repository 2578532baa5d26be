"""Movies, auditoriums and showtimes: anyone reads, staff writes, scheduling rules are enforced."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from cinema.models import Auditorium, Movie, Seat, Showtime
from tests.factories import AuditoriumFactory, MovieFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

MOVIES, AUDITORIUMS, SHOWTIMES = "/api/v1/movies/", "/api/v1/auditoriums/", "/api/v1/showtimes/"


def iso(dt):
    return dt.isoformat()


# --- movies ---


def test_movies_lists_only_those_with_an_upcoming_showtime(anon_client):
    showing = MovieFactory(title="Showing")
    ShowtimeFactory(movie=showing)
    past = MovieFactory(title="Past only")
    ShowtimeFactory(movie=past, starts_at=timezone.now() - timedelta(days=1))
    MovieFactory(title="No showtime")

    response = anon_client.get(MOVIES)

    assert response.status_code == 200
    assert [m["title"] for m in response.json()["results"]] == ["Showing"]
    assert set(response.json()["results"][0]) == {
        "id", "title", "slug", "overview", "runtime_minutes", "release_date", "poster_url", "poster",
    }


def test_staff_creates_a_movie_with_a_unique_slug_from_its_title(staff_client):
    first = staff_client.post(MOVIES, {"title": "Dune: Part Two", "runtime_minutes": 166}, format="json")
    second = staff_client.post(MOVIES, {"title": "Dune: Part Two", "runtime_minutes": 166}, format="json")

    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["slug"] == "dune-part-two"
    assert second.json()["slug"] == "dune-part-two-2"


@pytest.mark.parametrize("body", [{"title": "No runtime"}, {"runtime_minutes": 90}, {"title": "X", "runtime_minutes": 0}])
def test_movie_without_title_or_positive_runtime_is_400(staff_client, body):
    response = staff_client.post(MOVIES, body, format="json")

    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())
    assert Movie.objects.count() == 0


def test_movie_create_is_401_anonymous_and_403_for_non_staff(anon_client, user_client):
    body = {"title": "T", "runtime_minutes": 90}
    assert anon_client.post(MOVIES, body, format="json").status_code == 401
    forbidden = user_client.post(MOVIES, body, format="json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"
    assert Movie.objects.count() == 0


# --- auditoriums ---


def test_staff_creates_an_auditorium_with_its_seat_grid(staff_client):
    response = staff_client.post(AUDITORIUMS, {"name": "Big", "rows": 28, "seats_per_row": 3}, format="json")

    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "name": "Big", "seat_count": 84}
    seats = Seat.objects.filter(auditorium_id=response.json()["id"])
    assert seats.count() == 84
    labels = list(seats.order_by("row_index", "number").values_list("label", flat=True))
    assert labels[:4] == ["A1", "A2", "A3", "B1"] and labels[-1] == "AB3"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "rows": 0, "seats_per_row": 10},
        {"name": "X", "rows": 41, "seats_per_row": 10},
        {"name": "X", "rows": 5, "seats_per_row": 61},
        {"name": "X", "rows": "many", "seats_per_row": 10},
        {"rows": 5, "seats_per_row": 10},
    ],
)
def test_auditorium_with_insane_size_is_400_and_creates_nothing(staff_client, body):
    response = staff_client.post(AUDITORIUMS, body, format="json")

    assert response.status_code == 400
    assert Auditorium.objects.count() == 0 and Seat.objects.count() == 0


def test_auditorium_name_is_unique(staff_client, auditorium):
    response = staff_client.post(AUDITORIUMS, {"name": auditorium.name, "rows": 2, "seats_per_row": 2}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unique"


def test_auditoriums_list_for_anyone_and_create_for_staff_only(anon_client, user_client, auditorium):
    listed = anon_client.get(AUDITORIUMS).json()["results"]
    assert listed == [{"id": auditorium.pk, "name": auditorium.name, "seat_count": 50}]
    body = {"name": "Y", "rows": 2, "seats_per_row": 2}
    assert anon_client.post(AUDITORIUMS, body, format="json").status_code == 401
    assert user_client.post(AUDITORIUMS, body, format="json").status_code == 403
    assert Auditorium.objects.count() == 1


# --- showtimes ---


@pytest.fixture
def schedule(staff_client, movie, auditorium):
    def post(**overrides):
        body = {
            "movie": movie.pk,
            "auditorium": auditorium.pk,
            "starts_at": iso(timezone.now() + timedelta(days=1)),
            "price": "9.50",
            **overrides,
        }
        return staff_client.post(SHOWTIMES, body, format="json")

    return post


def test_staff_schedules_a_showtime_in_the_default_currency(schedule, movie, settings):
    settings.DEFAULT_CURRENCY = "eur"
    response = schedule(price="12.5")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["price"] == "12.50" and body["currency"] == "eur"
    showtime = Showtime.objects.get(pk=body["id"])
    assert showtime.ends_at - showtime.starts_at == timedelta(minutes=movie.runtime_minutes + 15)


def test_vnd_price_is_whole_dong(schedule):
    response = schedule(price="120000", currency="VND")
    assert response.status_code == 201
    assert response.json()["price"] == "120000" and response.json()["currency"] == "vnd"


@pytest.mark.parametrize(
    "price,currency",
    [("9.505", "usd"), ("120000.5", "vnd"), ("1000.01", "jpy"), ("-1", "usd"), ("abc", "usd")],
)
def test_price_with_more_decimals_than_the_currency_allows_is_400(schedule, price, currency):
    response = schedule(price=price, currency=currency)

    assert response.status_code == 400
    assert "price" in response.json()
    assert Showtime.objects.count() == 0


@pytest.mark.parametrize("currency", ["xyz", "us", "dollars"])
def test_unknown_or_invalid_currency_is_400(schedule, currency):
    response = schedule(currency=currency)
    assert response.status_code == 400
    assert "currency" in response.json()
    assert Showtime.objects.count() == 0


def test_showtime_starting_in_the_past_is_400(schedule):
    response = schedule(starts_at=iso(timezone.now() - timedelta(minutes=1)))
    assert response.status_code == 400
    assert response.json()["code"] == "in_the_past"
    assert Showtime.objects.count() == 0


@override_settings(SHOWTIME_CLEANING_MINUTES=20)
def test_overlap_counts_runtime_and_cleaning_buffer(schedule, movie, auditorium):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    assert schedule(starts_at=iso(start)).status_code == 201
    busy_until = start + timedelta(minutes=movie.runtime_minutes + 20)

    inside_cleaning = schedule(starts_at=iso(busy_until - timedelta(minutes=1)))
    before = schedule(starts_at=iso(start - timedelta(minutes=movie.runtime_minutes + 19)))
    right_after = schedule(starts_at=iso(busy_until))

    assert inside_cleaning.status_code == 400 and inside_cleaning.json()["code"] == "overlap"
    assert before.status_code == 400 and before.json()["code"] == "overlap"
    assert right_after.status_code == 201
    assert Showtime.objects.count() == 2


def test_same_slot_in_another_auditorium_is_fine(schedule):
    start = iso(timezone.now() + timedelta(days=1))
    assert schedule(starts_at=start).status_code == 201
    assert schedule(starts_at=start, auditorium=AuditoriumFactory().pk).status_code == 201


def test_a_start_at_the_end_of_the_calendar_is_400_not_500(schedule):
    response = schedule(starts_at="9999-12-31T23:30:00+00:00")
    assert response.status_code == 400
    assert Showtime.objects.count() == 0


def test_unknown_movie_or_auditorium_is_400(schedule):
    assert schedule(movie=999999).status_code == 400
    assert schedule(auditorium=999999).status_code == 400


def test_showtime_create_is_401_anonymous_and_403_for_non_staff(anon_client, user_client, movie, auditorium):
    body = {"movie": movie.pk, "auditorium": auditorium.pk, "starts_at": iso(timezone.now() + timedelta(days=1)), "price": "9.50"}
    assert anon_client.post(SHOWTIMES, body, format="json").status_code == 401
    assert user_client.post(SHOWTIMES, body, format="json").status_code == 403
    assert Showtime.objects.count() == 0


def test_showtimes_list_upcoming_only_and_filter_by_movie(anon_client):
    a, b = MovieFactory(), MovieFactory()
    upcoming_a = ShowtimeFactory(movie=a)
    ShowtimeFactory(movie=b)
    ShowtimeFactory(movie=a, starts_at=timezone.now() - timedelta(hours=1))

    every = anon_client.get(SHOWTIMES).json()["results"]
    of_a = anon_client.get(SHOWTIMES, {"movie": a.pk}).json()["results"]

    assert len(every) == 2
    assert [s["id"] for s in of_a] == [upcoming_a.pk]
    assert {"id", "movie", "auditorium", "starts_at", "price", "currency"} <= set(of_a[0])
    assert of_a[0]["price"] == "9.50"


def test_showtimes_filter_with_a_malformed_movie_is_400(anon_client):
    response = anon_client.get(SHOWTIMES, {"movie": "abc"})
    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())


@pytest.mark.parametrize("movie_id", ["9" * 30, str(2**63), "-" + "9" * 30])
def test_showtimes_filter_with_an_out_of_range_movie_is_400(anon_client, movie_id):
    """SQLite cannot bind an integer past 64 bits (OverflowError): refused before the query."""
    anon_client.raise_request_exception = False
    response = anon_client.get(SHOWTIMES, {"movie": movie_id})
    assert response.status_code == 400, response.content[:300]
    assert {"detail", "code"} <= set(response.json())


def test_showtimes_filter_with_the_largest_id_is_an_empty_list(anon_client):
    response = anon_client.get(SHOWTIMES, {"movie": str(2**63 - 1)})
    assert response.status_code == 200 and response.json()["count"] == 0
