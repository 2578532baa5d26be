"""bookings.offer_waitlist_seats through a real Celery worker on a real Redis."""

import pytest
from rest_framework.test import APIClient

from bookings.models import WaitlistEntry
from tests.support.waiting import wait_for

from .support import MINE, free_up, lapse, offered_seats

pytestmark = pytest.mark.django_db(transaction=True)
Status = WaitlistEntry.Status


def test_the_task_is_registered_under_its_contract_name(celery_app):
    celery_app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert "bookings.offer_waitlist_seats" in celery_app.tasks


def test_leaving_with_an_offer_hands_its_seats_to_the_next_entry_through_the_worker(
    celery_worker, seats, offered
):
    first, second = offered(behind=1)
    client = APIClient()
    client.force_authenticate(first.user)

    assert client.delete(f"{MINE}{first.pk}/").status_code == 204

    def second_offered():
        second.refresh_from_db()
        return second.status == Status.OFFERED

    wait_for(second_offered, what="the worker offering the released seats to the next entry")
    assert offered_seats(second) == seats[0:2]


def test_the_task_sent_by_name_offers_freed_seats(celery_worker, celery_app, hall, sold_out, join):
    bookings = sold_out()
    entry = join(hall, 2)
    free_up(bookings[0])

    celery_app.send_task("bookings.offer_waitlist_seats", args=[hall.pk])

    def offered():
        entry.refresh_from_db()
        return entry.status == Status.OFFERED

    wait_for(offered, what="the offer made by the worker")


def test_the_expiry_sweep_in_the_worker_offers_the_seats_it_frees(celery_worker, celery_app, hall, seats, sold_out, join):
    """Given a sold-out showtime whose A5-B1 hold has lapsed and an entry for 2, when beat's sweep
    runs in the worker, it expires the hold and the offer task it sends gives A5-B1 to the entry."""
    bookings = sold_out(pending=[2])
    entry = join(hall, 2)
    lapse(bookings[2])

    celery_app.send_task("bookings.expire_unpaid_bookings")

    def offered():
        entry.refresh_from_db()
        return entry.status == Status.OFFERED

    wait_for(offered, what="the sweep freeing the seats and the offer task offering them")
    assert offered_seats(entry) == seats[4:6]
