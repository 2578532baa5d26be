"""Reads of the reports: sales per showtime, aggregated in the database, read in keyset pages.

Whatever the number of bookings, the worker holds one page of showtimes (each one row of sums)
at a time: the sums are computed by PostgreSQL per showtime, never by loading bookings."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
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

MONEY = DecimalField(max_digits=14, decimal_places=2)


def day_bounds(date_from, date_to):
    """[start of date_from, start of the day after date_to) in TIME_ZONE, as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), tz)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), tz)
    return start, end


def showtimes_starting(date_from, date_to):
    start, end = day_bounds(date_from, date_to)
    return Showtime.objects.filter(starts_at__gte=start, starts_at__lt=end)


def _sum_per_showtime(field, condition):
    bookings = Booking.objects.filter(condition, showtime=OuterRef("pk")).order_by().values("showtime")
    return Coalesce(Subquery(bookings.annotate(s=Sum(field)).values("s")), Value(Decimal(0)), output_field=MONEY)


def _count_per(queryset, group_by):
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_sales(showtimes):
    """Annotate capacity, tickets_sold (tickets of bookings still paid), gross, refunded."""
    return showtimes.annotate(
        capacity=_count_per(Seat.objects.filter(auditorium=OuterRef("auditorium_id")), "auditorium"),
        tickets_sold=_count_per(
            Ticket.objects.filter(booking__showtime=OuterRef("pk"), booking__status=Booking.Status.PAID),
            "booking__showtime",
        ),
        gross=_sum_per_showtime("total", MONEY_TAKEN),
        refunded=_sum_per_showtime("refund_amount", MONEY_GIVEN_BACK),
    )


def sales_pages(date_from, date_to, page_size=500):
    """Yield lists of up to `page_size` dicts, one per showtime, in start order (keyset paging on
    (starts_at, id), so a page costs the same at the end of a year as at its start)."""
    fields = ["pk", "starts_at", "movie__title", "auditorium__name", "currency",
              "capacity", "tickets_sold", "gross", "refunded"]
    base = with_sales(showtimes_starting(date_from, date_to)).order_by("starts_at", "pk").values(*fields)
    after = None
    while True:
        page = base
        if after is not None:
            page = page.filter(Q(starts_at__gt=after[0]) | Q(starts_at=after[0], pk__gt=after[1]))
        rows = list(page[:page_size])
        if not rows:
            return
        yield rows
        after = (rows[-1]["starts_at"], rows[-1]["pk"])
