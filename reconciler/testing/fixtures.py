"""The data a vendor plug-in's conformance fixture is made of (its `ConformanceFixture`) and
the helpers to write one, apart from the suite that runs them (conformance.py: pytest, the
CLI, the sandbox): a vendor's plug-in declaration names its fixture, so these stay in the
library layer, importing nothing of the command line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.testing.sandbox import SandboxServer

#: the steps every vendor goes through: create, update, and delete or its equivalent
STEPS = ("create", "update", "delete")
#: a Tuesday morning in Paris: inside every send window
SEND_AT = "2031-01-07T10:00:00+01:00"
WRITES = ("POST", "PUT", "DELETE", "PATCH")
#: what a send-only vendor holds before any send (sandbox_deliveries)
NOTHING_DELIVERED = {"delivered": 0, "people": 0}


@dataclass
class ConformanceFixture:
    type: str
    #: the sandbox account's credentials (the workspace takes them from the environment)
    credentials: dict[str, str]
    #: (method, path prefix) of the call that creates the first object or sends
    write: tuple[str, str]
    #: step -> the workspace's files beside campaignctl.yaml; `{when}` in a manifest is
    #: replaced by a time 20 days ahead
    steps: dict[str, dict[str, str]]
    #: what the vendor holds, in a form to compare: held(server, fixture)
    held: Callable[[SandboxServer, ConformanceFixture], Any]
    #: step -> held() once that step is applied
    expected: dict[str, Any]
    #: a read the plan makes (None: send-only, the plan reads our own ledger)
    read: tuple[str, str] | None = None
    #: steps whose plan has nothing to do (a send-only vendor cannot unsend)
    no_change: tuple[str, ...] = ()
    #: account settings in campaignctl.yaml besides type, base_url and credentials
    settings: dict[str, Any] = field(default_factory=dict)
    #: held() before anything was created or sent
    empty: Any = field(default_factory=list)
    #: credentials that identify the account rather than open it (kept when a wrong
    #: secret is tried)
    identities: tuple[str, ...] = ()

    def config(self, url: str) -> str:
        """campaignctl.yaml: the credentials come from the environment (env_of)."""
        creds = {k: f"${{{env_name(k)}}}" for k in self.credentials}
        body = {"type": self.type, "base_url": url, **creds, **self.settings}
        inline = ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}"
                           for k, v in body.items())
        return f"providers:\n  acct: {{{inline}}}\n"


def env_name(credential: str) -> str:
    return f"CONFORMANCE_{credential.upper()}"


def env_of(credentials: dict[str, str]) -> dict[str, str]:
    return {env_name(k): v for k, v in credentials.items()}


def future(days: int = 20) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def sandbox_deliveries(vendor: str) -> Callable[[SandboxServer, ConformanceFixture], dict]:
    """held() of a send-only vendor whose emulator counts its deliveries at
    GET /_sandbox/<vendor>/deliveries ({"total", "distinct_recipients"})."""
    def held(server: SandboxServer, fixture: ConformanceFixture) -> dict[str, int]:
        summary = server.get(f"/_sandbox/{vendor}/deliveries").json()
        return {"delivered": summary["total"], "people": summary["distinct_recipients"]}
    return held


def phones(n: int) -> str:
    """A contact CSV of n French mobile numbers."""
    return "phone,first_name\n" + "".join(f"+3361234{i:04d},P{i}\n" for i in range(n))
