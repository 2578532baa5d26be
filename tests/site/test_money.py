"""Amounts as the site writes them: the currency's decimals, the page language's separators."""

from decimal import Decimal

from django.utils import translation

from web.templatetags.site_tags import format_money, initials


def test_dollars_in_english_and_vietnamese():
    with translation.override("en"):
        assert format_money(Decimal("1234.5"), "usd") == "$1,234.50"
    with translation.override("vi"):
        assert format_money(Decimal("1234.5"), "usd") == "$1.234,50"


def test_dong_have_no_decimals_and_the_symbol_after():
    with translation.override("vi"):
        assert format_money(Decimal("120000"), "vnd") == "120.000\u00a0₫"


def test_unknown_currency_shows_its_code():
    with translation.override("en"):
        assert format_money(Decimal("9.5"), "chf") == "9.50\u00a0CHF"


def test_poster_initials_skip_small_words():
    assert initials("The Grand Budapest Hotel") == "GB"
    assert initials("Up") == "U"
    assert initials("") == "?"
