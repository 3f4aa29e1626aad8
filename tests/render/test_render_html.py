"""The HTML report's markup, without a browser: every plan value escaped (markup, control
characters, bidi overrides), an HTML body only inside a sandboxed srcdoc frame that gives
back exactly the body, the SMS encoding with the characters that force UCS-2 marked, the
for_each locales side by side, and the timeline's windows and waves where the policy says."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from test_render_escaping import CONTROLS, EVIL, hostile_plan

from reconciler.engine.actions import Action, SendSummary
from reconciler.engine.plan import Plan
from reconciler.render.html import render_html
from reconciler.render.html.timeline import HOUR_W, LABEL_W
from reconciler.render.registry import RenderOptions, render
from reconciler.render.view import PlanView


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser reads them."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == name]


def plan_of(*actions: Action, templates: dict[str, str] | None = None) -> Plan:
    return Plan(actions=list(actions), live_fingerprint="f" * 64, workspace_digest="d" * 64,
                templates=templates or {})


def email(name: str, body: str, fmt: str = "plain_text", subject: str = "Hello",
          **data) -> Action:
    return Action("send", "Campaign", name, "mail", "not sent yet",
                  send=SendSummary(recipients=2, batches=1, send_at="2027-04-01T10:00:00+02:00",
                                   timezone="Europe/Paris", estimated_messages=2),
                  content={"channel": "email", "sender": "news@acme.example",
                           "subject": subject, "body": body, "body_format": fmt},
                  data=data)


def test_every_value_of_a_hostile_plan_is_escaped():
    page = render_html(PlanView(hostile_plan(), safety=[f"too many deletes{EVIL}"]))
    for c in CONTROLS:
        assert c not in page, repr(c)
    assert "\\r\\n+ create Fake/x\\x1b[2J\\u202e" in page  # shown, escaped
    tags = Tags(page)
    assert not tags.named("script") and not tags.named("img") and not tags.named("link")
    assert "too many deletes" in page and "Safety stop" in page


def test_markup_in_values_stays_text_and_the_page_forbids_requests():
    evil = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    page = render_html(plan_of(email(f"c{evil}", "hi", subject=evil)))
    tags = Tags(page)
    assert not tags.named("script") and not tags.named("img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    [csp] = [a["content"] for a in tags.named("meta")
             if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # none: default applies
    assert all(a["href"].startswith("#send-") for a in tags.named("a"))


def test_an_html_body_is_shown_only_in_a_sandboxed_frame_exactly_as_written():
    body = '<p class="x">Tom &amp; Jerry say "hi" \'there\'</p><img src="https://t.example/p.gif">'
    page = render_html(plan_of(email("news", body, fmt="html")))
    tags = Tags(page)
    [frame] = tags.named("iframe")
    assert frame["sandbox"] == ""  # no script, no same origin, no forms, no popups
    assert frame["srcdoc"].endswith(body)  # the parser gives back the body, untouched
    assert "Content-Security-Policy" in frame["srcdoc"] and "default-src 'none'" in frame["srcdoc"]
    assert not tags.named("img")  # the body's image is inside the frame's document only
    assert "1 remote reference (images, styles, links) not loaded here" in page


def test_a_plain_text_body_keeps_its_lines_and_escapes_the_rest():
    page = render_html(plan_of(email("news", "Hello,\n\n<b>20%</b> off\u202e\n")))
    assert '<pre class="body">Hello,\n\n&lt;b&gt;20%&lt;/b&gt; off\\u202e\n</pre>' in page


def sms(text: str) -> Action:
    return Action("send", "Campaign", "flash", "sms", "not sent yet",
                  send=SendSummary(recipients=1, batches=1, send_at="2027-04-01T10:00:00+02:00",
                                   timezone="Europe/Paris", estimated_messages=1),
                  content={"channel": "sms", "sender": "ACME", "text": text})


def test_sms_shows_its_encoding_and_marks_what_forces_ucs2():
    page = render_html(plan_of(sms("Café ok")))
    assert "GSM-7</span> 7 characters, 7 septets, <strong>1 segment</strong>" in page
    assert "<mark" not in page
    text = "Caf\u00e9 \u2615 " + "x" * 63  # 70 characters, one outside GSM-7
    page = render_html(plan_of(sms(text)))
    assert 'UCS-2</span> 70 characters, 70 UTF-16 units, <strong>1 segment</strong>' in page
    assert '<mark title="not in GSM-7: forces UCS-2">\u2615</mark>' in page
    assert "UCS-2 because of: <code>\u2615</code> U+2615" in page
    page = render_html(plan_of(sms(text + "\U0001F600")))  # an emoji: 2 units, 72 > 70
    assert "72 UTF-16 units, <strong>2 segments</strong>" in page


def test_for_each_locales_stand_side_by_side_in_the_comment_s_order():
    actions = [email(f"sale-{k}", f"body {k}", subject=f"subject {k}") for k in ("en", "fr")]
    alone = email("alone", "solo")
    templates = {f"Campaign/sale-{k}": f"Campaign/sale[{k}]" for k in ("en", "fr")}
    page = render_html(plan_of(alone, *actions, templates=templates))
    assert page.count('class="locales"') == 1 and 'style="--n:2"' in page
    assert page.index("Campaign/alone") < page.index("for_each: en, fr")
    locales = page[page.index('class="locales"'):]
    assert locales.index("subject en") < locales.index("subject fr")
    assert locales.index("body en") < locales.index("body fr")


def test_the_timeline_draws_the_windows_in_force_and_a_wave_outside_them():
    late = Action("send", "Campaign", "promo", "whatsapp", "not sent yet",
                  send=SendSummary(recipients=3, batches=1, send_at="2027-03-20T21:30:00-07:00",
                                   timezone="each recipient's own"),
                  content={"channel": "whatsapp", "template": "t version 1"},
                  data={"zones": {"America/Los_Angeles": 3},
                        "policy": {"pack_version": "x", "purpose": "marketing",
                                   "rules": ["us-tcpa"]},
                        "waves": [{"zone": "America/Los_Angeles", "local": "2027-03-20 21:30",
                                   "send_at": "2027-03-20T21:30:00-07:00",
                                   "utc": "2027-03-21T04:30Z", "recipients": 3}]})
    page = render_html(plan_of(late))
    tags = Tags(page)
    [band] = [a for a in tags.named("rect") if a.get("class") == "open"]
    # us-tcpa: 08:00-21:00 local, every day
    assert float(band["x"]) == LABEL_W + 8 * HOUR_W and float(band["width"]) == 13 * HOUR_W
    [wave] = [a for a in tags.named("g") if a.get("class") in ("wave", "bad")]
    assert wave["class"] == "bad"  # 21:30 is after the window
    [line] = tags.named("line")[-1:]
    assert float(line["x1"]) == LABEL_W + 21.5 * HOUR_W
    assert "closed: us-tcpa" in page
    assert "windows drawn from pack" in page  # the plan named another pack version


def test_show_puts_the_verdict_in_the_report():
    out = render("plan", "html", PlanView(plan_of(sms("hi"))),
                 RenderOptions(verdict="NOT VERIFIED: <b>edited</b>")).stdout
    assert '<p class="verdict">NOT VERIFIED: &lt;b&gt;edited&lt;/b&gt;</p>' in out
    assert re.match(r"<!DOCTYPE html>\n<html lang=\"en\">", out)


def test_what_stops_the_plan_comes_before_the_sends():
    from plans import every_kind_plan

    page = render_html(PlanView(every_kind_plan(), safety=["deletes 40% of the managed "
                                                           "resources (limit 25%)"]))
    first_send = page.index('<h2 id="sends">')
    for marker in ('id="refused"', "Safety stop", 'id="drift"', "Cannot be undone"):
        assert page.index(marker) < first_send, marker
    assert "campaign is completed: a launched campaign is frozen" in page[:first_send]
    assert "ContactGroup/vip" in page[page.index('id="drift"'):first_send]
    # every action, with its details, after the sends
    assert page.index("All 11 actions") > first_send
    assert "opt-outs: +2 -1 -&gt; 9 total" in page


def test_show_prints_one_document_and_the_verdict_on_stderr(tmp_path):
    from conftest import run_cli

    from reconciler.engine.saved import save_plan
    from reconciler.engine.signing import PlanKey

    path = tmp_path / "plan.json"
    save_plan(plan_of(sms("Hi \u2615")), path, tmp_path, [], key=PlanKey(b"k" * 32))
    r = run_cli("show", str(path), "--format", "html")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<!DOCTYPE html>") and r.stdout.rstrip().endswith("</html>")
    assert r.stderr.startswith("UNVERIFIED PLAN") and "UNVERIFIED PLAN" in r.stdout
    assert '<mark title="not in GSM-7: forces UCS-2">\u2615</mark>' in r.stdout
