"""What a ticket costs: the one place the price rule of the contract lives.

The price of a ticket at a showtime is the showtime's price row for its ticket type and its
seat's category, else the row for its type without a category, else — for `adult` only — the
showtime's own `price`; else that ticket type is not on sale there."""

from dataclasses import dataclass
from decimal import Decimal

from .models import ShowtimePrice

ADULT = "adult"
ANY_CATEGORY = ""


class TicketTypeNotOnSale(Exception):
    """No price for this ticket type (in this seat category) at this showtime."""

    code = "ticket_type_not_on_sale"

    def __init__(self, ticket_type, category=None):
        self.ticket_type, self.category = ticket_type, category
        where = f" in category {category}" if category else ""
        super().__init__(f"Ticket type '{ticket_type}' is not on sale{where} at this showtime.")


def resolve_price(rows, ticket_type, category, base_price):
    """The price, or None when the type is not on sale. `rows` maps (ticket type code, category
    or "") to a Decimal: the showtime's price rows."""
    for key in ((ticket_type, category), (ticket_type, ANY_CATEGORY)):
        price = rows.get(key)
        if price is not None:
            return price
    return base_price if ticket_type == ADULT else None


@dataclass
class PriceList:
    """One showtime's prices, read once: `PriceList.of(showtime)` costs one query, then every
    seat and ticket is priced in memory (the seat map stays a fixed number of queries)."""

    rows: dict
    base_price: Decimal

    @classmethod
    def of(cls, showtime):
        return cls.of_showtime_id(showtime.pk, showtime.price)

    @classmethod
    def of_showtime_id(cls, showtime_id, base_price):
        rows = ShowtimePrice.objects.filter(showtime_id=showtime_id).values_list("ticket_type_id", "category", "price")
        return cls({(code, category): price for code, category, price in rows}, base_price)

    def price(self, ticket_type, category):
        """The ticket's price, or TicketTypeNotOnSale."""
        price = resolve_price(self.rows, ticket_type, category, self.base_price)
        if price is None:
            raise TicketTypeNotOnSale(ticket_type, category)
        return price

    def get(self, ticket_type, category):
        """The price, or None when not on sale."""
        return resolve_price(self.rows, ticket_type, category, self.base_price)

    def resolved(self, ticket_types, categories):
        """[(ticket type, category, price)] for every pair on sale, in the order given."""
        return [
            (code, category, price)
            for code in ticket_types
            for category in categories
            if (price := self.get(code, category)) is not None
        ]
