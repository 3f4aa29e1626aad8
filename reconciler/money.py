"""Money as a reader expects it: its currency's decimals (ISO 4217 minor units), rounded
half up, thousands separated: `money(0.045, "EUR")` is "0.05 EUR", not Python's "0.04"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

#: ISO 4217 currencies whose minor unit is not 2 digits (the others have cents).
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "XOF": 0, "XAF": 0,
                "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def money(amount: float, currency: str | None) -> str:
    digits = _MINOR_UNITS.get((currency or "").upper(), 2)
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{value:,.{digits}f} {currency or ''}".rstrip()
