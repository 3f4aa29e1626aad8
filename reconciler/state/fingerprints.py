"""Credential fingerprints: which origin each credential value has been pinned to.

An account's origin pin (reconciler/state/pins.py) does not follow its credential: a pull
request could add an account, or rename one, that reuses the production token with its
own base_url. So an apply also pins each credential value to the origin it was sent to,
under a keyed fingerprint: HMAC-SHA256 of the value with a random salt of this state
(meta key `credential_salt`, made on first use). Never the value, never a plain hash: a
copy of the fingerprints alone cannot confirm a guessed token. Each record is the meta key
`credential_fingerprint:<hex>`, its value the origins the value may go to, each with the
account and credential key that pinned it there (usually one; a value a vendor accepts at
two origins, e.g. two regions, is pinned to each by `state pin`); the meta table is copied whole by `state migrate`, salt included, so the
fingerprints stay valid in the new state.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

from reconciler.errors import CampaignctlError

SALT_KEY = "credential_salt"
META_PREFIX = "credential_fingerprint:"
SALT_BYTES = 32


@dataclass(frozen=True)
class CredentialPin:
    """Where a credential value may be sent, and which account's key pinned it there."""

    origin: str
    account: str
    key: str


def salt_of(store, create: bool = False) -> bytes | None:
    """This state's salt; None when it has none (no fingerprint was ever recorded), unless
    `create` (an apply or `state pin`, holding the lock) makes it."""
    raw = store.get_meta(SALT_KEY)
    if raw is None and create:
        raw = secrets.token_hex(SALT_BYTES)
        store.set_meta(SALT_KEY, raw)
    return bytes.fromhex(raw) if raw is not None else None


def fingerprint(salt: bytes, value: str) -> str:
    """The keyed fingerprint of one credential value (hex)."""
    return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()


def credential_pins(store) -> dict[str, list[CredentialPin]]:
    """fingerprint -> its pins (one per origin), in this state."""
    rows = store.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                         (META_PREFIX + "%",)).fetchall()
    found = {}
    for key, value in rows:
        try:
            found[key[len(META_PREFIX):]] = [CredentialPin(**pin) for pin in
                                             json.loads(value)["origins"]]
        except (ValueError, TypeError, KeyError):
            raise CampaignctlError(f"the state's meta key {key[:len(META_PREFIX) + 12]}... is "
                                   "not a credential pin record (was the state edited?)") from None
    return found


def record(store, fp: str, pins: list[CredentialPin]) -> None:
    store.set_meta(META_PREFIX + fp, json.dumps({"origins": [asdict(p) for p in pins]},
                                                sort_keys=True))
