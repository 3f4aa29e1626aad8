"""Connectly throughput: send a campaign to N recipients (default 100,000) and report
requests/s as a share of the API's 200 req/s limit, plus how many 429s were answered.

    python benchmarks/connectly_throughput.py [--recipients 100000] [--batch-size 100]
                                              [--vendor sandbox|fast] [--latency 0.03]
                                              [--state sqlite|postgres]

--vendor sandbox (default): `campaignctl apply` in a subprocess against the sandbox served
  over real HTTP (uvicorn). On a small machine the emulator itself (one Python process
  validating and recording every entry) is then the bottleneck, not the client.
--vendor fast: the same apply pipeline in-process against a stub vendor that costs nothing
  but `--latency` seconds per request and enforces the documented limit exactly (more than
  200 requests in any 1-second window -> 429, Retry-After: 1): this measures the client's
  pacing (limiter + concurrency + ledger group commits).
--state postgres: the send ledger in a throwaway PostgreSQL server on 127.0.0.1 (the
  machine's initdb/pg_ctl), as a team or CI would run it; default: SQLite in the workspace.

It also reports how many batches were in flight at once (recorded in the ledger before
their request and finished after it), from the ledger's own timestamps: what a SIGKILL at
the worst moment would leave unknown.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SandboxServer, run_cli, sandbox_accounts, write_workspace  # noqa: E402
from pgstate import state_backend, state_config  # noqa: E402

LIMIT = 200.0


def phones(n: int) -> list[str]:
    return [f"+336{10000000 + i:08d}" for i in range(n)]


def workspace(root: Path, url: str, n: int, batch_size: int, state: str) -> Path:
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              wa:
                type: connectly
                base_url: {url}
                business_id: ${{TEST_BUSINESS}}
                api_key: ${{TEST_KEY}}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: wa-sender
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: everyone
            provider: wa
            spec: {{file: everyone.csv}}
            ---
            kind: Campaign
            name: big-launch
            provider: wa
            spec:
              sender: wa-sender
              contact_groups: [everyone]
              send_at: now
              purpose: transactional  # any hour of the day
              connectly: {{campaign_version: "1", batch_size: {batch_size}}}
            """,
    })
    with open(root / "campaignctl.yaml", "a") as config:
        config.write(state_config(state))
    (root / "everyone.csv").write_text(
        "phone,first_name\n" + "".join(f"{p},Friend{i}\n" for i, p in enumerate(phones(n))))
    return sandbox_accounts(root)  # the sandbox holds the account, as a vendor would


def in_flight(ws: Path) -> dict:
    """Most batches (and recipients) in flight at once, from the ledger's timestamps."""
    from reconciler.config import load_config
    from reconciler.state.backend import open_store

    config, _ = load_config(ws)
    store = open_store(config)
    try:
        rows = store.execute("SELECT created_at, updated_at, recipients FROM ledger_batches"
                             ).fetchall()
    finally:
        store.close()
    events = sorted([(c, 1, n) for c, _, n in rows] + [(u, -1, -n) for _, u, n in rows])
    batches = recipients = peak_b = peak_r = 0
    for _, step, n in events:
        batches += step
        recipients += n
        peak_b, peak_r = max(peak_b, batches), max(peak_r, recipients)
    return {"in_flight_batches": peak_b, "in_flight_recipients": peak_r}


def measure(server: SandboxServer, ws: Path) -> dict:
    httpx.delete(server.url + "/_sandbox/requests")
    started = time.monotonic()
    done = run_cli("apply", str(ws), "--auto-approve", timeout=900)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"apply failed:\n{done.stdout}\n{done.stderr}")
    journal = httpx.get(server.url + "/_sandbox/requests",
                        params={"path_prefix": "/v1/businesses/"}, timeout=60).json()
    times = sorted(e["time"] for e in journal)
    delivered = httpx.get(server.url + "/_sandbox/connectly/deliveries", timeout=60).json()
    return {**_window_stats(times),
            "status_429": sum(1 for e in journal if e["status"] == 429),
            "apply_seconds": elapsed, "delivered": delivered["total"],
            "duplicates": len(delivered["duplicates"]), **in_flight(ws)}


class FastVendor:
    """A stub Connectly: admission by the emulator's exact sliding window, then `latency`."""

    def __init__(self, latency: float):
        from reconciler.sandbox.connectly import RATE_LIMIT, WINDOW, SlidingWindow

        self.window = SlidingWindow(RATE_LIMIT, WINDOW)
        self.latency = latency
        self.log: list[tuple[float, int]] = []  # (arrival time, status)
        self.delivered: list[str] = []

    def transport(self):
        import asyncio
        import json

        async def handle(request: httpx.Request) -> httpx.Response:
            now = time.time()
            if not self.window.admit("acme"):
                self.log.append((now, 429))
                return httpx.Response(429, headers={"Retry-After": "1"},
                                      json={"code": 8, "message": "Too Many Requests"})
            await asyncio.sleep(self.latency)
            body = json.loads(request.content)
            self.delivered.extend(e["client"] for e in body)
            self.log.append((now, 200))
            return httpx.Response(200, json={"data": [
                {"id": f"id{len(self.delivered)}", "client": e["client"],
                 "campaignName": e["campaignName"], "status": "accepted"} for e in body]})

        return httpx.MockTransport(handle)


def measure_fast(ws: Path, latency: float) -> dict:
    import reconciler.providers.base as base
    from reconciler import api

    vendor = FastVendor(latency)
    transport = vendor.transport()
    base.resolve = lambda url, directory: (url, transport)
    started = time.monotonic()
    outcome = api.apply(ws)
    elapsed = time.monotonic() - started
    if not outcome.result or not outcome.result.ok:
        raise SystemExit(f"apply failed: {outcome.result and outcome.result.failed}")
    times = sorted(t for t, _ in vendor.log)
    return {**_window_stats(times), "status_429": sum(1 for _, s in vendor.log if s == 429),
            "apply_seconds": elapsed, "delivered": len(vendor.delivered),
            "duplicates": len(vendor.delivered) - len(set(vendor.delivered)), **in_flight(ws)}


def _window_stats(times: list[float]) -> dict:
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    peak, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        peak = max(peak, i - j + 1)
    return {"requests": len(times), "send_seconds": span,
            "requests_per_second": len(times) / span if span else 0.0, "peak_1s_window": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--vendor", choices=("sandbox", "fast"), default="sandbox")
    parser.add_argument("--latency", type=float, default=0.03,
                        help="fast vendor: seconds per request (network + processing)")
    parser.add_argument("--state", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, state_backend(args.state):
        if args.vendor == "fast":
            ws = workspace(Path(tmp) / "ws", "https://connectly.invalid", args.recipients,
                           args.batch_size, args.state)
            r = measure_fast(ws, args.latency)
        else:
            server = SandboxServer(Path(tmp) / "sandbox").start()
            try:
                ws = workspace(Path(tmp) / "ws", server.url, args.recipients, args.batch_size,
                               args.state)
                r = measure(server, ws)
            finally:
                server.stop()
    print(f"vendor: {args.vendor}, state: {args.state}")
    share = r["requests_per_second"] / LIMIT
    print(f"recipients: {args.recipients}, batch size {args.batch_size}")
    print(f"requests: {r['requests']} in {r['send_seconds']:.2f}s of sending "
          f"(apply took {r['apply_seconds']:.1f}s in all)")
    print(f"throughput: {r['requests_per_second']:.1f} requests/s = {share:.0%} of the "
          f"{LIMIT:.0f} req/s limit; busiest 1-second window: {r['peak_1s_window']} requests")
    print(f"429 responses: {r['status_429']}")
    print(f"delivered: {r['delivered']}, duplicates: {r['duplicates']}")
    print(f"in flight at once (what a crash could leave unknown): at most "
          f"{r['in_flight_batches']} batches ({r['in_flight_recipients']} recipients)")


if __name__ == "__main__":
    main()
