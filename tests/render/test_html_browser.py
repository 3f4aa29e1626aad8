"""The HTML plan report in a real browser (headless Chromium): the example workspace's
report renders at the window's size and is not blank, its DOM holds every send's subject,
each locale's body, the SMS facts and the SVG timelines, and opening it makes no network
request, even when the plan's values try to (a remote image in a body, markup in a
subject). Chromium's own network log is the witness, with a control page proving that it
sees a page's requests."""

from __future__ import annotations

import html
import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser import open_page, read_png
from conftest import run_cli

from reconciler.engine.actions import Action, SendSummary
from reconciler.engine.plan import Plan
from reconciler.render.html import render_html

# a headless browser per test: left out of `-m "not slow"` (the README's quick check)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "campaigns"
SCREENSHOT = ROOT / "docs" / "plan-report.png"
SIZE = (1280, 4300)
WHITE = (255, 255, 255)


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records every path asked of it."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_example_report_shows_every_send_and_fetches_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGNCTL_ENV", "staging")
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    plan_file = tmp_path / "plan.json"
    r = run_cli("plan", str(ws), "-o", str(plan_file), "--format", "html")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<!DOCTYPE html>")
    shown = run_cli("show", str(plan_file), "--format", "html")
    assert shown.returncode == 0 and shown.stdout.startswith("<!DOCTYPE html>"), shown.stderr
    assert "UNVERIFIED PLAN" in shown.stderr and "UNVERIFIED PLAN" in shown.stdout
    assert shown.stdout.replace('<p class="verdict">', "").count("<p") == r.stdout.count("<p")
    report = tmp_path / "report.html"  # the plan's own (the README's screenshot: no verdict)
    report.write_text(r.stdout, encoding="utf-8")

    png = tmp_path / "report.png"
    opened = open_page(report, tmp_path, screenshot=png, size=SIZE)
    assert opened.page_requests == []

    image = read_png(png)
    assert (image.width, image.height) == SIZE
    assert len(image.colours()) > 50  # text, tables, the timeline's colours
    assert image.share_not(WHITE) > 0.05
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.copyfile(png, SCREENSHOT)

    dom = opened.dom
    doc = json.loads(plan_file.read_text())
    sends = [a for a in doc["actions"] if a["content"]]
    assert len(sends) == 6
    for a in sends:
        assert f'id="send-{a["address"].replace("/", "-")}"' in dom
        if a["content"].get("subject"):
            assert html.escape(a["content"]["subject"], quote=False) in dom
    for locale in ("en", "es", "fr"):  # the for_each's bodies, whole, side by side
        body = (ws / "messages" / f"spring-{locale}.txt").read_text(encoding="utf-8")
        for line in filter(None, map(str.strip, body.splitlines())):
            assert html.escape(line, quote=False) in dom, (locale, line)
    assert dom.count('class="locales"') == 1 and "for_each: en, es, fr" in dom
    # one timeline per send whose audience by zone is known (not the vendor-held list)
    zoned = [a for a in doc["actions"] if (a.get("data") or {}).get("zones")]
    assert dom.count('<svg xmlns="http://www.w3.org/2000/svg" class="timeline"') == len(zoned)
    assert "GSM-7" in dom and "<strong>1 segment</strong> per recipient" in dom
    assert "&lt;phone&gt;" in dom and "A**" in dom  # masked samples, never a number
    for contact in ("+33612345678", "+14155550123", "ann@example.com", "Ada<"):
        assert contact not in dom
    assert "0.17 EUR" in dom


def _hostile_plan(url: str) -> Plan:
    body = (f'<p>Hello</p><img src="{url}/body.png"><link rel="stylesheet" href="{url}/x.css">'
            f'<script>fetch("{url}/script")</script><iframe src="{url}/frame"></iframe>'
            f'<p style="background:url({url}/bg.png)">x</p>"></iframe><img src="{url}/out.png">')
    send = SendSummary(recipients=2, batches=1, send_at="2027-04-01T10:00:00+02:00",
                       timezone="Europe/Paris", estimated_messages=2)
    return Plan(actions=[
        Action("send", "Campaign", "evil", "mail", f'<img src="{url}/reason.png">', send=send,
               content={"channel": "email", "sender": f'<img src="{url}/sender.png">',
                        "subject": f'"><img src="{url}/subject.png">', "body": body,
                        "body_format": "html"},
               data={"zones": {f'<img src="{url}/zone.png">': 2},
                     "policy": {"pack_version": "x", "purpose": "marketing", "rules": []}}),
        Action("send", "Campaign", "evil-sms", "sms", "not sent yet", send=send,
               content={"channel": "sms", "text": f'<img src="{url}/sms.png"> \u202e€ 😀'},
               data={"zones": {"Europe/Paris": 2}}),
    ], live_fingerprint="f" * 64, workspace_digest="d" * 64)


def test_values_that_would_fetch_fetch_nothing(tmp_path, listener):
    url, seen = listener
    report = tmp_path / "report.html"
    report.write_text(render_html(_hostile_plan(url)), encoding="utf-8")
    opened = open_page(report, tmp_path / "b", screenshot=tmp_path / "shot.png")
    assert opened.page_requests == [] and seen == []
    dom = opened.dom
    assert "<img" not in dom.split("<iframe", 1)[0].split("</style>", 1)[1]
    assert '&lt;img src="' in dom or "&lt;img src=&quot;" in dom  # shown as text
    assert "\u202e" not in dom and "\\u202e" in dom


def test_the_network_log_sees_a_page_request(tmp_path, listener):
    """The control: a page that does load an image is caught by the same check."""
    url, seen = listener
    page = tmp_path / "control.html"
    page.write_text(f'<!DOCTYPE html><p>control</p><img src="{url}/control.png">')
    opened = open_page(page, tmp_path / "b")
    assert opened.page_requests == [f"{url}/control.png"] and seen == ["/control.png"]
