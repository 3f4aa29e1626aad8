"""octopush account settings in campaignctl.yaml:

    sms_prices: {FR: 0.055, default: 0.07}   # price per SMS segment (EUR) by destination
    # or one table per SMS type (Octopush bills premium and low-cost SMS differently):
    # sms_prices: {sms_premium: {FR: 0.055}, sms_low_cost: {FR: 0.035}}
    email_price: 0.002                       # price per email recipient (EUR)
    vendor_estimate: false                   # true: plan asks the vendor's simulation
"""

from __future__ import annotations

import re
from typing import Any

from phonenumbers import SUPPORTED_REGIONS

SMS_TYPES = ("sms_premium", "sms_low_cost")
_REGION = re.compile(r"^[A-Z]{2}$")
_COUNTRY_TABLE = {
    "type": "object", "propertyNames": {"enum": [*sorted(SUPPORTED_REGIONS), "default"]},
    "additionalProperties": {"type": "number", "minimum": 0}}
#: the same rules for the schema of campaignctl.yaml (editors)
SCHEMA = {
    "sms_prices": {
        "description": "Price per SMS segment (EUR) by destination country; `default` for "
                       "the others. Either one table for every SMS type, or one per type "
                       "(sms_premium, sms_low_cost)",
        "anyOf": [_COUNTRY_TABLE,
                  {"type": "object", "propertyNames": {"enum": list(SMS_TYPES)},
                   "additionalProperties": _COUNTRY_TABLE}]},
    "email_price": {"type": "number", "minimum": 0,
                    "description": "Price per email recipient (EUR), for the plan's estimate"},
    "vendor_estimate": {"type": "boolean",
                        "description": "true: plan asks the vendor's simulation for the cost"},
}


def _price(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value >= 0


def _country_table(prices: dict[str, Any], where: tuple[str, ...],
                   out: list[tuple[str, tuple]]) -> None:
    name = ".".join(where)
    for country, price in prices.items():
        if country != "default" and not (_REGION.match(str(country))
                                         and country in SUPPORTED_REGIONS):
            out.append((f"{name}: {country!r} is not an ISO country code (e.g. FR) or "
                        "`default`", (*where, country)))
        elif not _price(price):
            out.append((f"{name}.{country}: expected a price (a number >= 0)",
                        (*where, country)))


def check(values: dict[str, Any]) -> list[tuple[str, tuple]]:
    out: list[tuple[str, tuple]] = []
    prices = values.get("sms_prices")
    if prices is not None:
        if not isinstance(prices, dict):
            out.append(("sms_prices must map country codes (FR, US...) or `default` to a "
                        "price per SMS segment", ("sms_prices",)))
        elif any(k in SMS_TYPES for k in prices):
            for sms_type, table in prices.items():
                if sms_type not in SMS_TYPES:
                    out.append((f"sms_prices: {sms_type!r} is not an SMS type "
                                f"({', '.join(SMS_TYPES)}); give one table per type, or one "
                                "table of countries for all", ("sms_prices", sms_type)))
                elif not isinstance(table, dict):
                    out.append((f"sms_prices.{sms_type} must map country codes (FR, US...) "
                                "or `default` to a price per SMS segment",
                                ("sms_prices", sms_type)))
                else:
                    _country_table(table, ("sms_prices", sms_type), out)
        else:
            _country_table(prices, ("sms_prices",), out)
    email = values.get("email_price")
    if email is not None and not _price(email):
        out.append(("email_price: expected a price (a number >= 0)", ("email_price",)))
    flag = values.get("vendor_estimate")
    if flag is not None and not isinstance(flag, bool):
        out.append(("vendor_estimate must be true or false", ("vendor_estimate",)))
    return out


def sms_price_table(prices: dict[str, Any] | None, sms_type: str) -> dict[str, Any] | None:
    """The country -> price table for `sms_type` (one table for all types, or its own)."""
    if not prices:
        return None
    if any(k in SMS_TYPES for k in prices):
        return prices.get(sms_type) or None
    return prices
