"""The seat picker's view of a hall: rows with their gaps, the category legend with prices, the
ticket types on sale, and which ticket type each picked seat gets (site.js mirrors that rule)."""

from django.utils.translation import gettext_lazy as _

from cinema.layouts import COMPANION, WHEELCHAIR, hall_rows
from cinema.models import Seat, TicketType
from cinema.pricing import ADULT

# Names people read, in their language; a type or category staff add later shows its own name.
TICKET_TYPE_NAMES = {"adult": _("Adult"), "child": _("Child"), "senior": _("Senior"), "student": _("Student")}
CATEGORY_NAMES = {"standard": _("Standard"), "premium": _("Premium"), "couple": _("Couple seat"),
                  "vip": _("VIP")}
KIND_NAMES = {WHEELCHAIR: _("wheelchair space"), COMPANION: _("companion seat")}
PALETTE_SIZE = 6  # .cat-0 … .cat-5 in site.css


def category_name(slug):
    return CATEGORY_NAMES.get(slug, slug.replace("-", " ").replace("_", " ").capitalize())


def ticket_type_name(ticket_type):
    return TICKET_TYPE_NAMES.get(ticket_type.code, ticket_type.name)


def with_places(seats, showtime, prices):
    """Until the seat map carries them (issue 11, part B): each seat's kind, category, x, y and
    adult price, read in one query. Seats come back in reading order (row, then column)."""
    places = {
        pk: (kind, category, x, y)
        for pk, kind, category, x, y in Seat.objects.filter(auditorium_id=showtime.auditorium_id)
        .values_list("pk", "kind", "category", "x", "y")
    }
    for seat in seats:
        seat["kind"], seat["category"], seat["x"], seat["y"] = places[seat["id"]]
        seat["price"] = prices.get(ADULT, seat["category"])
    return sorted(seats, key=lambda s: (s["y"], s["x"]))


def drawn_rows(seats, categories):
    """[(row label, [seat dict or None per column])] from the seat map, each seat with its
    `cat` (colour index of its category) and `kind_name`; None is an aisle or a gap."""
    index = {slug: i % PALETTE_SIZE for i, slug in enumerate(categories)}
    for seat in seats:
        seat["cat"] = index.get(seat["category"], 0)
        seat["category_name"] = category_name(seat["category"])
        seat["kind_name"] = KIND_NAMES.get(seat["kind"], "")
    return hall_rows(seats, place=lambda s: (s["row"], s["x"], s["y"]))


def legend(categories, prices):
    """[{"slug", "name", "cat", "price"}]: each category of the hall with its adult price (None
    when adults are not sold there)."""
    return [
        {"slug": slug, "name": category_name(slug), "cat": i % PALETTE_SIZE, "price": prices.get(ADULT, slug)}
        for i, slug in enumerate(categories)
    ]


def ticket_choices(categories, prices):
    """The ticket types on sale at this showtime in at least one of the hall's categories:
    [{"code", "name", "check_id", "prices": {category: Decimal}, "price": the lowest, "varies"}],
    in the types' order."""
    choices = []
    for ticket_type in TicketType.objects.order_by("position", "code"):
        by_category = {slug: p for slug in categories if (p := prices.get(ticket_type.code, slug)) is not None}
        if by_category:
            choices.append({"code": ticket_type.code, "name": ticket_type_name(ticket_type),
                            "check_id": ticket_type.check_id, "prices": by_category,
                            "price": min(by_category.values()), "varies": len(set(by_category.values())) > 1})
    return choices


class TicketCountError(ValueError):
    pass


def assign_ticket_types(seat_ids, counts, codes):
    """[(seat id, ticket type)]: the picked seats, in the order given (the hall's reading order),
    take the counted types in the order of `codes`; seats left over are adult tickets.

    `counts`: {code: n} as the customer typed them. More tickets than seats (leaving adults aside,
    which only fill up) is a TicketCountError."""
    others = [(code, counts.get(code, 0)) for code in codes if code != ADULT]
    wanted = sum(n for _, n in others)
    if wanted > len(seat_ids):
        raise TicketCountError(wanted)
    types = [code for code, n in others for _ in range(n)]
    types += [ADULT] * (len(seat_ids) - len(types))
    return list(zip(seat_ids, types))
