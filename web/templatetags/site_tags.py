"""Template helpers of the site: money in the page's language, poster placeholders."""

import zlib
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language

from core.money import format_amount, price_decimals, separators

register = template.Library()

# Symbol and whether it follows the amount; any other currency shows its ISO code.
CURRENCY_SYMBOLS = {
    "usd": ("$", False),
    "eur": ("€", False),
    "gbp": ("£", False),
    "jpy": ("¥", False),
    "vnd": ("₫", True),
}


def money_format(currency):
    """How an amount of `currency` is written in the active language (used by the JS too)."""
    code = (currency or settings.DEFAULT_CURRENCY).lower()
    symbol, after = CURRENCY_SYMBOLS.get(code, (code.upper(), True))
    decimal_sep, thousand_sep = separators(get_language())
    return {
        "symbol": symbol,
        "after": after,
        "decimals": price_decimals(code),
        "decimal_sep": decimal_sep,
        "thousand_sep": thousand_sep,
    }


def format_money(amount, currency):
    """"$1,234.50" in English, "$1.234,50" in Vietnamese, "120.000 ₫": grouping by Babel."""
    if amount is None or amount == "":
        return ""
    code = (currency or settings.DEFAULT_CURRENCY).lower()
    symbol, after = CURRENCY_SYMBOLS.get(code, (code.upper(), True))
    value = Decimal(str(amount))
    sign = "-" if value < 0 else ""
    number = format_amount(abs(value), code, get_language())
    if after:
        return f"{sign}{number}\u00a0{symbol}"
    return f"{sign}{symbol}{number}"


@register.filter
def money(amount, currency=None):
    """{{ booking.total|money:booking.currency }} -> "$19.00", "190.000 ₫"."""
    return format_money(amount, currency)


@register.simple_tag
def money_attrs(currency):
    """data-* attributes that let site.js write amounts exactly like the `money` filter."""
    fmt = money_format(currency)
    return format_html(
        'data-symbol="{}" data-symbol-after="{}" data-decimals="{}" data-decimal-sep="{}" data-thousand-sep="{}"',
        fmt["symbol"],
        "1" if fmt["after"] else "0",
        fmt["decimals"],
        fmt["decimal_sep"],
        fmt["thousand_sep"],
    )


@register.filter
def initials(title):
    """Up to two initials of a title, for the poster placeholder: "The Grand Budapest" -> "GB"."""
    small = {"the", "a", "an", "of", "and", "le", "la", "les"}
    words = [w for w in str(title).split() if w[:1].isalnum()]
    picked = [w for w in words if w.lower() not in small] or words
    return "".join(w[0] for w in picked[:2]).upper() or "?"


@register.filter
def hue(text):
    """A stable hue (0-359) per title, so each placeholder poster has its own colour."""
    return zlib.crc32(str(text).encode()) % 360


@register.simple_tag
def cinema_name():
    return getattr(settings, "CINEMA_NAME", "Cinema")


@register.simple_tag
def poster_sources(movie):
    """`src`, `srcset`, size and placeholder colour of a movie's processed poster, or None."""
    from cinema.posters import sources

    return sources(movie)
