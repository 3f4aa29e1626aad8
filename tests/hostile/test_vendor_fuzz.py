"""Issue 26: a vendor's odd answer is input too. Property-based, per vendor: the sandbox
(over real HTTP) answers one of the requests of an `apply` (or every one of them) with a
generated odd answer: malformed JSON, wrong types, missing fields, a huge body, a truncated
body, a garbage Retry-After, Content-Type or Content-Encoding, an unexpected status; after
processing the request (the vendor did it, then garbled its answer) or not. Then the faults
are cleared and `apply` runs again.

Every run ends in exit 0 or 1 with no internal error and no traceback, and nothing is sent
twice: send-only vendors' deliveries have no duplicate, and no vendor holds more campaigns
than a fault-free apply creates. (Where the outcome was unknown the ledger says so and the
second apply does not resend.)

VENDOR_FUZZ_EXAMPLES examples per vendor (default 12: each runs two applies); `-s` prints
the cases by shape, the longest and the largest."""

from __future__ import annotations

import itertools
import json
import os
import time

import pytest
from conftest import SandboxServer, cli_in_process
from hostile.fuzzstats import FUZZ, Stats
from hostile.test_credential_canaries import VENDORS, workspace
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.http import VendorHttp

EXAMPLES = int(os.environ.get("VENDOR_FUZZ_EXAMPLES", "12"))
STATS = Stats()
_ids = itertools.count()

#: vendor -> its requests an apply makes: (path prefix, method)
REQUESTS = {
    "email-campaigns": [("/email/senderid/", "GET"), ("/email/senderid/", "POST"),
                        ("/email/optout/", "GET"), ("/email/optout/bulk/", "POST"),
                        ("/email/contact/", "GET"), ("/email/contact/", "POST"),
                        ("/email/message/", "GET"), ("/email/message/", "POST"),
                        ("/email/campaign/", "GET"), ("/email/campaign/", "POST"),
                        ("/email/", "PUT"), ("/email/", None)],
    "scheduled-campaigns": [("/campaign", "POST"), ("/campaign", "GET"),
                            ("/campaign", "PUT"), ("/campaign", None)],
    "octopush": [("/v1/public/sms-campaign/send", "POST"), ("/v1/public/", None)],
    "connectly": [("/v1/businesses/", "POST")],
}
#: the keys the vendors' answers hold (their docs), in wrong types and places
KEYS = ["$_id", "$oid", "id", "data", "sms_ticket", "ticket_number", "total_cost", "status",
        "state", "name", "tag", "contacts", "email", "description", "email_message", "when",
        "segments", "list", "domain", "code", "message", "error", "errors", "detail",
        "number_of_contacts", "residual_credit", "sender_id", "start_date", "timezone"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["", "57bb010e2cd5264797b017e5", "SENDING", "DONE", "active",
                       "2027-03-20T09:00:00Z", "\u202e", "\x1b[2J"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=12)
BROKEN = ["{", '{"id":', "[1,2", "nul", "<html><body>502 Bad Gateway</body></html>", "",
          "\x00\xff", '{"id": 1}}', "\ufeff{}", '{"a": NaN}', '"' + "x" * 1000,
          "[" * 5000, '{"$_id": {"$oid": ' * 500]


@st.composite
def bodies(draw) -> tuple[str, str | None, int, float]:
    """(shape, body or None for the real one cut, repeat, cut)."""
    shape = draw(st.sampled_from(["json", "broken", "huge", "truncated", "empty-real"]))
    if shape == "json":
        return shape, json.dumps(draw(json_values)), 1, 1.0
    if shape == "broken":
        return shape, draw(st.sampled_from(BROKEN)), 1, 1.0
    if shape == "huge":
        n = draw(st.integers(1_000, 60_000))
        return shape, json.dumps([{"$_id": {"$oid": str(i)}, "id": i} for i in range(n)])[
            :1 << 20], draw(st.integers(1, 8)), 1.0
    if shape == "truncated":
        return shape, None, 1, draw(st.floats(0.0, 0.99))
    return shape, None, 1, 1.0


RETRY_AFTER = ["soon", "-1", "inf", "nan", "1e3", "0", "1", "Wed, 32 Oct 2015 07:28:00 GMT",
               "Fri, 31 Dec 9999 23:59:59 GMT", "99999999999999999999", "5, 5", "\u00e9"]
CONTENT_TYPES = ["application/json", "text/html", "application/json; charset=garbage",
                 "application/json; charset=utf-16", "", ";;;", "text/csv",
                 "application/x-www-form-urlencoded", "multipart/form-data"]


@st.composite
def answers(draw, vendor: str) -> dict:
    prefix, method = draw(st.sampled_from(REQUESTS[vendor]))
    shape, body, repeat, cut = draw(bodies())
    headers = {}
    if draw(st.booleans()):
        headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
    if draw(st.booleans()):
        headers["Retry-After"] = draw(st.sampled_from(RETRY_AFTER))
    if draw(st.integers(0, 5)) == 0:
        headers["Content-Encoding"] = draw(st.sampled_from(["gzip", "br", "deflate",
                                                            "x-garbage", "identity"]))
    processed = draw(st.booleans())
    # A request the vendor processed is never answered 4xx (that says "not accepted", and a
    # client rightly trusts it); any other status may come with any body.
    statuses = [None, None, 200, 201, 202, 204, 299, 304, 500, 502, 503]
    if not processed:
        statuses += [400, 404, 409, 418, 429]
    return {"path_prefix": prefix, "method": method, "kind": "answer",
            "processed": processed, "answer_status": draw(st.sampled_from(statuses)),
            "headers": headers, "body": body, "body_repeat": repeat, "cut": cut,
            "times": draw(st.sampled_from([1, 1, 2, None])), "_shape": shape}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    server = SandboxServer(tmp_path_factory.mktemp("fuzz-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()
        for line in STATS.lines():
            print("\n" + line)


@pytest.fixture
def no_waits(monkeypatch):
    """The HTTP layer's retry decisions as they are (a Retry-After is read), without their
    waits."""
    init = VendorHttp.__init__

    def fast(self, *args, **kwargs):
        async def sleep(seconds: float) -> None:
            return None
        init(self, *args, **{**kwargs, "sleep": sleep})
    monkeypatch.setattr(VendorHttp, "__init__", fast)


def footprint(sandbox: SandboxServer, vendor: str) -> tuple[int, list]:
    """(what the vendor holds that a send leaves: deliveries or campaigns, duplicates)."""
    if vendor in ("octopush", "connectly"):
        summary = sandbox.get(f"/_sandbox/{vendor}/deliveries").json()
        return summary["total"], summary["duplicates"]
    if vendor == "email-campaigns":
        return sandbox.get("/_sandbox/email-campaigns/stats").json()["campaigns"], []
    return len(sandbox.get("/_sandbox/scheduled-campaigns/campaigns").json()["campaigns"]), []


def fresh(sandbox, vendor, tmp_path_factory, monkeypatch):
    """A workspace of `vendor`'s manifests on a new sandbox account of its own."""
    n = next(_ids)
    root = tmp_path_factory.mktemp(f"fz{n}")
    _, _, _, env_names = VENDORS[vendor]
    secrets = {key: f"fuzz{n}{key}" for key in env_names}
    if vendor == "octopush":
        secrets["api_login"] = f"fuzz{n}@octo.example"
    sandbox.add_account(vendor, **secrets)
    for _, _, _, names in VENDORS.values():
        for name in names.values():
            monkeypatch.setenv(name, f"unused-{name}")
    for key, name in env_names.items():
        monkeypatch.setenv(name, secrets[key])
    ws = workspace(root, sandbox.url, vendor, None)
    config = ws / "campaignctl.yaml"  # time enough to read a huge answer
    config.write_text(config.read_text().replace("timeout: 0.4", "timeout: 20"))
    return ws


@pytest.fixture(scope="module")
def reference() -> dict[str, int]:
    """vendor -> what a fault-free apply leaves at the vendor (filled on first use)."""
    return {}


def clean(out: str) -> bool:
    return "internal error" not in out and "Traceback" not in out


@pytest.mark.parametrize("vendor", sorted(REQUESTS))
def test_every_apply_against_odd_answers_ends_cleanly_and_sends_once(
        vendor, sandbox, reference, tmp_path_factory, capsys, no_waits):
    mp = pytest.MonkeyPatch()
    try:
        if vendor not in reference:
            if vendor in ("octopush", "connectly"):
                sandbox.delete(f"/_sandbox/{vendor}/deliveries")
            before = footprint(sandbox, vendor)[0]
            ws = fresh(sandbox, vendor, tmp_path_factory, mp)
            code, out = cli_in_process(capsys, "apply", str(ws), "--env", "production",
                                       "--auto-approve")
            assert code == 0, out
            reference[vendor] = footprint(sandbox, vendor)[0] - before
            assert reference[vendor] > 0
    finally:
        mp.undo()

    @settings(FUZZ, max_examples=EXAMPLES)
    @given(rule=answers(vendor))
    def check(rule):
        mp = pytest.MonkeyPatch()
        try:
            shape = f"{rule.pop('_shape')} {rule['answer_status'] or 'real'}"
            size = len((rule["body"] or "").encode()) * rule["body_repeat"]
            if vendor in ("octopush", "connectly"):
                sandbox.delete(f"/_sandbox/{vendor}/deliveries")
            before = footprint(sandbox, vendor)[0]
            ws = fresh(sandbox, vendor, tmp_path_factory, mp)
            sandbox.post("/_sandbox/faults", {"seed": 1, "rules": [rule]})
            started = time.perf_counter()
            try:
                code, out = cli_in_process(capsys, "apply", str(ws), "--env", "production",
                                           "--auto-approve")
            finally:
                sandbox.post("/_sandbox/faults", {"rules": []})
            STATS.record(vendor, shape, size, time.perf_counter() - started)
            assert code in (0, 1) and clean(out), (rule, out[-3000:])
            code, again = cli_in_process(capsys, "apply", str(ws), "--env", "production",
                                         "--auto-approve")
            assert code in (0, 1) and clean(again), (rule, again[-3000:])
            total, duplicates = footprint(sandbox, vendor)
            assert duplicates == [], (rule, out[-2000:], again[-2000:])
            assert total - before <= reference[vendor], (rule, out[-2000:], again[-2000:])
        finally:
            mp.undo()

    check()
