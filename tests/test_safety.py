"""Safety gates: thresholds stop an unsafe plan unless --force; prevent_destroy refuses
deletes and replaces, even after the manifest itself is removed."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write_workspace

from reconciler.config import SafetyConfig
from reconciler.engine.actions import Action
from reconciler.engine.plan import Plan
from reconciler.engine.safety import protect, violations

CONFIG = """
providers:
  mail:
    type: email-campaigns
    base_url: sandbox
safety:
  max_delete_percent: 25
  max_update_percent: 50
  min_existing: 10
"""


def sender(name: str, prevent_destroy: bool = False) -> str:
    life = "lifecycle:\n  prevent_destroy: true\n" if prevent_destroy else ""
    return (f"kind: Sender\nname: {name}\nprovider: mail\n{life}"
            f"spec:\n  email: {name}@acme.example\n")


def senders_workspace(root: Path, names: list[str], protected: tuple[str, ...] = ()) -> Path:
    files = {"campaignctl.yaml": CONFIG}
    for n in names:
        files[f"{n}.yaml"] = sender(n, n in protected)
    return write_workspace(root, files)


def _plan(ops: list[str]) -> Plan:
    return Plan([Action(op, "Sender", f"s{i}", "mail", "why") for i, op in enumerate(ops)],
                "f" * 64, "d" * 64)


def test_thresholds_name_the_setting_value_and_what_the_plan_does():
    config = SafetyConfig(max_delete_percent=25, max_update_percent=50, min_existing=10)
    found = violations(_plan(["delete"] * 4 + ["update"] * 6), 10, config)
    assert [str(v) for v in found] == [
        "plan deletes 4 of 10 managed resources (40%); safety.max_delete_percent is 25. "
        "Re-run with --force to allow it.",
        "plan updates or replaces 6 of 10 managed resources (60%); safety.max_update_percent "
        "is 50. Re-run with --force to allow it."]
    assert violations(_plan(["delete"] * 2 + ["update"] * 5), 10, config) == []
    assert violations(_plan(["delete"] * 9), 9, config) == []  # below min_existing
    assert violations(_plan(["replace"] * 6), 10, config)[0].setting == "max_update_percent"


def test_apply_stops_beyond_the_delete_threshold_without_force(tmp_path):
    names = [f"s{i:02d}" for i in range(10)]
    ws = senders_workspace(tmp_path / "ws", names)
    r = run_cli("apply", str(ws), "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    for n in names[:4]:
        (ws / f"{n}.yaml").unlink()

    r = run_cli("plan", str(ws))
    assert "Safety: plan deletes 4 of 10 managed resources (40%)" in r.stdout

    r = run_cli("apply", str(ws), "--auto-approve")
    assert r.returncode == 1
    assert ("plan deletes 4 of 10 managed resources (40%); safety.max_delete_percent is 25. "
            "Re-run with --force to allow it.") in r.stderr
    assert "4 to delete" in run_cli("plan", str(ws)).stdout  # nothing was deleted

    r = run_cli("apply", str(ws), "--auto-approve", "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 done" in r.stdout


def test_prevent_destroy_refuses_delete_even_after_the_manifest_is_removed(tmp_path):
    ws = senders_workspace(tmp_path / "ws", ["keep", "other"], protected=("keep",))
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    (ws / "keep.yaml").unlink()
    r = run_cli("plan", str(ws), "--detailed-exitcode")
    assert r.returncode == 1  # a refusal fails the plan (never 0, never 2)
    assert "refuse Sender/keep" in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("Refused: 1 action will not be applied")
    assert "lifecycle.prevent_destroy was set when it was last applied" in r.stdout

    # Allow it: put the manifest back without the flag, apply, then remove it.
    (ws / "keep.yaml").write_text(sender("keep"))
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    (ws / "keep.yaml").unlink()
    r = run_cli("plan", str(ws))
    assert "- delete Sender/keep" in r.stdout


class _Ws:
    def __init__(self, protected: set[str]):
        self.protected = protected

    def get(self, kind, name):
        class R:
            class lifecycle:
                prevent_destroy = name in self.protected
        return R


def test_protect_turns_replace_and_delete_into_refusals():
    actions = [Action("replace", "Campaign", "a", "mail", "start changed"),
               Action("delete", "Sender", "b", "mail", "gone"),
               Action("update", "Sender", "a2", "mail", "x"),
               Action("delete", "Sender", "c", "mail", "gone")]
    out = protect(actions, _Ws({"a", "b", "a2"}))
    assert [a.op for a in out] == ["refuse", "refuse", "update", "delete"]
    assert "lifecycle.prevent_destroy is set: refusing to replace it (start changed)" in out[0].reason
    assert not any(a.is_change for a in out[:2])
