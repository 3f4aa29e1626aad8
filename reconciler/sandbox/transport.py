"""How a provider account reaches its API: over the network, or the in-process sandbox."""

from __future__ import annotations

from pathlib import Path

import httpx

SANDBOX = "sandbox"
SANDBOX_URL = "http://sandbox.invalid"


def sandbox_dir(workspace_dir: Path, environment: str | None = None) -> Path:
    """Each environment's sandbox is an account of its own: `.campaignctl/<env>/sandbox`."""
    base = Path(workspace_dir) / ".campaignctl"
    return (base / environment if environment else base) / "sandbox"


def resolve(base_url: str, data_dir: Path, vendor: str = "",
            credentials: dict[str, str] | None = None,
            ) -> tuple[str, httpx.AsyncBaseTransport | None]:
    """(url, transport) for an account. `base_url: sandbox` runs the emulator in-process,
    persisted in `data_dir` (the workspace's `sandbox_dir`); it accepts the account's own
    `credentials` (and the sandbox's built-in and registered accounts), nothing else."""
    if base_url != SANDBOX:
        return base_url, None
    from reconciler.sandbox.app import build_app

    accounts = [(vendor, credentials)] if credentials else []
    return SANDBOX_URL, httpx.ASGITransport(app=build_app(data_dir, accounts))
