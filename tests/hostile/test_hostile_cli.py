"""Issue 18's hostile and malformed workspaces through the command line: `validate`,
`plan` and `apply` each end in exit 1 with `file:line:col: message` errors, no traceback,
nothing from outside the workspace, and no request to any vendor.

Every case runs in-process on the click entry point (fast); the escape routes and a few
of the worst cases also run through the real console script. Wall times and memory are
measured by benchmarks/hostile_inputs.py, not asserted here."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.cases import BY_NAME, CANARY, CASES, copy_example, point_at

from reconciler.cli import main

POSITIONED = re.compile(r"^\S.*?:\d+:\d+: \S", re.M)


@pytest.fixture
def listener():
    """A loopback port that accepts nothing: any vendor call would connect to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def build(tmp_path: Path, name: str, listener: socket.socket | None = None) -> Path:
    ws = copy_example(tmp_path / "ws")
    if listener is not None:
        point_at(ws, f"http://127.0.0.1:{listener.getsockname()[1]}")
    BY_NAME[name].build(ws)
    return ws


def argv(command: str, ws: Path) -> list[str]:
    return [command, str(ws), *(["--auto-approve"] if command == "apply" else [])]


def check_output(name: str, code: int, output: str) -> None:
    case = BY_NAME[name]
    assert code == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert CANARY not in output, output
    assert case.where in output and case.says in output, output
    if case.position:
        assert POSITIONED.search(output), output
    for line in output.splitlines():  # one `where: message` line per problem
        assert re.match(r"^\S+(:\d+:\d+)?: \S|^\d+ errors?\.$", line), line


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("name", [c.param for c in CASES])
def test_every_case_fails_cleanly_before_any_vendor_call(tmp_path, capsys, listener, name,
                                                         command, monkeypatch):
    monkeypatch.setenv("CANARY_VARIABLE", CANARY)
    ws = build(tmp_path, name, listener)
    with pytest.raises(SystemExit) as exit_:
        main(argv(command, ws))
    captured = capsys.readouterr()
    check_output(name, exit_.value.code, captured.out + captured.err)
    assert connections(listener) == 0


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("campaignctl")
    exe = str(script) if script.exists() else shutil.which("campaignctl")
    env = {**os.environ, "NO_COLOR": "1", "CANARY_VARIABLE": CANARY, "MAIL_API_TOKEN": CANARY}
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


ESCAPES = ["dotdot", "absolute", "symlink_out", "proc_environ", "fifo_csv",
           "symlink_manifest_out", "device_manifest"]


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_routes_through_the_console_script(tmp_path, name):
    ws = build(tmp_path, name)
    result = console("validate", "ws", cwd=tmp_path)
    output = result.stdout + result.stderr
    check_output(name, result.returncode, output)
    if name in ("dotdot", "absolute", "symlink_out"):
        target = (tmp_path / "outside-secret.csv").read_text()
        assert not any(line in output for line in target.splitlines()), output
    if name == "proc_environ":
        assert "=" not in output.split(": ", 1)[1].replace("=...", ""), output
    assert ws.is_dir()


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("name", ["proc_environ", "billion_laughs", "type_list",
                                  "http_base_url"])
def test_plan_and_apply_through_the_console_script(tmp_path, listener, name, command):
    ws = build(tmp_path, name, listener)
    result = console(*argv(command, Path("ws")), cwd=tmp_path)
    check_output(name, result.returncode, result.stdout + result.stderr)
    assert connections(listener) == 0
    assert not (ws / ".campaignctl" / "sandbox").exists()


def test_plain_http_to_a_remote_host_needs_allow_insecure_http_and_is_a_plan_warning(
        tmp_path, capsys):
    ws = build(tmp_path, "http_base_url")
    with pytest.raises(SystemExit):
        main(["validate", str(ws)])
    assert "campaignctl.yaml:8:15: provider mail: base_url is plain http://" in (
        capsys.readouterr().err)
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(
        "base_url: http://api.example.com", "base_url: http://api.example.com\n"
                                            "    allow_insecure_http: true"))
    from reconciler.api.pipeline import load_valid
    from reconciler.engine.contract import RunContext, RunOptions
    from reconciler.engine.planner import insecure_http_warnings, open_session
    from reconciler.state.backend import open_store
    from reconciler.vendors import provider_factories

    loaded = load_valid(ws)
    session = open_session(RunContext(loaded, open_store(loaded.config), RunOptions(),
                                      vendors=provider_factories()))
    try:
        warnings = insecure_http_warnings(session)
    finally:
        session.ctx.store.close()
    assert [(w.op, w.address) for w in warnings] == [("warn", "Account/mail")]
    assert "unencrypted" in warnings[0].reason


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(tmp_path, capsys,
                                                                      monkeypatch):
    import reconciler.api.planning

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(reconciler.api.planning, "validate_directory", broken)
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "internal error (KeyError)" in err and "--debug" in err
    for args in (["--debug", "validate", str(tmp_path)], ["validate", str(tmp_path), "--debug"]):
        with pytest.raises(SystemExit):
            main(args)
        assert "Traceback" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # each run starts without it
        main(["validate", str(tmp_path)])
    assert "Traceback" not in capsys.readouterr().err
