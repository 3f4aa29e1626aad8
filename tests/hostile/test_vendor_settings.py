"""Issue 26: a vendor's odd headers and an account's odd URL are input too. A Retry-After
nobody can read is a backoff, one too long is a clean error (the request was not
accepted); a base_url the HTTP client would refuse is refused by `validate` at its line,
for every vendor type, and by `plan` when an environment variable supplies it."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import respx
from conftest import run_cli, write_workspace

from reconciler.errors import ApiError
from reconciler.http import MAX_RETRY_AFTER, VendorHttp

BASE = "https://vendor.test"
UNREADABLE = ["soon", "-1", "inf", "nan", "1e3", "0x10", "5, 5", "Wed, 32 Oct 2015 07:28:00 GMT",
              "Wed, 21 Oct 99999 07:28:00 GMT", "Mon, 01 Jan 0001 00:00:00 +9999", "\t",
              "99999999999999999999"]


def client(sleeps: list[float]) -> VendorHttp:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
    return VendorHttp("vendor", BASE, {"X-Key": "k"}, sleep=sleep, backoff_base=0.5,
                      backoff_cap=4)


@pytest.mark.parametrize("value", UNREADABLE)
def test_an_unreadable_retry_after_falls_back_to_backoff(value):
    sleeps: list[float] = []
    http = client(sleeps)
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/send").mock(side_effect=[
            httpx.Response(429, headers={"Retry-After": value}),
            httpx.Response(200, json={"ok": True})])
        response = asyncio.run(http.request("POST", "/send", json={}, idempotent=False))
    assert response.status_code == 200 and route.call_count == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 4  # the backoff's, not the header's


@pytest.mark.parametrize("value,wait", [("7", 7.0), ("0.25", 0.25), (" 3 ", 3.0)])
def test_a_readable_retry_after_is_obeyed(value, wait):
    sleeps: list[float] = []
    with respx.mock(base_url=BASE) as mock:
        mock.get("/x").mock(side_effect=[httpx.Response(429, headers={"Retry-After": value}),
                                         httpx.Response(200)])
        asyncio.run(client(sleeps).request("GET", "/x"))
    assert sleeps == [wait]


@pytest.mark.parametrize("value", [str(int(MAX_RETRY_AFTER) + 1), "86400",
                                   "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_longer_than_campaignctl_waits_is_a_clean_error(value):
    sleeps: list[float] = []
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/send").mock(return_value=httpx.Response(
            429, headers={"Retry-After": value}))
        with pytest.raises(ApiError) as caught:
            asyncio.run(client(sleeps).request("POST", "/send", json={}, idempotent=False))
    assert route.call_count == 1 and sleeps == []
    assert caught.value.status == 429
    assert "the request was not accepted, run again later" in str(caught.value)


VENDORS = {"email-campaigns": "token: ${T}", "octopush": "api_login: ${T}\n    api_key: ${T}",
           "connectly": "business_id: ${T}\n    api_key: ${T}",
           "scheduled-campaigns": "api_key: ${T}"}
BAD_URLS = [("http://[::1", "is not a valid URL"), ("https://host:abc", "is not a valid URL"),
            ("https://[zz]", "is not a valid URL"), ("https://xn--zz", "is not a valid URL"),
            ("https://host:99999", "has port 99999, outside 1-65535"),
            ("https://user:pw@host", "holds a user name or password"),
            ("https://host/?q=1", "must not hold a query")]


def workspace(tmp_path, vendor: str, base_url: str):
    return write_workspace(tmp_path / "ws", {"campaignctl.yaml": (
        f"providers:\n  acct:\n    type: {vendor}\n    base_url: {base_url}\n"
        f"    {VENDORS[vendor]}\n")})


@pytest.mark.parametrize("vendor", sorted(VENDORS))
@pytest.mark.parametrize("url,says", BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_validate_refuses_a_base_url_the_client_cannot_use_at_its_line(tmp_path, vendor, url,
                                                                       says):
    ws = workspace(tmp_path, vendor, f'"{url}"')
    r = run_cli("validate", str(ws), env={"T": "secret-value-1"})
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert re.search(rf"campaignctl\.yaml:4:\d+: provider acct: base_url {re.escape(says)}",
                     out), out
    assert "internal error" not in out and "Traceback" not in out


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_plan_refuses_a_base_url_from_the_environment_before_any_request(tmp_path, vendor):
    """The issue's case: `http://[::1` passed validate, then plan ended in
    `internal error (InvalidURL)` on all four vendors."""
    ws = workspace(tmp_path, vendor, "${API_URL}")
    r = run_cli("plan", str(ws), env={"T": "secret-value-1", "API_URL": "http://[::1"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"campaignctl\.yaml:4:\d+: provider acct: base_url is not a valid URL",
                     r.stderr), r.stderr
    assert "internal error" not in r.stderr and "secret-value-1" not in r.stderr
