"""The waitlist endpoints of the contract: join, list, leave."""

from datetime import timedelta

import pytest
import time_machine

from bookings.models import Booking, WaitlistEntry
from bookings.waitlist import services as waitlist
from tests.factories import ShowtimeFactory, UserFactory

from .support import JOIN, MINE, free_up, offered_seats, seat_ids_of, take

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status
ENTRY_FIELDS = {"id", "showtime", "quantity", "status", "position", "booking", "created_at"}


def test_joining_a_sold_out_showtime_answers_the_contracts_201(hall, sold_out, client_for, user):
    sold_out()
    response = client_for(user).post(JOIN.format(hall.pk), {"quantity": 2}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ENTRY_FIELDS
    assert body["showtime"] == hall.pk and body["quantity"] == 2
    assert body["status"] == "waiting" and body["position"] == 1 and body["booking"] is None
    assert "T" in body["created_at"] and ("+" in body["created_at"] or body["created_at"].endswith("Z"))
    assert WaitlistEntry.objects.get(pk=body["id"]).user == user


def test_positions_follow_the_joining_order_and_move_up_when_someone_leaves(hall, sold_out, client_for):
    sold_out()
    clients = [client_for(UserFactory()) for _ in range(3)]
    ids = [c.post(JOIN.format(hall.pk), {"quantity": 1}, format="json").json()["id"] for c in clients]

    assert [c.get(MINE).json()["results"][0]["position"] for c in clients] == [1, 2, 3]
    assert clients[0].delete(f"{MINE}{ids[0]}/").status_code == 204
    assert [c.get(MINE).json()["results"][0]["position"] for c in clients] == [None, 1, 2]


def test_joining_when_enough_seats_are_free_is_409_seats_available(hall, seats, sold_out, client_for, user):
    bookings = sold_out()
    free_up(bookings[0])  # 2 free

    too_few = client_for(user).post(JOIN.format(hall.pk), {"quantity": 2}, format="json")
    assert too_few.status_code == 409 and too_few.json()["code"] == "seats_available"
    assert too_few.json()["free"] == 2
    assert client_for(user).post(JOIN.format(hall.pk), {"quantity": 3}, format="json").status_code == 201
    assert WaitlistEntry.objects.filter(user=user).count() == 1


def test_a_hold_past_its_expiry_counts_as_free_when_joining(hall, sold_out, client_for, user, settings):
    sold_out(pending=[0])
    with time_machine.travel(hall.starts_at - timedelta(hours=20)):
        response = client_for(user).post(JOIN.format(hall.pk), {"quantity": 2}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "seats_available"


def test_joining_twice_is_409_already_waiting_and_after_leaving_one_may_join_again(hall, sold_out, client_for, user):
    sold_out()
    client = client_for(user)
    first = client.post(JOIN.format(hall.pk), {"quantity": 1}, format="json").json()

    again = client.post(JOIN.format(hall.pk), {"quantity": 2}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_waiting"

    assert client.delete(f"{MINE}{first['id']}/").status_code == 204
    assert client.post(JOIN.format(hall.pk), {"quantity": 2}, format="json").status_code == 201


def test_joining_after_the_cutoff_is_a_400(hall, sold_out, client_for, user, settings):
    settings.WAITLIST_CUTOFF_MINUTES = 30
    sold_out()
    with time_machine.travel(hall.starts_at - timedelta(minutes=29)):
        response = client_for(user).post(JOIN.format(hall.pk), {"quantity": 1}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "waitlist_closed"
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("body", [{"quantity": 0}, {"quantity": -1}, {"quantity": "two"}, {}, {"quantity": 11}, []])
def test_a_bad_quantity_is_a_400_and_creates_nothing(hall, sold_out, client_for, user, body):
    sold_out()
    response = client_for(user).post(JOIN.format(hall.pk), body, format="json")
    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())
    assert not WaitlistEntry.objects.exists()


def test_unknown_showtime_is_404_and_the_anonymous_get_401(hall, client_for, user, anon_client):
    assert client_for(user).post(JOIN.format(987654), {"quantity": 1}, format="json").status_code == 404
    assert client_for(user).post(JOIN.format(2**70), {"quantity": 1}, format="json").status_code == 404
    assert anon_client.post(JOIN.format(hall.pk), {"quantity": 1}, format="json").status_code == 401
    assert anon_client.get(MINE).status_code == 401
    assert anon_client.delete(f"{MINE}1/").status_code == 401


def test_the_list_holds_only_the_callers_entries_newest_first(hall, sold_out, client_for, user, join):
    sold_out()
    other_show = ShowtimeFactory(auditorium=hall.auditorium, starts_at=hall.starts_at + timedelta(hours=4))
    for i in range(0, 10, 2):
        take(other_show, seat_ids_of(other_show)[i : i + 2])
    older = join(hall, 1, user=user)
    newer = join(other_show, 2, user=user)
    join(hall, 1)  # someone else's

    body = client_for(user).get(MINE).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [e["id"] for e in body["results"]] == [newer.pk, older.pk]
    assert all(set(e) == ENTRY_FIELDS for e in body["results"])


def test_leaving_someone_elses_entry_is_404_and_changes_nothing(hall, sold_out, client_for, join):
    sold_out()
    entry = join(hall, 1)
    response = client_for(UserFactory()).delete(f"{MINE}{entry.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


def test_leaving_with_a_pending_offer_releases_its_seats_to_the_next_entry(hall, seats, offered, client_for):
    first, second = offered(behind=1)

    response = client_for(first.user).delete(f"{MINE}{first.pk}/")
    assert response.status_code == 204
    first.refresh_from_db()
    assert first.status == Status.LEFT
    assert Booking.objects.get(pk=first.booking_id).status == Booking.Status.CANCELLED

    waitlist.offer_free_seats(hall.pk)  # what the task enqueued by the leave does
    second.refresh_from_db()
    assert second.status == Status.OFFERED and offered_seats(second) == seats[0:2]


def test_leaving_twice_or_after_paying_changes_nothing(offered, client_for):
    [entry] = offered()
    Booking.objects.filter(pk=entry.booking_id).update(status=Booking.Status.PAID)
    client = client_for(entry.user)

    assert client.delete(f"{MINE}{entry.pk}/").status_code == 204
    assert client.delete(f"{MINE}{entry.pk}/").status_code == 204
    entry.refresh_from_db()
    assert entry.status == Status.BOOKED
    assert Booking.objects.get(pk=entry.booking_id).status == Booking.Status.PAID


def test_an_offered_entry_shows_its_booking_and_no_position(offered, client_for):
    [entry] = offered()

    listed = client_for(entry.user).get(MINE).json()["results"][0]
    assert listed["status"] == "offered" and listed["position"] is None
    assert listed["booking"] == str(entry.booking_id)


def test_the_schema_documents_the_waitlist_endpoints(anon_client):
    schema = anon_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/showtimes/{id}/waitlist/" in schema["paths"]
    assert "/api/v1/waitlist/" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/waitlist/{id}/"]


def test_leaving_just_as_the_offer_is_made_releases_the_offer(hall, sold_out, join, monkeypatch):
    """Given the leave read the entry still waiting, when the offer is made before the leave locks
    the entry, the leave starts again with the new booking locked first (the lock order) and
    releases it: no 500, the entry left, its seats free again."""
    bookings = sold_out()
    entry = join(hall, 2)
    free_up(bookings[0])
    manager = WaitlistEntry.objects
    real_select_for_update = manager.select_for_update
    offers_made = []

    def offer_then_lock(*args, **kwargs):
        if not offers_made:  # between the leave's read and its lock of the entry
            offers_made.append(waitlist.offer_free_seats(hall.pk))
        return real_select_for_update(*args, **kwargs)

    monkeypatch.setattr(manager, "select_for_update", offer_then_lock)
    result = waitlist.leave(entry.user, entry.pk)

    entry.refresh_from_db()
    assert offers_made == [1]
    assert result.status == entry.status == Status.LEFT
    assert entry.booking.status == Booking.Status.CANCELLED
    assert not entry.booking.booking_seats.filter(active=True).exists()
