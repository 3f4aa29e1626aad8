import asyncio
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from reconciler.errors import OutcomeUnknown
from reconciler.providers.octopush.client import OctopushClient
from reconciler.sandbox.app import build_app
from reconciler.secrets import Secret

URL = "http://sandbox.invalid"
ACCOUNTS = [("octopush", {"api_login": "login", "api_key": "key-123456"})]
SMS_PATH = "/v1/public/sms-campaign/send"
PAYLOAD = {"text": "Promo STOP au 30101", "purpose": "wholesale",
           "recipients": [{"phone_number": "+33612345678"}, {"phone_number": "+33698765432"}]}


def rule(kind, **extra):
    return {"path_prefix": SMS_PATH, "method": "POST", "kind": kind, **extra}


class Sandbox:
    """Drives one sandbox (in-process transport, or a real URL) from sync tests."""

    def __init__(self, transport=None, url=URL):
        self.transport, self.url = transport, url

    def raw(self, method, path, **kwargs):
        async def main():
            async with httpx.AsyncClient(transport=self.transport, base_url=self.url) as c:
                return await c.request(method, path, **kwargs)
        return asyncio.run(main())

    def faults(self, *rules, seed=0):
        response = self.raw("POST", "/_sandbox/faults", json={"seed": seed, "rules": rules})
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, payload=PAYLOAD):
        sleeps = []

        async def sleep(seconds):
            sleeps.append(seconds)

        async def main():
            async with OctopushClient(self.url, Secret("login"), Secret("key-123456"),
                                      transport=self.transport, sleep=sleep,
                                      timeout=10) as client:
                try:
                    return await client.send_sms_campaign(payload), client.http.calls
                except OutcomeUnknown as exc:
                    return exc, client.http.calls
        return asyncio.run(main())

    def delivered(self):
        return self.raw("GET", "/_sandbox/octopush/deliveries").json()["total"]

    def journal(self, **params):
        return self.raw("GET", "/_sandbox/requests", params=params).json()

    def fired(self):
        return self.raw("GET", "/_sandbox/faults").json()["fired"]


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(httpx.ASGITransport(app=build_app(tmp_path, ACCOUNTS)))


def test_control_routes_validate_persist_and_clear(tmp_path, sandbox):
    bad = sandbox.raw("POST", "/_sandbox/faults", json={"rules": [{"kind": "explode"}]})
    assert bad.status_code == 400
    assert sandbox.raw("POST", "/_sandbox/faults",
                       json={"rules": [rule("error_500", probability=2)]}).status_code == 400
    sandbox.faults(rule("error_500"), seed=3)
    # A new app on the same data dir (the next CLI run) sees the same faults.
    other = Sandbox(httpx.ASGITransport(app=build_app(tmp_path, ACCOUNTS)))
    assert other.raw("GET", "/_sandbox/faults").json()["rules"][0]["kind"] == "error_500"
    assert isinstance(other.send()[0], OutcomeUnknown)
    assert sandbox.fired()["error_500"] == 1
    cleared = sandbox.raw("DELETE", "/_sandbox/faults").json()
    assert cleared["rules"] == [] and sum(cleared["fired"].values()) == 0
    assert sandbox.send()[0]["number_of_contacts"] == 2


def test_error_500_is_not_processed_and_outcome_unknown(sandbox):
    sandbox.faults(rule("error_500"))
    result, calls = sandbox.send()
    assert isinstance(result, OutcomeUnknown) and "HTTP 500" in str(result)
    assert len(calls) == 1 and sandbox.delivered() == 0
    assert sandbox.journal() == [
        {**sandbox.journal()[0], "method": "POST", "path": SMS_PATH, "status": 500,
         "fault": "error_500"}]


def test_rate_limit_429_not_processed_then_retried(sandbox):
    sandbox.faults(rule("rate_limit_429", times=2))
    result, calls = sandbox.send()
    assert result["number_of_contacts"] == 2
    assert len(calls) == 3
    assert sandbox.delivered() == 2
    assert [(e["status"], e["fault"]) for e in sandbox.journal()] == [
        (429, "rate_limit_429"), (429, "rate_limit_429"), (200, None)]
    assert sandbox.fired()["rate_limit_429"] == 2


def test_drop_before_is_not_processed(sandbox):
    sandbox.faults(rule("drop_before"))
    result, calls = sandbox.send()
    assert isinstance(result, OutcomeUnknown) and "RemoteProtocolError" in str(result)
    assert len(calls) == 1 and sandbox.delivered() == 0
    assert [(e["status"], e["fault"]) for e in sandbox.journal()] == [(None, "drop_before")]


def test_lose_response_is_processed_and_committed(sandbox):
    sandbox.faults(rule("lose_response"))
    result, calls = sandbox.send()
    assert isinstance(result, OutcomeUnknown)
    assert len(calls) == 1 and sandbox.delivered() == 2
    assert [(e["status"], e["fault"]) for e in sandbox.journal()] == [(200, "lose_response")]
    assert "key-123456" not in str(result)


def test_latency_delays_then_processes_and_combines(sandbox):
    sandbox.faults(rule("latency", seconds=0.3))
    started = time.monotonic()
    assert sandbox.send()[0]["number_of_contacts"] == 2
    assert time.monotonic() - started >= 0.3
    sandbox.faults(rule("latency", seconds=0.1), rule("lose_response"))
    assert isinstance(sandbox.send()[0], OutcomeUnknown)
    assert sandbox.fired()["latency"] == 1 and sandbox.fired()["lose_response"] == 1
    assert sandbox.delivered() == 4
    assert sandbox.journal()[-1]["latency"] == 0.1


def test_rules_match_path_and_method_and_respect_times(sandbox):
    sandbox.faults(rule("error_500", times=1), {"path_prefix": "/v1/public/email",
                                                "kind": "drop_before"})
    assert isinstance(sandbox.send()[0], OutcomeUnknown)
    assert sandbox.send()[0]["number_of_contacts"] == 2  # times exhausted
    assert sandbox.raw("GET", SMS_PATH).status_code == 405  # other method: no fault
    assert sandbox.journal(method="get")[0]["fault"] is None
    state = sandbox.raw("GET", "/_sandbox/faults").json()
    assert [r["fired"] for r in state["rules"]] == [1, 0]


def test_seeded_probability_is_reproducible(tmp_path):
    def pattern(seed):
        box = Sandbox(httpx.ASGITransport(app=build_app(tmp_path, ACCOUNTS)))
        box.faults(rule("error_500", probability=0.5), seed=seed)
        sim = {**PAYLOAD, "simulation_mode": True}
        out = []
        for i in range(16):
            if i == 8:  # a new app half-way (next CLI run) continues the same sequence
                box = Sandbox(httpx.ASGITransport(app=build_app(tmp_path, ACCOUNTS)))
            out.append(isinstance(box.send(sim)[0], OutcomeUnknown))
        return out

    first = pattern(11)
    assert first == pattern(11)
    assert 0 < sum(first) < 16
    assert first != pattern(12)


def test_journal_lists_vendor_requests_only_and_clears(sandbox):
    sandbox.send()
    sandbox.delivered()
    sandbox.raw("POST", "/v1/businesses/b/send/campaigns", json=[])
    entries = sandbox.journal()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", SMS_PATH, 200), ("POST", "/v1/businesses/b/send/campaigns", 401)]
    assert len(sandbox.journal(path_prefix="/v1/public")) == 1
    assert sandbox.raw("DELETE", "/_sandbox/requests").status_code == 204
    assert sandbox.journal() == []


# -- over real HTTP ---------------------------------------------------------------------


@contextmanager
def served(app):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # log_level critical: the injected disconnects are logged by uvicorn as app errors.
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_faults_over_real_http(tmp_path):
    with served(build_app(tmp_path, ACCOUNTS)) as url:
        box = Sandbox(url=url)

        box.faults(rule("drop_before"))
        result, calls = box.send()
        assert isinstance(result, OutcomeUnknown), result
        assert len(calls) == 1 and box.delivered() == 0

        box.faults(rule("lose_response"))
        result, calls = box.send()
        assert isinstance(result, OutcomeUnknown), result
        assert len(calls) == 1 and box.delivered() == 2

        box.faults(rule("error_500"))
        assert isinstance(box.send()[0], OutcomeUnknown)
        box.faults(rule("rate_limit_429", times=1))
        assert box.send()[0]["number_of_contacts"] == 2
        assert box.delivered() == 4

        assert [(e["status"], e["fault"]) for e in box.journal()] == [
            (None, "drop_before"), (200, "lose_response"), (500, "error_500"),
            (429, "rate_limit_429"), (200, None)]
