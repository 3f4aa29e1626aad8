"""Octopush send throughput: a 100,000-recipient SMS campaign applied against the sandbox
served over real HTTP with `--latency` seconds injected into every request, next to the
floor of 200 frames (500 recipients each) sent one after another.

    python benchmarks/octopush_frames.py [--recipients 100000] [--latency 0.02]

Prints the apply's wall, its send window (first to last frame), the frames it sent, the
measured round trip of one frame, and 200 sequential round trips for comparison; checks
that every recipient was delivered exactly once.
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
sys.path.insert(0, str(ROOT / "tests" / "e2e_send"))

from conftest import SandboxServer, run_cli  # noqa: E402
from send_helpers import phones, sms_workspace  # noqa: E402

SMS_PATH = "/v1/public/sms-campaign/send"


def one_frame_round_trip(url: str, n: int = 5) -> float:
    """Median wall of one 500-recipient frame to a fresh campaign (simulation mode: priced
    and validated as a real frame, nothing recorded as delivered)."""
    body = {"text": "Acme: 20% off this weekend. STOP au 36111", "type": "sms_premium",
            "purpose": "wholesale", "sender": "ACME", "simulation_mode": True,
            "recipients": [{"phone_number": p} for p in phones(500, 900_000)]}
    walls = []
    with httpx.Client(base_url=url, headers={"api-login": "login", "api-key": "key-123"},
                      timeout=60) as client:
        for _ in range(n):
            start = time.perf_counter()
            client.post(SMS_PATH, json=body).raise_for_status()
            walls.append(time.perf_counter() - start)
    return sorted(walls)[n // 2]


def send(code: Path | None, recipients: int, latency: float, tmp: Path) -> dict:
    """One apply of the campaign with the code in `code` (default: this tree)."""
    server = SandboxServer(tmp / "sandbox").start()
    try:
        server.post("/_sandbox/faults", {"rules": [
            {"kind": "latency", "seconds": latency}]}).raise_for_status()
        ws = sms_workspace(tmp / "ws", server.url, recipients, send_at="now")
        # An alert (transactional) send: the send windows would refuse marketing at night.
        manifest = ws / "sms.yaml"
        manifest.write_text(manifest.read_text().replace("purpose: wholesale", "purpose: alert"))
        rtt = one_frame_round_trip(server.url)
        httpx.delete(server.url + "/_sandbox/requests")
        start = time.perf_counter()
        done = run_cli("apply", str(ws), "--auto-approve", timeout=1800,
                       env={"PYTHONPATH": str(code)} if code else None)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
        sends = server.get(f"/_sandbox/requests?method=POST&path_prefix={SMS_PATH}").json()
        # The first request is the plan's simulation; the frames follow.
        times = sorted(e["time"] for e in sends if e["status"] == 200)[1:]
        delivered = server.get("/_sandbox/octopush/deliveries").json()
    finally:
        server.stop()
    return {"rtt": rtt, "requests": len(sends), "wall": wall,
            "window": times[-1] - times[0] + rtt if times else 0.0, "delivered": delivered}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    args = parser.parse_args()
    print(f"recipients: {args.recipients:,}; latency {args.latency * 1000:.0f} ms per request")
    runs = [("after", None)] + ([("before", args.before.resolve())] if args.before else [])
    for label, code in runs:
        with tempfile.TemporaryDirectory() as tmp:
            r = send(code, args.recipients, args.latency, Path(tmp))
        frames = r["requests"] - 1  # the plan's one simulation request prices the send
        floor = frames * r["rtt"]
        d = r["delivered"]
        print(f"[{label}] {r['requests']} send requests ({frames} frames + 1 simulation); "
              f"one frame round trip {r['rtt'] * 1000:.0f} ms -> {frames} sequential: "
              f"{floor:.1f} s")
        print(f"    send window {r['window']:.1f} s ({r['window'] / floor:.2f} of sequential); "
              f"apply wall {r['wall']:.1f} s; delivered {d['total']:,} "
              f"(distinct {d['distinct_recipients']:,}, duplicates {len(d['duplicates'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
