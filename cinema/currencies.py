"""Temporary shim while bookings/ moves to core.money (issue 14); delete when nothing imports it."""

from core.money import amount_string as format_money, quantum  # noqa: F401
