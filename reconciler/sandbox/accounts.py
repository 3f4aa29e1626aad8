"""The sandbox's vendor accounts: which credentials each emulator accepts, and which
account (and so which store) a request's credentials open.

An account is named by its identity (the token or API key alone, for vendors that take
one credential; the login or business id for vendors that take an id and a key) and is
opened by its secret. Every vendor has the built-in account whose credentials are all
`sandbox` (what a `base_url: sandbox` account with none configured sends). More accounts:

  POST /_sandbox/accounts {"vendor": "octopush",
                           "credentials": {"api_login": "ops", "api_key": "k-1"}}
  GET  /_sandbox/accounts  -> {"accounts": [{"vendor", "account"}]} (never the secrets)

Registered accounts persist in `<data_dir>/accounts.json`. The in-process sandbox is also
handed the credentials of the workspace's account that uses it (`build_app(accounts=...)`),
held in memory only. Any other credential is refused with the vendor's 401.

Each emulator names its credentials in its `CREDENTIALS`: (identity, secret) field names,
or a single name used as both.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BUILT_IN = "sandbox"
_lock = threading.Lock()


def account_id(vendor: str, identity: str) -> str:
    """A store's folder name: the identity may be a secret, so it is hashed."""
    return hashlib.sha256(f"{vendor}\0{identity}".encode()).hexdigest()[:16]


class Accounts:
    def __init__(self, data_dir: Path, credentials: dict[str, tuple[str, ...]],
                 given: Iterable[tuple[str, dict[str, str]]] = ()):
        """`credentials`: vendor -> its CREDENTIALS; `given`: (vendor, credentials) the
        in-process sandbox accepts besides the built-in and the registered accounts."""
        self.file = Path(data_dir) / "accounts.json"
        self.fields = credentials
        self.memory: dict[str, dict[str, set[str]]] = {}
        self._cache: tuple[tuple[int, int] | None, dict[str, dict[str, set[str]]]] = (None, {})
        for vendor, creds in given:
            self._add(self.memory, vendor, creds)

    def _pair(self, vendor: str, creds: dict[str, Any]) -> tuple[str, str]:
        if vendor not in self.fields:
            raise ValueError(f"unknown vendor {vendor!r} (one of {', '.join(self.fields)})")
        names = self.fields[vendor]
        values = [creds.get(n) for n in names]
        if not all(isinstance(v, str) and v for v in values) or set(creds) != set(names):
            raise ValueError(f"{vendor} credentials are {', '.join(names)} (non-empty strings)")
        return values[0], values[-1]

    def _add(self, table: dict[str, dict[str, set[str]]], vendor: str,
             creds: dict[str, Any]) -> None:
        identity, secret = self._pair(vendor, creds)
        table.setdefault(vendor, {}).setdefault(identity, set()).add(secret)

    def _registered(self) -> dict[str, dict[str, set[str]]]:
        """What accounts.json holds (re-read only when it changed: another process, such
        as a served sandbox and a test, may register accounts)."""
        try:
            stat = self.file.stat()
            mtime = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return {}
        if mtime != self._cache[0]:
            try:
                data = json.loads(self.file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            self._cache = (mtime, {v: {i: set(s) for i, s in ids.items()}
                                   for v, ids in data.items()})
        return self._cache[1]

    def register(self, vendor: str, creds: dict[str, Any]) -> str:
        with _lock:
            table = {v: {i: set(s) for i, s in ids.items()}
                     for v, ids in self._registered().items()}
            self._add(table, vendor, creds)
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self.file.write_text(json.dumps(
                {v: {i: sorted(s) for i, s in ids.items()} for v, ids in table.items()}),
                encoding="utf-8")
        return account_id(vendor, self._pair(vendor, creds)[0])

    def open(self, vendor: str, identity: str, secret: str) -> str | None:
        """The account id these credentials open, or None (the emulator answers 401)."""
        if not identity or not secret:
            return None
        if identity == BUILT_IN and secret == BUILT_IN:
            return account_id(vendor, identity)
        for table in (self.memory, self._registered()):
            if secret in table.get(vendor, {}).get(identity, ()):
                return account_id(vendor, identity)
        return None

    def routes(self) -> list[Route]:
        async def add(request: Request) -> Response:
            try:
                body = await request.json()
                acct = self.register(body["vendor"], body["credentials"])
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                message = str(exc) if isinstance(exc, ValueError) and not isinstance(
                    exc, json.JSONDecodeError) else (
                    'body must be JSON {"vendor": ..., "credentials": {...}}')
                return JSONResponse({"message": message}, 400)
            return JSONResponse({"vendor": body["vendor"], "account": acct}, 201)

        async def listing(request: Request) -> Response:
            table = self._registered()
            return JSONResponse({"accounts": [
                {"vendor": v, "account": account_id(v, i)}
                for v, ids in sorted(table.items()) for i in sorted(ids)]})

        return [Route("/_sandbox/accounts", add, methods=["POST"]),
                Route("/_sandbox/accounts", listing, methods=["GET"])]
