"""octopush account settings in campaignctl.yaml:

    sms_prices: {FR: 0.045, default: 0.06}   # price per SMS segment (EUR) by destination
    vendor_estimate: false                   # true: plan asks the vendor's simulation
"""

from __future__ import annotations

import re
from typing import Any

from phonenumbers import SUPPORTED_REGIONS

_REGION = re.compile(r"^[A-Z]{2}$")
#: the same rules for the schema of campaignctl.yaml (editors)
SCHEMA = {
    "sms_prices": {
        "type": "object", "description": "Price per SMS segment (EUR) by destination country; "
                                         "`default` for the others",
        "propertyNames": {"enum": [*sorted(SUPPORTED_REGIONS), "default"]},
        "additionalProperties": {"type": "number", "minimum": 0}},
    "vendor_estimate": {"type": "boolean",
                        "description": "true: plan asks the vendor's simulation for the cost"},
}


def check(values: dict[str, Any]) -> list[tuple[str, tuple]]:
    out: list[tuple[str, tuple]] = []
    prices = values.get("sms_prices")
    if prices is not None:
        if not isinstance(prices, dict):
            out.append(("sms_prices must map country codes (FR, US...) or `default` to a "
                        "price per SMS segment", ("sms_prices",)))
        else:
            for country, price in prices.items():
                if country != "default" and not (_REGION.match(str(country))
                                                 and country in SUPPORTED_REGIONS):
                    out.append((f"sms_prices: {country!r} is not an ISO country code (e.g. "
                                "FR) or `default`", ("sms_prices", country)))
                elif isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
                    out.append((f"sms_prices.{country}: expected a price (a number >= 0)",
                                ("sms_prices", country)))
    flag = values.get("vendor_estimate")
    if flag is not None and not isinstance(flag, bool):
        out.append(("vendor_estimate must be true or false", ("vendor_estimate",)))
    return out
