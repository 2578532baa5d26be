"""seed_demo draws real halls (aisles, a premium row, wheelchair spaces with companions) and prices showtimes."""

import pytest
from django.core.management import call_command

from cinema.models import Auditorium, ShowtimePrice, Showtime
from cinema.pricing import PriceList

pytestmark = pytest.mark.django_db


def test_seeded_halls_have_aisles_a_premium_row_and_two_wheelchair_spaces_with_companions():
    call_command("seed_demo", verbosity=0, days=1)

    for hall in Auditorium.objects.all():
        seats = list(hall.seats.all())
        xs_of_row_a = sorted(s.x for s in seats if s.y == 0)
        assert xs_of_row_a != list(range(len(xs_of_row_a))), f"{hall.name} has no aisle"
        assert {s.category for s in seats if s.y == hall.rows - 1} == {"premium"}
        wheelchairs = [s for s in seats if s.kind == "wheelchair"]
        companions = {(s.y, s.x) for s in seats if s.kind == "companion"}
        assert len(wheelchairs) == 2
        assert all({(w.y, w.x - 1), (w.y, w.x + 1)} & companions for w in wheelchairs)
        assert hall.categories == ["standard", "premium"]


def test_seeded_showtimes_have_prices_by_ticket_type_and_category_and_a_second_run_adds_none():
    call_command("seed_demo", verbosity=0, days=1)
    rows = ShowtimePrice.objects.count()
    call_command("seed_demo", verbosity=0, days=1)

    assert rows and ShowtimePrice.objects.count() == rows
    showtime = Showtime.objects.first()
    prices = PriceList.of(showtime)
    assert prices.price("adult", "premium") > prices.price("adult", "standard") > prices.price("child", "standard")
    assert prices.get("student", "standard") is not None


def test_seeded_prices_in_vnd_are_whole_dong(settings):
    settings.DEFAULT_CURRENCY = "vnd"
    call_command("seed_demo", verbosity=0, days=1)
    amounts = set(ShowtimePrice.objects.values_list("price", flat=True))
    assert amounts and all(a == a.to_integral_value() and a > 0 for a in amounts)
