"""Per-recipient values: `${contact.COLUMN}` in a Campaign's variables, with
`| default("...")`: checked against the groups' columns, counted in the plan, refused when
someone would get an empty value, and sent as each recipient's own value."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import run_cli, sandbox_accounts, write_workspace

from reconciler.contacts import Contact
from reconciler.personalize import count, fill, references, templates

sys.path.insert(0, str(Path(__file__).parent.parent / "octopush"))


def test_fill_takes_the_contact_value_then_the_default():
    ann = Contact(phone="+33612345678", first_name="Ann")
    nobody = Contact(phone="+33612345679")
    t = 'Hi ${contact.first_name | default("there")}!'
    assert fill(t, ann) == ("Hi Ann!", "value")
    assert fill(t, nobody) == ("Hi there!", "default")
    assert fill("${contact.first_name}", nobody) == ("", "empty")
    assert fill("$${contact.first_name}", ann) == ("${contact.first_name}", "value")
    assert references("${var.x} ${each.key}") == []  # load-time references are not contacts
    assert templates({"promo": "SPRING", "name": "${contact.last_name}"}) == {
        "name": "${contact.last_name}"}


def test_count_per_variable():
    class R:
        def __init__(self, address, **kw):
            self.address, self.contact = address, Contact(phone=address, **kw)
    people = [R("+1", first_name="A"), R("+2"), R("+3", last_name="C")]
    uses = count({"fn": '${contact.first_name | default("you")}',
                  "ln": "${contact.last_name}", "promo": "X"}, people)
    assert {k: u.to_dict() for k, u in uses.items()} == {
        "fn": {"no_value": 2, "defaulted": 2, "empty": 0},
        "ln": {"no_value": 2, "defaulted": 0, "empty": 2}}


def phones(n: int) -> list[str]:
    return [f"+1415555{1000 + i:04d}" for i in range(n)]


def connectly_ws(root: Path, url: str, variables: str, rows: list[tuple[str, str]],
                 header: str = "phone,first_name") -> Path:
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
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: all
            provider: wa
            spec: {{file: all.csv}}
            ---
            kind: Campaign
            name: hello
            provider: wa
            spec:
              sender: num
              contact_groups: [all]
              send_at: now
              purpose: transactional
              variables: {variables}
              connectly: {{campaign_version: "1"}}
            """,
    })
    (root / "all.csv").write_text(header + "\n" + "".join(f"{p},{n}\n" for p, n in rows))
    return root


def test_validate_checks_each_column_against_the_groups(tmp_path):
    ws = connectly_ws(tmp_path / "ws", "sandbox",
                      '{greet: "${contact.last_name}", city: "${contact.city}", '
                      'bad: "${contact first_name}"}', [("+14155551000", "Ann")])
    r = run_cli("validate", str(ws))
    assert r.returncode == 1, r.stdout
    err = r.stderr
    assert "wa.yaml:19:22: Campaign/hello: variables.greet" in err  # at the variable
    assert ("Campaign/hello: variables.greet: no contact group of the campaign has a "
            "column 'last_name' (all)") in err
    assert "variables.city: no contact has a column 'city'" in err
    assert "variables.bad: write a contact value as ${contact.COLUMN}" in err
    assert "Traceback" not in err

    ok = connectly_ws(tmp_path / "ok", "sandbox",
                      '{greet: "Hi ${contact.first_name}"}', [("+14155551000", "Ann")])
    r = run_cli("validate", str(ok))
    assert r.returncode == 0, r.stdout + r.stderr


def test_each_recipient_gets_their_own_value_and_an_empty_one_stops_the_plan(
        tmp_path, sandbox_server):
    rows = [(p, f"Name{i}") for i, p in enumerate(phones(4))] + [(phones(6)[5], "")]
    ws = sandbox_accounts(connectly_ws(tmp_path / "ws", sandbox_server.url,
                                       '{name: "${contact.first_name}", promo: SPRING}', rows))
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert ("variables.name: 1 recipient would get an empty value (no value for first_name, "
            "no default): +141…05") in plan.stdout, plan.stdout
    assert "--show-contacts shows the recipients" in plan.stdout
    assert phones(6)[5] not in plan.stdout  # masked
    shown = run_cli("plan", str(ws), "--show-contacts")
    assert phones(6)[5] in shown.stdout
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 1
    assert sandbox_server.get("/_sandbox/connectly/entries").json() == []

    manifest = ws / "wa.yaml"
    manifest.write_text(manifest.read_text().replace(
        '"${contact.first_name}"', '"${contact.first_name | default(\\"there\\")}"'))
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "variables.name: 1 recipient with no value, 1 given the default" in plan.stdout
    assert """sample: 'name=<first_name or "there">, promo=SPRING""" in plan.stdout, plan.stdout
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    got = {e["client"]: e["variables"] for e in
           sandbox_server.get("/_sandbox/connectly/entries").json()}
    assert got == {**{p: {"name": f"Name{i}", "promo": "SPRING", "first_name": f"Name{i}"}
                      for i, p in enumerate(phones(4))},
                   phones(6)[5]: {"name": "there", "promo": "SPRING"}}
    assert "No changes" in run_cli("plan", str(ws)).stdout

    # A changed value of someone already sent is not a new send; a new template is a new
    # content, refused once sent (a sent campaign's content is immutable).
    (ws / "all.csv").write_text("phone,first_name\n" + "".join(
        f"{p},Other{i}\n" for i, p in enumerate(phones(4))))
    assert "No changes" in run_cli("plan", str(ws)).stdout
    manifest.write_text(manifest.read_text().replace('\\"there\\"', '\\"friend\\"'))
    changed = run_cli("plan", str(ws))
    assert "content changed after" in changed.stdout, changed.stdout


def test_octopush_recipients_carry_their_own_values(tmp_path, monkeypatch):
    """Octopush: `variables` fill each recipient's first_name / param1..5 from the
    contact, with the default where it has none; what the vendor receives per recipient."""
    import json

    import httpx
    from test_octopush_provider import workspace as sms_workspace

    import reconciler.providers.base as base
    from reconciler import api

    bodies = []

    def handle(request):
        body = json.loads(request.content)
        bodies.append(body)
        n = len(body["recipients"])
        return httpx.Response(200, json={"sms_ticket": "sms_x", "number_of_contacts": n,
                                         "total_cost": 0.05 * n, "number_of_sms_needed": n})
    t = httpx.MockTransport(handle)
    monkeypatch.setattr(base, "resolve", lambda url, *_: (url, t))
    ws = sms_workspace(tmp_path / "ws", url="https://octopush.invalid")
    manifest = ws / "m.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  timezone: Europe/Paris\n",
        "  timezone: Europe/Paris\n"
        "  variables: {param2: '${contact.first_name | default(\"client\")}'}\n"))
    result = api.plan(ws)
    (send,) = [a for a in result.plan.actions if a.op == "send"]
    assert send.data["variables"] == {"param2": {"no_value": 1, "defaulted": 1, "empty": 0}}
    assert api.apply(ws).result.ok
    got = {r["phone_number"]: r for r in bodies[0]["recipients"]}
    assert got["+33610000001"] == {"phone_number": "+33610000001", "first_name": "Ada",
                                   "param1": "gold", "param2": "Ada"}
    assert got["+33610000003"] == {"phone_number": "+33610000003", "param2": "client"}
