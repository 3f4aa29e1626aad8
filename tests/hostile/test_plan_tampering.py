"""Issue 32: a saved plan cannot be retargeted or edited. The plan job signs `plan -o FILE`
with its state's key; a pull request's author, who can edit the file but not read the
state, cannot make `apply` accept anything else.

The example workspace: staging on the in-process sandbox (SQLite state), production on a
second sandbox over real HTTP with its state in PostgreSQL. Both states have signed a plan,
so both hold a key. Every edit is generated from the real saved staging plan (each
top-level field, each action, each summary and campaign entry) and must be refused by
`apply` with 0 vendor requests in either environment."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from conftest import (
    EXAMPLE_ENV,
    SandboxServer,
    cli_in_process,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)

from reconciler.engine.signing import PlanKey, signature

STRUCTURAL = ("not a campaignctl plan file", "plan format_version", "malformed plan file",
              "does not exist here")
SIGNATURE_REFUSALS = ("was edited after it was saved", "signed with another key",
                      "holds no plan signing key")


@pytest.fixture(scope="module")
def signed(tmp_path_factory, postgres_server):
    """(workspace, production's environment, the production sandbox, staging's signed plan
    file)."""
    root = tmp_path_factory.mktemp("tampering")
    server = SandboxServer(root / "sandbox-data").start()
    try:
        ws = example_on_real_accounts(root / "ws", server.url, postgres=True)
        prod = {name: f"canary-{name.lower()}-5e1f" for name in (
            "MAIL_API_TOKEN", "OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY", "CONNECTLY_API_KEY",
            "SCHED_API_KEY")}
        prod |= {"CONNECTLY_BUSINESS_ID": "biz-prod",
                 "CAMPAIGNCTL_STATE_DSN": postgres_server.new_database()}
        sandbox_accounts(ws, prod, EXAMPLE_ENV)
        staging_plan = root / "staging.json"
        r = run_cli("plan", str(ws), "--env", "staging", "-o", str(staging_plan))
        assert r.returncode == 0, r.stderr
        r = run_cli("plan", str(ws), "--env", "production", "-o", str(root / "prod.json"),
                    env=prod)
        assert r.returncode == 0, r.stderr
        yield ws, prod, server, staging_plan
    finally:
        server.stop()


def vendor_requests(ws: Path, server: SandboxServer) -> tuple[int, int]:
    """(staging's in-process sandbox, production's sandbox): requests received so far."""
    journal = ws / ".campaignctl" / "staging" / "sandbox" / "requests.jsonl"
    staging = len(journal.read_text().splitlines()) if journal.exists() else 0
    return staging, len(server.get("/_sandbox/requests").json())


def first_leaf(node, path=()):
    if isinstance(node, dict) and node:
        key = next(iter(node))
        return first_leaf(node[key], (*path, key))
    if isinstance(node, list) and node:
        return first_leaf(node[0], (*path, 0))
    return path, node


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return "production" if value == "staging" else value + "x"
    return "x" if value is None else ["x"]


def edits(doc: dict) -> list[tuple[str, dict]]:
    """(what was edited, the edited document): every top-level field, every action (a
    different field of each in turn, its reason too), every summary and campaign entry."""
    out = []

    def edit(label: str, path: tuple) -> None:
        node = doc
        for step in path:
            node = node[step]
        inner, value = first_leaf(node)
        bad = copy.deepcopy(doc)
        target = bad
        full = (*path, *inner)
        for step in full[:-1]:
            target = target[step]
        target[full[-1]] = changed(value)
        out.append((label, bad))

    for key in doc:
        if key != "signature":
            edit(key, (key,))
    for i, action in enumerate(doc["actions"]):
        fields = sorted(action)
        edit(f"actions[{i}].reason", ("actions", i, "reason"))
        edit(f"actions[{i}].{fields[i % len(fields)]}", ("actions", i, fields[i % len(fields)]))
    for key in doc["summary"]:
        edit(f"summary.{key}", ("summary", key))
    for i in range(len(doc["campaigns"])):
        for key in ("recipients", "send_at", "estimated_cost"):
            edit(f"campaigns[{i}].{key}", ("campaigns", i, key))
    for key in doc.get("policy") or {}:
        edit(f"policy.{key}", ("policy", key))
    forged = copy.deepcopy(doc)
    forged["safety"] = ["SAFETY: reviewed and approved by security"]
    out.append(("safety text", forged))
    return out


def test_a_staging_plan_edited_to_say_production_is_refused(signed, tmp_path):
    """The issue's example, through the console script."""
    ws, prod, server, staging_plan = signed
    doc = json.loads(staging_plan.read_text())
    assert doc["environment"] == "staging"
    edited = tmp_path / "plan.json"
    edited.write_text(staging_plan.read_text().replace('"environment": "staging"',
                                                       '"environment": "production"'))
    before = vendor_requests(ws, server)

    r = run_cli("apply", str(edited), env=prod)
    assert r.returncode == 1
    assert "signed with another key" in r.stderr and "Nothing was changed" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    # Re-signed by someone without the state's key: refused the same way.
    doc["environment"] = "production"
    doc["signature"] = signature(doc, PlanKey(os.urandom(32)))
    edited.write_text(json.dumps(doc))
    r = run_cli("apply", str(edited), env=prod)
    assert r.returncode == 1 and "signed with another key" in r.stderr
    doc["signature"]["key_id"] = json.loads(staging_plan.read_text())["signature"]["key_id"]
    edited.write_text(json.dumps(doc))
    r = run_cli("apply", str(edited), "--env", "production", env=prod)
    assert r.returncode == 1 and "signed with another key" in r.stderr
    assert vendor_requests(ws, server) == before

    # show: flagged on its first line, with or without the state to check it against.
    r = run_cli("show", str(edited))
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].startswith("UNVERIFIED PLAN: its signature was not checked")
    assert r.stdout.splitlines()[2] == "Environment: production"
    r = run_cli("show", str(edited), "--workspace", str(ws), env=prod)
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith(f"NOT VERIFIED: {edited} was signed with another")
    r = run_cli("show", str(staging_plan), "--workspace", str(ws))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0].startswith(
        f"Verified: signed with the key of the state of {ws} (environment staging), key "
        f"{json.loads(staging_plan.read_text())['signature']['key_id']}")
    r = run_cli("show", str(staging_plan), "--workspace", str(ws), "--format", "json")
    assert r.returncode == 0 and r.stderr.startswith("Verified: ")
    assert json.loads(r.stdout)["environment"] == "staging"
    assert vendor_requests(ws, server) == before


def test_every_edit_of_a_real_saved_plan_is_refused_with_no_vendor_request(
        signed, tmp_path, capsys, monkeypatch):
    ws, prod, server, staging_plan = signed
    for name, value in prod.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_COLOR", "1")
    doc = json.loads(staging_plan.read_text())
    cases = edits(doc)
    assert len(cases) >= 14 + 2 * len(doc["actions"]) + len(doc["summary"])
    # Pointed at another workspace (a copy whose state never signed anything).
    other = tmp_path / "other"
    other.mkdir()
    (other / "campaignctl.yaml").write_text((ws / "campaignctl.yaml").read_text())
    moved = copy.deepcopy(doc)
    moved["workspace"]["directory"] = str(other)
    cases.append(("workspace.directory -> another workspace", moved))

    before = vendor_requests(ws, server)
    by_signature, others = 0, []
    for label, bad in cases:
        path = tmp_path / "edited.json"
        path.write_text(json.dumps(bad, indent=2))
        code, out = cli_in_process(capsys, "apply", str(path))
        assert code == 1, (label, out)
        assert out.startswith("Error: ") and "Traceback" not in out, (label, out)
        if any(s in out for s in SIGNATURE_REFUSALS):
            by_signature += 1
        else:
            others.append((label, out.strip()))
    # Only edits that no longer make a plan file at all (kind, format_version, a value of
    # another type or form than the format's schema says, a directory that does not exist)
    # are refused before the signature is checked; the rest, by the signature.
    assert all(any(why in out for why in STRUCTURAL) for _, out in others), others
    assert by_signature >= 0.6 * len(cases), others
    assert vendor_requests(ws, server) == before

    # The same file, unedited, applies: the harness sees the requests when there are some.
    code, out = cli_in_process(capsys, "apply", str(staging_plan))
    assert code == 0, out
    assert vendor_requests(ws, server)[0] > before[0]
    assert vendor_requests(ws, server)[1] == before[1]
