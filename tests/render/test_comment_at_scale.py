"""A 2,000-resource workspace (benchmarks/plan_scale.py's: senders, contact groups from
CSV files, messages, campaigns) plus SMS sends, planned against the sandbox: its pull-request
comment fits GitHub's limit and names every send, every Campaign and every Message."""

from __future__ import annotations

import sys
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

from reconciler import api
from reconciler.render.markdown import render_markdown

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import plan_scale  # noqa: E402

SENDS = 40


def add_sms_sends(ws: Path) -> None:
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text() + "  sms:\n    type: octopush\n    base_url: sandbox\n"
                      "    sms_prices: {FR: 0.055}\n")
    docs = ["kind: Sender\nname: acme\nprovider: sms\nspec: {sms_id: ACME}\n",
            "kind: ContactGroup\nname: fr\nprovider: sms\nspec:\n  contacts: ["
            + ", ".join(f"{{phone: '+3361000{i:04d}'}}" for i in range(30)) + "]\n"]
    for i in range(SENDS):
        docs.append(f"kind: Message\nname: sms{i}\nprovider: sms\n"
                    f"spec: {{channel: sms, text: 'Offer {i}: 20% off. STOP au 36111'}}\n")
        docs.append(f"kind: Campaign\nname: sms{i}\nprovider: sms\nspec:\n  message: sms{i}\n"
                    "  sender: acme\n  contact_groups: [fr]\n"
                    "  send_at: 2031-01-07T09:00:00+01:00\n  timezone: Europe/Paris\n"
                    "  octopush: {purpose: wholesale}\n")
    (ws / "sms.yaml").write_text("---\n".join(docs))


def test_a_2000_resource_comment_names_every_send_and_campaign(tmp_path):
    made = plan_scale.generate(tmp_path, 2000, 4000, "sqlite")
    add_sms_sends(tmp_path)
    plan = api.plan(tmp_path).plan
    assert made["resources"] == 2000 and len(plan.actions) > 2000
    md = render_markdown(plan)
    assert len(md) <= 65_536
    html = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    sends = [a for a in plan.actions if a.op == "send"]
    named = [a for a in plan.actions if a.kind in ("Campaign", "Message")]
    assert len(sends) == SENDS and len([a for a in named if a.kind == "Campaign"]) > 800
    for a in sends + named:
        assert f"<code>{a.address}</code>" in html, a.address
    # sends lead the details, in full
    assert html.index("<code>Campaign/sms0</code>") < html.index("<code>Campaign/c0</code>")
    assert "<strong>send</strong> <code>Campaign/sms0</code>" in html
    assert "folded (not shown) 400 ContactGroup actions (400 create)" in html
