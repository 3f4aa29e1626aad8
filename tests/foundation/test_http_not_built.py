"""A request our own HTTP stack refuses to build never reaches the vendor, is reported as not
sent (so a send is never marked unknown for it), and its message never quotes the header."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.errors import NotSentError, RequestNotBuilt
from reconciler.http import VendorHttp


def test_a_header_with_a_line_break_is_not_sent_and_not_quoted(sandbox_server):
    async def call():
        http = VendorHttp("octopush", sandbox_server.url, {"api-key": "key-Secret9\nx"},
                          max_retries=0)
        try:
            await http.request("POST", "/v1/public/sms-campaign/send", json={})
        finally:
            await http.aclose()

    with pytest.raises(RequestNotBuilt) as caught:
        asyncio.run(call())
    assert isinstance(caught.value, NotSentError)
    assert "could not be built" in str(caught.value) and "Secret9" not in str(caught.value)
    journal = sandbox_server.get("/_sandbox/requests").json()
    assert not [e for e in journal if e["method"] == "POST"]
