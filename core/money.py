"""Money: ISO 4217 codes, each currency's exponent, minor units and formatting, all in one place.

The exponent of a currency (2 for usd, 0 for vnd, jpy and mga, 3 for kwd) is Babel's
(CLDR's) `get_currency_precision`; this is the only table of it in the project. Amounts are
Decimals everywhere except at a payment gateway, which speaks integer minor units
(DESIGN.md rule 6). Prices are stored with two decimal places, so a three-decimal currency
(kwd, bhd...) prices in at most two of them."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal, get_currency_precision, get_decimal_symbol, get_group_symbol

STORED_DECIMALS = 2  # decimal_places of the money columns

# Active ISO 4217 codes (lower case), 2024 list. Babel knows historical ones too (dem, frf...),
# which a new price must not use.
ISO_4217 = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob bov brl bsd btn bwp
    byn bzd cad cdf che chf chw clf clp cny cop cou crc cup cve czk djf dkk dop dzd egp ern etb eur
    fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes
    kgs khr kmf kpw krw kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr
    mwk mxn mxv myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf
    sar sbd scr sdg sek sgd shp sle sll sos srd ssp stn svc syp szl thb tjs tmt tnd top try ttd twd
    tzs uah ugx usd usn uyi uyu uyw uzs ved ves vnd vuv wst xaf xcd xcg xof xpf yer zar zmw zwg zwl
    """.split()
)


def is_known_currency(code):
    return isinstance(code, str) and code.lower() in ISO_4217


def exponent(currency):
    """Digits after the decimal point of the currency's minor unit: 2 for usd, 0 for vnd."""
    return get_currency_precision(currency.upper())


def price_decimals(currency):
    """Decimals a stored amount in this currency may have: the exponent, at most two."""
    return min(exponent(currency), STORED_DECIMALS)


def quantum(currency):
    return Decimal(1).scaleb(-price_decimals(currency))


def has_valid_precision(amount, currency):
    """True when `amount` carries no more decimals than the currency allows (9.50 usd ok, 9.5 mga not)."""
    return amount == amount.quantize(quantum(currency))


def to_minor_units(amount, currency, digits=None):
    """Decimal("9.50"), "usd" -> 950; Decimal("120000"), "vnd" -> 120000.

    `digits` overrides the currency's exponent where a payment provider counts otherwise
    (bookings.payments.gateways). Refuses (ValueError) an amount finer than the currency's
    smallest unit rather than rounding money silently."""
    amount = Decimal(amount)
    minor = amount.scaleb(exponent(currency) if digits is None else digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(minor)


def from_minor_units(minor, currency, digits=None):
    """950, "usd" -> Decimal("9.50"); 120000, "vnd" -> Decimal("120000")."""
    digits = exponent(currency) if digits is None else digits
    return Decimal(int(minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def amount_string(amount, currency):
    """The API's money string: "9.50" for usd, "120000" for vnd; None stays None."""
    if amount is None:
        return None
    return str(Decimal(amount).quantize(quantum(currency)))


def _babel_locale(language):
    return (language or "en").replace("-", "_")


def format_amount(amount, currency, language="en"):
    """The amount with the currency's decimals and the language's digit grouping and
    separators (Babel): "1,234.50" in en, "1.234,50" in vi, "120.000" for vnd in vi."""
    decimals = price_decimals(currency)
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_babel_locale(language), decimal_quantization=False)


def separators(language="en"):
    """(decimal, grouping) symbols of the language, as `format_amount` writes them."""
    locale = _babel_locale(language)
    return get_decimal_symbol(locale), get_group_symbol(locale)


def format_money_with_code(amount, currency, language="en"):
    """'9.50 USD', '120,000 VND' (emails); '' for no amount."""
    if amount is None:
        return ""
    return f"{format_amount(amount, currency, language)} {currency.upper()}"
