"""`campaignctl validate` as a user sees it: every mistake at once, each as
`path:line:col: message`, exit 1, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import EMAIL_POLICY, run_cli, write_workspace

from reconciler.schema import write_schemas
from reconciler.validate import errors_of, validate_directory

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")

CONFIG = """
providers:
  mail:
    type: email-campaigns
    base_url: sandbox
  sched:
    type: scheduled-campaigns
    base_url: sandbox
  sms:
    type: octopush
    base_url: sandbox
""" + EMAIL_POLICY


def diagnostics(stderr: str) -> list[tuple[str, int, int, str]]:
    out = []
    for line in stderr.splitlines():
        m = LINE.match(line)
        if m:
            out.append((m["path"], int(m["line"]), int(m["col"]), m["msg"]))
    return out


def test_ten_mistakes_in_three_files_are_all_reported_with_positions(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        # 1. YAML syntax: an indented key where a value was expected.
        "broken.yaml": """
            kind: Sender
            name: broken
              provider: mail
            """,
        "contacts.yaml": """
            kind: ContactGroup
            name: vip
            provider: mail
            spec:
              contacts:
                - {email: not-an-email}
                - {email: ok@example.com}
            ---
            kind: Mailbox
            name: what
            provider: mail
            ---
            kind: Sender
            name: newsletter
            provider: mail
            spec:
              email: news@example.com
              colour: blue
            """,
        "campaigns.yaml": """
            kind: Message
            name: hello
            provider: sched
            spec: {channel: email, subject: Hi, body: "Hello. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
            ---
            kind: Campaign
            name: launch
            provider: mail
            spec:
              message: welcome
              sender: newsletter
              contact_groups: [vip]
              send_at: 2027-03-20T09:00:00-04:00
              timezone: America/New_York
            ---
            kind: Campaign
            name: launch
            provider: mail
            spec:
              send_at: 2027-03-20T09:00:00-04:00
            ---
            kind: Campaign
            name: later
            provider: mail
            spec:
              send_at: 2027-03-20T09:00:00
            ---
            kind: Campaign
            name: elsewhere
            provider: ghost
            ---
            kind: Campaign
            name: typed
            provider: mail
            spec:
              contact_groups: vip
            """,
    })
    result = run_cli("validate", str(ws))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    found = diagnostics(result.stderr)
    w = str(ws)
    expected = [
        (f"{w}/broken.yaml", 3, 11, "YAML syntax error"),
        (f"{w}/campaigns.yaml", 3, 11, "Message/hello: a scheduled-campaigns account cannot "
                                       "hold a Message"),
        (f"{w}/campaigns.yaml", 10, 12, "Campaign/launch: Message 'welcome' does not exist"),
        (f"{w}/campaigns.yaml", 17, 7, "duplicate Campaign name 'launch' (first defined at "
                                       f"{w}/campaigns.yaml:6:1)"),
        (f"{w}/campaigns.yaml", 26, 12, "spec.send_at: 2027-03-20T09:00:00 has no UTC offset"),
        (f"{w}/campaigns.yaml", 30, 11, "Campaign/elsewhere: provider account 'ghost' is not "
                                        "in campaignctl.yaml"),
        (f"{w}/campaigns.yaml", 36, 19, "spec.contact_groups: Input should be a valid list"),
        (f"{w}/contacts.yaml", 6, 15, "spec.contacts.0.email: invalid email: An email address "
                                       "must have an @-sign"),
        (f"{w}/contacts.yaml", 9, 7, "unknown kind 'Mailbox'"),
        (f"{w}/contacts.yaml", 18, 3, "unknown field `colour` in spec"),
    ]
    assert len(found) == 10, result.stderr
    for (path, line, col, msg), (fpath, fline, fcol, fmsg) in zip(expected, found, strict=True):
        assert (fpath, fline, fcol) == (path, line, col), fmsg
        assert fmsg.startswith(msg), (fmsg, msg)
    assert result.stderr.rstrip().endswith("10 errors.")


def test_vendor_rule_mistakes_point_at_their_values(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "m.yaml": """
            kind: Sender
            name: texter
            provider: sms
            spec: {sms_id: "AB"}
            ---
            kind: ContactGroup
            name: phones
            provider: sms
            spec:
              contacts:
                - phone: "+1555"
                - phone: "0612345678"
            ---
            kind: Message
            name: long
            provider: sms
            spec:
              channel: sms
              text: "LONG"
            ---
            kind: Campaign
            name: paris
            provider: mail
            spec:
              message: m
              sender: s
              contact_groups: [g]
              send_at: 2027-03-20T09:00:00+01:00
              timezone: Europe/Paris
            ---
            kind: Campaign
            name: fallback
            provider: mail
            spec:
              message: m
              sender: s
              contact_groups: [g]
              send_at: 2027-11-07T01:30:00-04:00
              timezone: America/New_York
            ---
            kind: Message
            name: m
            provider: mail
            spec: {channel: email, subject: S, body: "B. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
            ---
            kind: Sender
            name: s
            provider: mail
            spec: {email: s@example.com}
            ---
            kind: ContactGroup
            name: g
            provider: mail
            spec: {contacts: [{email: a@example.com}]}
            """.replace("LONG", "x" * 1225),
    })
    result = run_cli("validate", str(ws))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    found = {(line, col): msg for _, line, col, msg in diagnostics(result.stderr)}
    assert "SMS sender 'AB' must be 3 to 11" in found[(4, 16)]
    # Contacts are named by position, never printed (they would land in CI logs).
    assert "invalid phone number: not a valid number" in found[(11, 14)]
    assert "invalid phone number: not in E.164" in found[(12, 14)]
    assert "+1555" not in result.stderr and "0612345678" not in result.stderr
    assert "SMS text is 1225 characters; the limit is 1224" in found[(19, 9)]
    assert "time zone 'Europe/Paris' is not accepted by email-campaigns" in found[(29, 13)]
    assert "happens twice in America/New_York" in found[(38, 12)]
    assert len(found) == 6, result.stderr


def test_missing_variable_names_file_line_and_variable_but_no_secret(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": """
            providers:
              mail:
                type: email-campaigns
                base_url: https://mail.example.com
                token: ${MAIL_TOKEN}
              sched:
                type: scheduled-campaigns
                base_url: https://sched.example.com
                api_key: "${SCHED_KEY}"
            """,
    })
    # validate is offline and needs no secret; plan (and apply) report the missing one.
    assert run_cli("validate", str(ws), env={"MAIL_TOKEN": "s3cr3t-mail-token"}).returncode == 0
    result = run_cli("plan", str(ws), env={"MAIL_TOKEN": "s3cr3t-mail-token"})
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{ws}/campaignctl.yaml:9:14: environment variable SCHED_KEY is not set")
    assert "s3cr3t-mail-token" not in result.stdout + result.stderr


def test_secrets_never_print(tmp_path):
    from reconciler.config import load_config
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": """
        providers:
          mail: {type: email-campaigns, base_url: "https://x.example", token: "${T}"}
        """})
    config, errors = load_config(ws, env={"T": "tok-123456"})
    assert not errors
    account = config.accounts["mail"]
    shown = repr(account) + str(account.credentials) + f"{account.credentials['token']}"
    assert "tok-123456" not in shown
    assert account.credentials["token"].reveal() == "tok-123456"


def test_sms_segment_notes_for_multi_segment_texts(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "m.yaml": """
            kind: Message
            name: short
            provider: sms
            spec: {channel: sms, text: "Hello"}
            ---
            kind: Message
            name: gsm
            provider: sms
            spec: {channel: sms, text: "GSM"}
            ---
            kind: Message
            name: emoji
            provider: sms
            spec: {channel: sms, text: "UCS"}
            """.replace("GSM", "a" * 161).replace("UCS", "é" + "ü" * 60 + "😀" * 5),
    })
    result = run_cli("validate", str(ws))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if "segments" in line]
    assert notes == [
        f"{ws}/m.yaml:9:28: note: Message/gsm: SMS text needs 2 segments (GSM-7, 161 units)",
        f"{ws}/m.yaml:14:28: note: Message/emoji: SMS text needs 2 segments (UCS-2, 71 units)",
    ]


def test_csv_problems_point_at_csv_lines(tmp_path):
    rows = ["email,first_name"] + [f"u{i}@example.com,U{i}" for i in range(5)]
    rows[3] = "broken-address,X"
    rows.append("a@b.example,too,many")
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "g.yaml": "kind: ContactGroup\nname: g\nprovider: mail\nspec: {file: people.csv}\n",
        "people.csv": "\n".join(rows) + "\n",
        "h.yaml": "kind: ContactGroup\nname: h\nprovider: mail\nspec: {file: nothere.csv}\n",
    })
    _, diags = validate_directory(ws)
    shown = [str(d) for d in errors_of(diags)]
    assert shown == [
        f"{ws}/h.yaml:4:14: ContactGroup/h: CSV file 'nothere.csv' not found next to the manifest",
        f"{ws}/people.csv:4:1: row 4: invalid email: An email address must have an @-sign.",
        f"{ws}/people.csv:7:17: expected 2 columns (as the header), got 3",  # the extra value
    ]


def test_example_workspace_is_valid_and_manifests_name_their_schema():
    result = run_cli("validate", str(ROOT / "campaigns"), "--env", "staging")
    assert result.returncode == 0, result.stderr
    manifests = [p for p in (ROOT / "campaigns").glob("*.yaml") if p.name != "campaignctl.yaml"]
    assert manifests
    for path in manifests:
        text = path.read_text()
        for doc in text.split("\n---\n"):
            first = doc.lstrip("-\n").splitlines()[0]
            m = re.match(r"# yaml-language-server: \$schema=\.\./schemas/(\w+)\.schema\.json$",
                         first)
            assert m, f"{path.name}: first line is {first!r}"
            kind = re.search(r"^kind: (\w+)$", doc, re.M)[1]
            assert m[1] == kind.lower()
            assert (ROOT / "schemas" / f"{m[1]}.schema.json").is_file()


def test_committed_schemas_match_the_models(tmp_path):
    fresh = write_schemas(tmp_path / "schemas")
    committed = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert committed == sorted(p.name for p in fresh)
    for path in fresh:
        assert (ROOT / "schemas" / path.name).read_text() == path.read_text(), (
            f"schemas/{path.name} is stale: run `campaignctl schema`")


def test_schema_command_writes_json_schemas_that_accept_the_examples(tmp_path):
    import jsonschema
    from ruamel.yaml import YAML

    result = run_cli("schema", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    schemas = {p.name.split(".")[0]: json.loads(p.read_text())
               for p in (tmp_path / "out").glob("*.schema.json")}
    assert set(schemas) == {"sender", "optoutlist", "contactgroup", "message", "campaign",
                            "campaignctl", "plan", "apply-events", "status", "validate",
                            "ledger-unknown"}
    yaml = YAML(typ="safe")
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp",
                                     type(yaml.constructor).construct_yaml_str)
    for path in (ROOT / "campaigns").glob("*.yaml"):
        for doc in yaml.load_all(path.read_text()):
            schema = "campaignctl" if path.name == "campaignctl.yaml" else doc["kind"].lower()
            jsonschema.validate(doc, schemas[schema])
    bad = {"kind": "Sender", "name": "x", "provider": "mail", "spec": {"colour": 1}}
    try:
        jsonschema.validate(bad, schemas["sender"])
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema accepts an unknown field")
