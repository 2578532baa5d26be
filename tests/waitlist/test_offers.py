"""The offer rule: freed seats go to waiting entries in joining order, each offer a hold made by
the hold service lasting WAITLIST_OFFER_SECONDS; paid -> booked; lapsed -> expired and next."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bookings.models import Booking, BookingSeat, WaitlistEntry
from bookings.payments.cancellation import cancel_booking
from bookings.waitlist import services as waitlist
from bookings.waitlist import triggers
from cinema.models import Seat
from notifications.models import EmailMessage
from tests.factories import ShowtimeFactory, UserFactory

from .support import free_up, offered_seats, seat_ids_of, take

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def refreshed(*entries):
    for entry in entries:
        entry.refresh_from_db()
    return entries


def test_freed_seats_go_to_the_first_entry_that_fits_in_joining_order(hall, seats, sold_out, join):
    """Given entries for 3, 2 and 1 seats (in that order) and 2 seats freed, when the offer runs,
    the entry for 3 does not fit and keeps its place, the entry for 2 gets both seats, the entry
    for 1 gets nothing (none left)."""
    bookings = sold_out()
    three, two, one = join(hall, 3), join(hall, 2), join(hall, 1)
    free_up(bookings[0])  # A1, A2

    assert waitlist.offer_free_seats(hall.pk) == 1

    refreshed(three, two, one)
    assert (three.status, two.status, one.status) == (Status.WAITING, Status.OFFERED, Status.WAITING)
    assert offered_seats(two) == seats[0:2]
    assert two.booking.user_id == two.user_id and two.booking.status == Booking.Status.PENDING


def test_each_fitting_entry_gets_its_own_seats_and_a_second_run_offers_nothing_twice(hall, seats, sold_out, join):
    bookings = sold_out()
    first, second, third = join(hall, 2), join(hall, 2), join(hall, 2)
    free_up(bookings[0], bookings[3])  # A1-A2 and B2-B3

    assert waitlist.offer_free_seats(hall.pk) == 2
    assert waitlist.offer_free_seats(hall.pk) == 0

    refreshed(first, second, third)
    assert (first.status, second.status, third.status) == (Status.OFFERED, Status.OFFERED, Status.WAITING)
    # The best pair first, as a "best seats" hold chooses (row B: further back), then A1-A2.
    assert offered_seats(first) == seats[6:8] and offered_seats(second) == seats[0:2]
    assert Booking.objects.filter(waitlist_entry__isnull=False).count() == 2


def test_an_offer_is_side_by_side_when_the_free_seats_allow_it(hall, seats, join):
    """Given every seat sold one by one and then A1, A3, B1, B2 freed, an offer of 2 takes B1-B2
    (side by side), not A1 and A3."""
    singles = [take(hall, [seat]) for seat in seats]
    entry = join(hall, 2)
    free_up(singles[0], singles[2], singles[5], singles[6])

    waitlist.offer_free_seats(hall.pk)

    entry.refresh_from_db()
    assert offered_seats(entry) == [seats[5], seats[6]]


def test_when_no_two_free_seats_are_side_by_side_the_offer_takes_them_apart(hall, seats, join):
    singles = [take(hall, [seat]) for seat in seats]
    entry = join(hall, 2)
    free_up(singles[0], singles[2])

    waitlist.offer_free_seats(hall.pk)

    entry.refresh_from_db()
    assert offered_seats(entry) == [seats[0], seats[2]]


def test_the_offer_is_held_for_waitlist_offer_seconds(hall, sold_out, join, settings):
    settings.WAITLIST_OFFER_SECONDS = 300
    settings.BOOKING_HOLD_SECONDS = 600
    bookings = sold_out()
    entry = join(hall, 2)
    free_up(bookings[1])
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        waitlist.offer_free_seats(hall.pk)
        entry.refresh_from_db()
        assert entry.booking.expires_at == now + timedelta(seconds=300)
        assert set(BookingSeat.objects.filter(booking=entry.booking).values_list("expires_at", flat=True)) == {
            now + timedelta(seconds=300)
        }
        assert entry.offered_at == now


def test_an_offer_queues_a_waitlist_offer_email_in_the_users_language_with_a_link_to_pay(hall, sold_out, join):
    bookings = sold_out()
    customer = UserFactory(language="vi", first_name="Lan")
    entry = join(hall, 2, user=customer)
    free_up(bookings[0])

    waitlist.offer_free_seats(hall.pk)
    waitlist.offer_free_seats(hall.pk)

    entry.refresh_from_db()
    message = EmailMessage.objects.get(kind="waitlist_offer")
    assert message.to == customer.email and message.language == "vi"
    assert message.idempotency_key == f"waitlist_offer:{entry.pk}"
    pay_link = f"http://testserver/bookings/{entry.booking.pk}/"
    assert pay_link in message.body_text and f'href="{pay_link}"' in message.body_html
    assert "Xin chào Lan" in message.body_text and "A1, A2" in message.body_text
    assert hall.movie.title in message.subject


def test_a_lapsed_offer_expires_and_its_seats_go_to_the_next_entry_at_once(hall, seats, offered, settings):
    settings.WAITLIST_OFFER_SECONDS = 120
    first, second = offered(behind=1)
    lapsed_booking = first.booking

    with time_machine.travel(timezone.now() + timedelta(seconds=121)):
        assert waitlist.offer_free_seats(hall.pk) == 1

    refreshed(first, second)
    lapsed_booking.refresh_from_db()
    assert first.status == Status.EXPIRED and first.ended_at is not None
    assert lapsed_booking.status == Booking.Status.EXPIRED
    assert second.status == Status.OFFERED and offered_seats(second) == seats[0:2]


def test_a_paid_offer_makes_the_entry_booked(offered):
    [entry] = offered()

    Booking.objects.filter(pk=entry.booking_id).update(status=Booking.Status.PAID, paid_at=timezone.now())
    assert triggers.record_paid(entry.booking) == 1

    entry.refresh_from_db()
    assert entry.status == Status.BOOKED and entry.ended_at is not None


def test_settling_finds_a_paid_offer_booked_even_without_the_payment_hook(hall, offered):
    [entry] = offered()
    Booking.objects.filter(pk=entry.booking_id).update(status=Booking.Status.PAID)

    waitlist.offer_free_seats(hall.pk)

    entry.refresh_from_db()
    assert entry.status == Status.BOOKED


def test_a_declined_offer_cancelled_by_its_user_is_left_and_the_seats_go_on(hall, seats, offered):
    first, second = offered(behind=1)

    cancel_booking(first.booking, by_user=first.user)
    waitlist.offer_free_seats(hall.pk)

    refreshed(first, second)
    assert first.status == Status.LEFT
    assert second.status == Status.OFFERED and offered_seats(second) == seats[0:2]


def test_nothing_is_offered_after_the_cutoff(hall, sold_out, join, settings):
    settings.WAITLIST_CUTOFF_MINUTES = 30
    bookings = sold_out()
    entry = join(hall, 2)
    free_up(bookings[0])

    with time_machine.travel(hall.starts_at - timedelta(minutes=30)):
        assert waitlist.offer_free_seats(hall.pk) == 0
    entry.refresh_from_db()
    assert entry.status == Status.WAITING and entry.booking is None

    with time_machine.travel(hall.starts_at - timedelta(minutes=31)):
        assert waitlist.offer_free_seats(hall.pk) == 1


def test_a_deleted_users_entry_is_passed_over_and_leaves_the_queue(hall, sold_out, join):
    bookings = sold_out()
    gone, next_one = join(hall, 2), join(hall, 2)
    gone.user.is_active = False
    gone.user.save()
    free_up(bookings[0])

    waitlist.offer_free_seats(hall.pk)

    refreshed(gone, next_one)
    assert gone.status == Status.LEFT and next_one.status == Status.OFFERED


def test_an_entry_whose_user_already_holds_the_maximum_keeps_its_place(hall, seats, sold_out, join, settings):
    """The offer is a hold like any other, so the per-user cap of holds applies; that entry is
    skipped (still waiting, first in line) and the seats go to the next."""
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 1
    bookings = sold_out(pending=[4])  # B4-B5 held unpaid by its user
    hoarder = bookings[4].user
    capped, next_one = join(hall, 2, user=hoarder), join(hall, 2)
    free_up(bookings[0])

    assert waitlist.offer_free_seats(hall.pk) == 1

    refreshed(capped, next_one)
    assert capped.status == Status.WAITING and next_one.status == Status.OFFERED


def test_a_lapsed_walk_up_hold_counts_as_free_seats_for_the_offer(hall, seats, sold_out, join, settings):
    """A hold past its expiry is free at once (the expiry rule), whether or not the sweep ran."""
    bookings = sold_out(pending=[2])  # A5-B1 unpaid
    entry = join(hall, 2)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)):
        assert waitlist.offer_free_seats(hall.pk) == 1
    entry.refresh_from_db()
    assert offered_seats(entry) == seats[4:6]
    bookings[2].refresh_from_db()
    assert bookings[2].status == Booking.Status.EXPIRED


def test_the_offer_task_for_an_unknown_showtime_does_nothing(db):
    assert waitlist.offer_free_seats(987654) == 0


def test_a_deleted_user_leaves_every_waitlist(hall, offered, join):
    first, second = offered(behind=1)
    elsewhere = ShowtimeFactory(auditorium=hall.auditorium, starts_at=hall.starts_at + timedelta(hours=4))
    for i in range(0, 10, 2):
        take(elsewhere, seat_ids_of(elsewhere)[i : i + 2])
    other = join(elsewhere, 1, user=first.user)

    assert waitlist.leave_all(first.user) == 2

    first.refresh_from_db()
    other.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.LEFT and other.status == Status.LEFT
    assert second.status == Status.WAITING


def test_wheelchair_and_companion_seats_are_offered_only_once_released(hall, seats, sold_out, join, settings):
    settings.ACCESSIBLE_RELEASE_MINUTES = 60
    Seat.objects.filter(pk=seats[0]).update(kind="wheelchair")
    Seat.objects.filter(pk=seats[1]).update(kind="companion")
    bookings = sold_out()
    entry = join(hall, 2)
    free_up(bookings[0])  # A1 (wheelchair) and A2 (companion)

    assert waitlist.offer_free_seats(hall.pk) == 0  # a day ahead: kept for those who need them
    with time_machine.travel(hall.starts_at - timedelta(minutes=45)):
        assert waitlist.offer_free_seats(hall.pk) == 1

    entry.refresh_from_db()
    assert offered_seats(entry) == seats[0:2]
