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


def counts_from(data, codes):
    """{code: n} of the ticket-type step's fields `tickets-<code>` (anything else counts 0)."""
    counts = {}
    for code in codes:
        raw = str(data.get(f"tickets-{code}", "")).strip()
        counts[code] = int(raw) if raw.isdigit() else 0
    return counts


def ticket_list(counts, codes, seats=None):
    """The ticket types in the order seats take them: the counted child, senior… tickets first
    (in the types' order), then adults: as many as counted, or, given `seats`, as many as the
    other types leave. More non-adult tickets than seats is a TicketCountError."""
    types = [code for code in codes if code != ADULT for _ in range(counts.get(code, 0))]
    if seats is None:
        return types + [ADULT] * counts.get(ADULT, 0)
    if len(types) > seats:
        raise TicketCountError(len(types))
    return types + [ADULT] * (seats - len(types))


def reading_order(seat_ids):
    """A sort key putting seat ids in the hall's reading order (row from the screen, then column)."""
    places = {pk: (y, x) for pk, y, x in Seat.objects.filter(pk__in=seat_ids).values_list("pk", "y", "x")}
    return lambda seat_id: places.get(seat_id, (0, 0))


def assign_ticket_types(seat_ids, counts, codes):
    """[(seat id, ticket type)]: the picked seats, in the hall's reading order, take the types of
    ticket_list (site.js prices a selection the same way)."""
    return list(zip(seat_ids, ticket_list(counts, codes, seats=len(seat_ids))))
