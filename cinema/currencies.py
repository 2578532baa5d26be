"""ISO 4217 currencies and how many decimals each one's prices may carry.

Prices are stored with two decimal places, so a currency with three (KWD, BHD…) is
limited to two here; `vnd`, `jpy` and the other zero-decimal currencies take none.
Stripe's minor units follow the same exponents (whole dong for `vnd`, cents for `usd`)."""

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    "bif clp djf gnf isk jpy kmf krw pyg rwf ugx uyi vnd vuv xaf xof xpf".split()
)

# Active ISO 4217 codes (lower case), 2024 list.
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


def currency_decimals(code):
    """Decimals a price in this currency may have: 0 for vnd/jpy…, else 2."""
    return 0 if code.lower() in ZERO_DECIMAL else 2


def quantum(code):
    return Decimal(1).scaleb(-currency_decimals(code))


def has_valid_precision(amount, code):
    """True when `amount` carries no more decimals than the currency allows (9.50 ok, 9.505 not)."""
    return amount == amount.quantize(quantum(code))


def format_money(amount, code):
    """The contract's money string: "9.50" for usd, "120000" for vnd; None stays None."""
    if amount is None:
        return None
    return str(Decimal(amount).quantize(quantum(code)))
