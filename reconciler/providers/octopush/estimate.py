"""The SMS cost estimate `plan` shows, made locally: segments x recipients x the price per
segment of each recipient's destination country, from the account's `sms_prices` in
campaignctl.yaml (ISO country codes, and `default`; one table for every SMS type, or one
per type, since Octopush bills premium and low-cost SMS at different prices). Segments are
counted as the vendor bills them (reconciler.sms, the count the sandbox bills too). No request is made: a plan on a pull
request sends no contact data to the vendor. It is labelled an estimate: the vendor bills
what it counts at send time (personalised texts may need more segments)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from reconciler.audience import Recipient
from reconciler.providers.octopush.settings import sms_price_table
from reconciler.providers.sendonly.provider import Estimate
from reconciler.sms import segments
from reconciler.words import plural, word

CURRENCY = "EUR"


@lru_cache(maxsize=4096)
def _region_of_prefix(digits: str) -> str | None:
    # Country calling codes are prefix-free: the first 1-3 digit prefix that is one wins.
    for n in (1, 2, 3):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:n])) if digits[:n] else None
        if regions:
            return regions[0]
    return None


def country_of(phone: str) -> str | None:
    """ISO region of an E.164 number's calling code (+1 counts as US)."""
    return _region_of_prefix(phone[1:4]) if phone.startswith("+") else None


def local_estimate(text: str, pending: list[Recipient], prices: dict[str, Any] | None,
                   sms_type: str = "sms_premium", currency: str = CURRENCY) -> Estimate:
    per = segments(text).segments
    n = len(pending)
    messages = per * n
    basis = f"local estimate: {plural(per, 'segment')} x {n:,} {word(n, 'recipient')}"
    typed = bool(prices) and prices is not sms_price_table(prices, sms_type)
    prices = sms_price_table(prices, sms_type)
    if not prices:
        missing = f"sms_prices.{sms_type}" if typed else "sms_prices"
        return Estimate(messages=messages,
                        basis=basis + f"; no cost: set {missing} for this account in "
                                      "campaignctl.yaml")
    countries = Counter(country_of(x.address) or "unknown" for x in pending)
    cost, missing, parts = 0.0, [], []
    for country, count in sorted(countries.items()):
        price = prices.get(country, prices.get("default"))
        if price is None:
            missing.append(country)
            continue
        cost += float(price) * per * count
        parts.append(f"{country} {float(price):g} x {count:,}")
    if missing:
        return Estimate(messages=messages,
                        basis=basis + f"; no cost: no sms_prices entry (or default) for "
                                      f"{', '.join(missing)}")
    return Estimate(messages=messages, cost=round(cost, 4), currency=currency,
                    basis=basis + f" x price per {sms_type} segment "
                                  f"({'; '.join(parts)} {currency})")


def email_estimate(n: int, price: float | None, currency: str = CURRENCY) -> Estimate:
    """One message per recipient, priced when the account gives `email_price`."""
    basis = f"local estimate: 1 email x {n:,} {word(n, 'recipient')}"
    if price is None:
        return Estimate(messages=n, note=basis + "; no cost: set email_price for this "
                                                 "account in campaignctl.yaml")
    return Estimate(messages=n, cost=round(float(price) * n, 4), currency=currency,
                    basis=basis + f" x {float(price):g} {currency}")
