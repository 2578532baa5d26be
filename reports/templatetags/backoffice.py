"""`{% staff_dashboard as dashboard %}` on the admin's front page (templates/admin/index.html)."""

from django import template

from reports.dashboard import snapshot

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_dashboard(context):
    """The charts' figures, for staff only (the admin index is shown to staff anyway)."""
    request = context.get("request")
    if request is None or not request.user.is_staff:
        return None
    return snapshot()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.simple_tag
def showtime_seat_map(showtime):
    """The showtime's seats by row, from the bookings' seat-map selector (read only), with the
    counts per status. A seat's `x` (its column, gaps included, when layouts give one) leaves
    empty cells for aisles; without it seats follow each other."""
    from bookings.selectors import seat_map

    rows, counts = [], {"available": 0, "held": 0, "sold": 0}
    for seat in seat_map(showtime):
        counts[seat["status"]] = counts.get(seat["status"], 0) + 1
        if not rows or rows[-1]["label"] != seat["row"]:
            rows.append({"label": seat["row"], "cells": []})
        cells = rows[-1]["cells"]
        if "x" in seat:
            cells.extend([None] * (seat["x"] - len(cells)))
        cells.append(seat)
    return {"rows": rows, "counts": counts}
