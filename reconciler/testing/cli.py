"""Run the campaignctl CLI in this process (as `main` does for a user: its error handling,
its exit codes), for tests that make many calls; end-to-end tests run the console script."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace


def campaignctl(*args: str, env: dict[str, str] | None = None) -> SimpleNamespace:
    """(returncode, stdout, stderr) of `campaignctl ARGS`, with `env` set meanwhile."""
    from reconciler.cli import main

    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
