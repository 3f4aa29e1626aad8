"""The saved plan's signature: an HMAC-SHA256 of the whole document (every field `show`
prints and `apply` relies on), keyed with a secret held in the state store.

The plan job can read the state, so it can sign; a pull request's author cannot, so an
edited plan file (another environment, another action, a forged policy line) no longer
verifies. The key is created on first use as the `meta` entry `plan_signing_key` (SQLite
and PostgreSQL alike; `state migrate` copies the meta table whole). It is never printed and
never written to a plan: a plan names it by `key_id`, a digest of the key that tells a plan
made against another state from an edited one."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from reconciler.errors import CampaignctlError

#: the state's meta key holding the signing secret (hex); never shown by `state` commands
META_KEY = "plan_signing_key"
ALGORITHM = "hmac-sha256"
SIGNATURE_FIELD = "signature"
#: domain separation: this key signs plan documents and nothing else
_CONTEXT = b"campaignctl-plan\n"


class UnverifiedPlan(CampaignctlError):
    """A saved plan whose signature does not verify against the state's key."""


@dataclass(frozen=True, repr=False)
class PlanKey:
    secret: bytes
    where: str = ""  # the state it belongs to, for messages (never the secret)

    @property
    def key_id(self) -> str:
        """Names the key in a plan and in messages: a digest, not the key."""
        return hashlib.sha256(b"campaignctl plan key id\n" + self.secret).hexdigest()[:16]

    def __repr__(self) -> str:  # the secret never reaches a log or a traceback
        return f"PlanKey(key_id={self.key_id!r}, where={self.where!r})"


def state_key(store, create: bool) -> PlanKey | None:
    """The state's plan key; created on first use when `create` (`plan -o`), else None
    when the state has none (no plan was ever saved against it)."""
    value = store.get_meta(META_KEY)
    if value is None and create:
        # Two plans saving at once: the first insert wins and both read it back.
        store.execute("INSERT INTO meta VALUES (?,?) ON CONFLICT(key) DO NOTHING",
                      (META_KEY, secrets.token_hex(32)))
        value = store.get_meta(META_KEY)
    if value is None:
        return None
    try:
        secret = bytes.fromhex(value)
    except ValueError:
        secret = b""
    if len(secret) < 32:
        raise CampaignctlError(f"the state at {store.where}: its plan signing key is damaged "
                               f"(meta `{META_KEY}`); delete that entry and plan again")
    return PlanKey(secret, store.where)


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """One byte string per document: sorted keys, no whitespace, ASCII only (every other
    character escaped), and no NaN or infinity. Floats print as Python's shortest
    round-trip form, which a JSON read gives back unchanged."""
    body = {k: v for k, v in doc.items() if k != SIGNATURE_FIELD}
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CampaignctlError(f"the plan document cannot be signed ({exc})") from None
    return _CONTEXT + text.encode("ascii")


def _mac(doc: dict[str, Any], key: PlanKey) -> str:
    return hmac.new(key.secret, canonical_bytes(doc), hashlib.sha256).hexdigest()


def signature(doc: dict[str, Any], key: PlanKey) -> dict[str, str]:
    """The `signature` field of `doc` (a document as JSON reads it back)."""
    return {"algorithm": ALGORITHM, "key_id": key.key_id, "mac": _mac(doc, key)}


def verify(doc: dict[str, Any], key: PlanKey | None, source: str, state: str) -> None:
    """Raise UnverifiedPlan, naming what it can of the reason, unless `doc` carries a
    signature of exactly its content made with `key` (`state` names where the key is)."""
    again = "Plan again against this state (`campaignctl plan -o FILE`) and review that plan."
    sig = doc.get(SIGNATURE_FIELD)
    if sig is None:
        raise UnverifiedPlan(f"{source} is not signed (a `plan --format json` output, or its "
                             "signature was removed): only `campaignctl plan -o FILE` saves a "
                             f"plan that apply accepts. Nothing was changed. {again}")
    if (not isinstance(sig, dict) or sig.get("algorithm") != ALGORITHM
            or not isinstance(sig.get("mac"), str) or not isinstance(sig.get("key_id"), str)):
        raise UnverifiedPlan(f"{source}: its signature is malformed (expected algorithm "
                             f"{ALGORITHM}, key_id and mac). Nothing was changed. {again}")
    if key is None:
        raise UnverifiedPlan(f"{source} was not made against {state}: that state holds no plan "
                             f"signing key yet (the plan's key is {sig['key_id']}). Nothing "
                             f"was changed. {again}")
    if not hmac.compare_digest(sig["key_id"], key.key_id):
        raise UnverifiedPlan(f"{source} was signed with another key ({sig['key_id']}) than "
                             f"{state} holds ({key.key_id}): it was made against another state "
                             "(another workspace or environment), or edited. Nothing was "
                             f"changed. {again}")
    if not hmac.compare_digest(sig["mac"], _mac(doc, key)):
        raise UnverifiedPlan(f"{source} was edited after it was saved: its signature does not "
                             "match its content (any field counts: environment, workspace, "
                             "policy, safety, summary, actions...). Nothing was changed. "
                             + again)
