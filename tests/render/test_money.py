"""Money in its currency's decimals, rounded half up, thousands separated."""

from reconciler.money import money


def test_currency_decimals_and_separators():
    assert money(0.045, "EUR") == "0.05 EUR"  # not Python's binary-float "0.04"
    assert money(2750, "EUR") == "2,750.00 EUR"
    assert money(1234.5, "JPY") == "1,235 JPY"
    assert money(1.2345, "KWD") == "1.235 KWD"
    assert money(0.5, None) == "0.50"
