"""Figures of the admin's front page charts: occupancy and sales by day (the last and the next
14 days), sales by movie over those days, and the email outbox by status.

Per-showtime sums come from reports.selectors (the same rules as the sales report), so a chart
and a report over the same days agree to the unit. A day is a day of TIME_ZONE."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from core.money import amount_string
from notifications.models import EmailMessage

from .selectors import sales_pages

DAYS_EACH_WAY = 14


def _percent(part, whole):
    return float((Decimal(part * 100) / whole).quantize(Decimal("0.1"))) if whole else 0.0


def sales_by_day_and_movie(today):
    """Days today-14 … today+14 with occupancy and money per currency, and movies by net sales."""
    first, last = today - timedelta(days=DAYS_EACH_WAY), today + timedelta(days=DAYS_EACH_WAY)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day = {day: {"capacity": 0, "sold": 0, "gross": defaultdict(Decimal), "net": defaultdict(Decimal)} for day in days}
    per_movie = defaultdict(lambda: defaultdict(Decimal))
    currencies = set()
    rows = (row for page in sales_pages(first, last) for row in page)
    for row in rows:
        starts_at, title, currency = row["starts_at"], row["movie__title"], row["currency"]
        capacity, sold, gross, refunded = row["capacity"], row["tickets_sold"], row["gross"], row["refunded"]
        day = per_day[timezone.localdate(starts_at)]
        day["capacity"] += capacity
        day["sold"] += sold
        day["gross"][currency] += gross
        day["net"][currency] += gross - refunded
        per_movie[title][currency] += gross - refunded
        currencies.add(currency)
    currencies = sorted(currencies)
    by_day = [
        {
            "day": day.isoformat(),
            "past": day < today,
            "today": day == today,
            "capacity": figures["capacity"],
            "sold": figures["sold"],
            "occupancy_pct": _percent(figures["sold"], figures["capacity"]),
            "net": {c: amount_string(figures["net"][c], c) for c in currencies},
            "gross": {c: amount_string(figures["gross"][c], c) for c in currencies},
        }
        for day, figures in per_day.items()
    ]
    by_movie = sorted(
        ({"movie": title, "net": {c: amount_string(amounts[c], c) for c in currencies}}
         for title, amounts in per_movie.items()),
        key=lambda m: (-sum(Decimal(v) for v in m["net"].values()), m["movie"]),
    )
    return {"from": first.isoformat(), "to": last.isoformat(), "currencies": currencies,
            "by_day": by_day, "by_movie": by_movie}


def outbox_by_status():
    counts = dict(EmailMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return [{"status": status, "label": str(label), "count": counts.get(status, 0)}
            for status, label in EmailMessage.Status.choices]


def snapshot(today=None):
    """Everything the front page charts and their tables show, as JSON-ready data."""
    today = today or timezone.localdate()
    return {"today": today.isoformat(), "sales": sales_by_day_and_movie(today), "outbox": outbox_by_status()}
