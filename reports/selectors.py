"""Reads of the reports: sales per showtime, aggregated in the database, read in keyset pages.

Whatever the number of bookings, the worker holds one page of showtimes (each one row of sums)
at a time: the sums are computed by PostgreSQL per showtime, never by loading bookings."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from bookings.models import Booking, Ticket
from cinema.models import Seat, Showtime

SALES_COLUMNS = [
    "showtime_id", "starts_at", "movie", "auditorium", "capacity", "tickets_sold", "occupancy_pct",
    "gross", "refunded", "net", "currency",
]

# Money came in for a booking: it was paid (and may since have been cancelled), or a payment that
# arrived after its hold had ended was taken and refunded in full (late_payment "refunded").
# An amount mismatch is neither: it is refunded as it came and never counted as a sale.
MONEY_TAKEN = Q(paid_at__isnull=False) | Q(late_payment=Booking.LatePayment.REFUNDED)
# Money given back: a refund that the payment provider confirmed.
MONEY_GIVEN_BACK = MONEY_TAKEN & Q(refund_status=Booking.RefundStatus.SUCCEEDED)

ZERO = Decimal(0)


def day_bounds(date_from, date_to):
    """[start of date_from, start of the day after date_to) in TIME_ZONE, as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), tz)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), tz)
    return start, end


def showtimes_starting(date_from, date_to):
    start, end = day_bounds(date_from, date_to)
    return Showtime.objects.filter(starts_at__gte=start, starts_at__lt=end)


def _sums(showtime_ids):
    """{showtime_id: {"gross", "refunded", "tickets_sold"}}: two grouped queries over the bookings
    (and tickets) of these showtimes only."""
    money = (
        Booking.objects.filter(showtime_id__in=showtime_ids).order_by().values("showtime")
        .annotate(gross=Sum("total", filter=MONEY_TAKEN), refunded=Sum("refund_amount", filter=MONEY_GIVEN_BACK))
        .values_list("showtime", "gross", "refunded")
    )
    sums = {pk: {"gross": gross or ZERO, "refunded": refunded or ZERO, "tickets_sold": 0} for pk, gross, refunded in money}
    tickets = (
        Ticket.objects.filter(booking__showtime_id__in=showtime_ids, booking__status=Booking.Status.PAID)
        .order_by().values("booking__showtime").annotate(n=Count("pk")).values_list("booking__showtime", "n")
    )
    for pk, n in tickets:
        sums.setdefault(pk, {"gross": ZERO, "refunded": ZERO})["tickets_sold"] = n
    return sums


def _capacities(auditorium_ids):
    return dict(
        Seat.objects.filter(auditorium_id__in=auditorium_ids).order_by().values("auditorium")
        .annotate(n=Count("pk")).values_list("auditorium", "n")
    )


def sales_pages(date_from, date_to, page_size=500):
    """Yield lists of up to `page_size` dicts, one per showtime in start order, with `capacity`,
    `tickets_sold` (tickets of bookings still paid), `gross` and `refunded`. Keyset paging on
    (starts_at, id), so a page costs the same at the end of a year as at its start; four queries
    a page, each bounded by that page's bookings."""
    fields = ["pk", "starts_at", "movie__title", "auditorium__name", "auditorium_id", "currency"]
    base = showtimes_starting(date_from, date_to).order_by("starts_at", "pk").values(*fields)
    after = None
    while True:
        page = base
        if after is not None:
            page = page.filter(Q(starts_at__gt=after[0]) | Q(starts_at=after[0], pk__gt=after[1]))
        rows = list(page[:page_size])
        if not rows:
            return
        sums = _sums([row["pk"] for row in rows])
        capacities = _capacities({row["auditorium_id"] for row in rows})
        for row in rows:
            row.update({"gross": ZERO, "refunded": ZERO, "tickets_sold": 0, **sums.get(row["pk"], {})})
            row["capacity"] = capacities.get(row["auditorium_id"], 0)
        yield rows
        after = (rows[-1]["starts_at"], rows[-1]["pk"])
