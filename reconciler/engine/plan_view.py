"""The plan's view model: one reading of a `Plan` (counts, campaigns, irreversible marks,
drift, what was refused) that the saved plan document (engine/saved.py) and every
renderer (render/) share, so they cannot disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.engine.actions import ORIGIN_LABELS, Action
from reconciler.engine.plan import Plan
from reconciler.money import money
from reconciler.var_overrides import shown
from reconciler.words import plural

# Display order of operations, in summaries and tables.
OP_ORDER = ("create", "update", "replace", "delete", "transition", "send", "adopt", "refuse",
            "warn")
OP_LABELS = {"create": "to create", "update": "to update", "replace": "to replace",
             "delete": "to delete", "transition": "to transition", "send": "to send",
             "adopt": "to adopt", "refuse": "refused", "warn": "warnings"}
# FieldChange names that carry a scheduled send time: the manifest's `send_at` (and the
# spellings of plug-ins that name their own fields).
SEND_TIME_FIELDS = ("send_at", "start", "schedule", "scheduled_at", "send_time")

@dataclass
class CampaignView:
    """What a reviewer needs to know about one campaign in the plan."""

    address: str
    account: str
    op: str
    send_at: str | None  # recipient-facing local time with its zone, "now", or None
    timezone: str | None
    recipients: int | None  # after opt-out suppression; None when the vendor cannot tell
    suppressed: int | None
    batches: int | None
    estimated_messages: int | None
    estimated_cost: float | None
    currency: str | None
    irreversible: bool
    unknown: int = 0  # recipients whose send outcome is unknown (never resent on a guess)
    #: what goes out, from the action's content (engine/content.py): channel, sender,
    #: subject or first line; waves of a local-time send (not in to_dict: the JSON holds
    #: them in the action itself)
    channel: str | None = None
    sender: str | None = None
    what: str | None = None
    waves: int = 0

    @property
    def send_text(self) -> str:
        """When it sends, as a reviewer reads it: "not scheduled" only when the manifest
        has no send time; a campaign listed for its unknown outcomes sends nothing new."""
        if self.send_at:
            return self.send_at
        return "nothing new to send" if self.op == "warn" else "not scheduled"

    @property
    def send_phrase(self) -> str:
        return f"send {self.send_at}" if self.send_at else self.send_text

    @property
    def estimate_text(self) -> str:
        return f"estimate {self.cost_text}" if self.estimated else "no estimate"

    @property
    def recipients_text(self) -> str:
        if self.recipients is None:
            return "not computed"
        out = f"{self.recipients:,}"
        if self.suppressed:
            out += f" ({self.suppressed:,} suppressed by opt-outs)"
        if self.unknown:
            out += f"; outcome unknown for {self.unknown:,} (not resent)"
        return out

    @property
    def estimated(self) -> bool:
        return self.estimated_messages is not None or self.estimated_cost is not None

    @property
    def cost_text(self) -> str:
        if not self.estimated:
            return "not estimated"
        parts = []
        if self.estimated_messages is not None:
            parts.append(plural(self.estimated_messages, "message"))
        if self.estimated_cost is not None:
            parts.append(money(self.estimated_cost, self.currency))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "account": self.account, "op": self.op,
                "send_at": self.send_at, "timezone": self.timezone,
                "recipients": self.recipients, "suppressed": self.suppressed,
                "batches": self.batches, "estimated_messages": self.estimated_messages,
                "estimated_cost": self.estimated_cost, "currency": self.currency,
                "irreversible": self.irreversible, "unknown": self.unknown}


@dataclass
class ActionView:
    action: Action
    template: str | None = None  # the for_each template that produced it, e.g. Campaign/x[fr]
    recipients: list[str] | None = None  # addresses, only with --show-contacts
    vendor_fields: bool = False  # --debug: field changes also show the vendor's names

    @property
    def op(self) -> str:
        return self.action.op

    @property
    def symbol(self) -> str:
        return self.action.symbol

    @property
    def address(self) -> str:
        return self.action.address

    @property
    def irreversible(self) -> bool:
        a = self.action
        return a.irreversible or any(s.irreversible for s in a.sets) or a.op == "send"

    @property
    def origin_label(self) -> str:
        """Which side moved (warnings have none: they change nothing)."""
        return "" if self.op == "warn" else ORIGIN_LABELS[self.action.origin]

    @property
    def drift(self) -> bool:
        """A change that undoes an edit made outside campaignctl."""
        return self.action.origin == "outside" and self.action.is_change

    @property
    def review_lines(self) -> list[str]:
        """What a send's reviewer checks beyond its counts: each per-recipient variable's
        recipients with no value (and how many get its default), the last proof of this
        content."""
        out = []
        for name, n in sorted((self.action.data.get("variables") or {}).items()):
            out.append(f"variables.{name}: {plural(n.get('no_value', 0), 'recipient')} with "
                       f"no value, {n.get('defaulted', 0)} given the default"
                       + (f", {n['empty']} left empty" if n.get("empty") else ""))
        proof = self.action.data.get("proof")
        if proof:
            out.append(f"proof of this content: last sent {proof['at']} to "
                       f"{plural(proof['recipients'], 'recipient')} ({proof['group']})")
        elif proof is not None or self.action.data.get("proof_required"):
            out.append("proof of this content: none sent yet")
        return out

    @property
    def headline(self) -> str:
        verb = self.op if self.symbol == self.op else f"{self.symbol} {self.op}"
        return f"{verb} {self.address} ({self.action.account})"


# engine/fields.py's send_time_text: `2027-03-20 09:00 Europe/Paris (+01:00), 08:00 UTC`
_LOCAL_WITH_OFFSET = re.compile(
    r"(\d{4}-\d\d-\d\d) (\d\d:\d\d(?::\d\d)?)(?: (\S+))? \(([+-]\d\d:\d\d)\), ")


def parse_send_time(value: Any) -> datetime | None:
    """A send time as written in a plan: the manifest's local time, zone and offset, then
    UTC (engine/fields.py), ISO 8601 with an offset, or `YYYY-MM-DD HH:MM ZONE` (a local
    time and its zone). None when it is not a time we can read."""
    if not isinstance(value, str) or not value.strip() or value == "now":
        return None
    text = value.strip()
    local = _LOCAL_WITH_OFFSET.match(text)
    if local:
        day, clock, zone, offset = local.groups()
        try:
            when = datetime.fromisoformat(f"{day}T{clock}{offset}")
            return when.astimezone(ZoneInfo(zone)) if zone else when
        except (ValueError, ZoneInfoNotFoundError):
            return None
    try:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else None
    except ValueError:
        pass
    stamp, _, zone = text.rpartition(" ")
    try:
        naive = datetime.fromisoformat(stamp.strip().replace(" ", "T"))
        return naive.replace(tzinfo=ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):
        return None


def scheduled_times(action: Action) -> list[tuple[str, datetime]]:
    """Every future send this action schedules: (description, time)."""
    out = []
    if action.send and action.send.send_at:
        when = parse_send_time(action.send.send_at)
        if when:
            out.append(("send", when))
    for c in action.changes:
        if c.field in SEND_TIME_FIELDS:
            when = parse_send_time(c.after)
            if when:
                out.append((c.field, when))
    return out


def _campaign(a: Action) -> CampaignView | None:
    if a.kind != "Campaign" and a.send is None:
        return None
    if a.op in ("delete", "refuse", "warn"):
        return None
    s = a.send
    send_at = s.send_at if s else None
    timezone = s.timezone if s else None
    if s is None:
        for c in a.changes:
            if c.field in SEND_TIME_FIELDS and c.after is not None:
                send_at = str(c.after)
    elif send_at is None:
        send_at = "now"
    send_at = send_at or a.data.get("manifest_send_at")  # unchanged, as the manifest says
    return CampaignView(
        address=a.address, account=a.account, op=a.op, send_at=send_at, timezone=timezone,
        recipients=s.recipients if s else None, suppressed=s.suppressed if s else None,
        batches=s.batches if s else None,
        estimated_messages=s.estimated_messages if s else None,
        estimated_cost=s.estimated_cost if s else None, currency=s.currency if s else None,
        irreversible=a.irreversible or a.op == "send", **_content_of(a))


def _content_of(a: Action) -> dict[str, Any]:
    """Channel, sender, subject (or first line of the text) and waves of a campaign."""
    c = a.content or {}
    first = c.get("subject") or next(iter(c.get("first_lines") or []), None) or c.get("text")
    if first is None and c.get("template"):
        first = f"template {c['template']}"
    return {"channel": c.get("channel"), "sender": c.get("sender"),
            "what": str(first).splitlines()[0] if first else None,
            "waves": len(a.data.get("waves") or [])}


@dataclass
class PlanView:
    plan: Plan
    directory: str | None = None
    safety: list[str] = field(default_factory=list)  # what would stop apply without --force
    show_contacts: bool = False
    contacts: dict[str, list[str]] | None = None  # per send, with show_contacts (not saved)
    # --debug: text and Markdown also name each changed field as the vendor calls it (the
    # JSON always has it, in each change's `vendor`)
    vendor_fields: bool = False

    def __post_init__(self) -> None:
        shown = (self.contacts or {}) if self.show_contacts else {}
        self.rows = [ActionView(a, self.plan.templates.get(a.address), shown.get(a.address),
                                self.vendor_fields)
                     for a in self.plan.actions]
        self.campaigns = [c for c in map(_campaign, self.plan.actions) if c is not None]
        self._add_unknown()

    def _add_unknown(self) -> None:
        """Each campaign's recipients of unknown outcome (from its warning), with a row of
        its own when nothing else is planned for it."""
        rows = {c.address: c for c in self.campaigns}
        for a in self.plan.actions:
            n = a.data.get("unknown_recipients") if a.op == "warn" else None
            if not n:
                continue
            row = rows.get(a.address)
            if row is None:
                row = rows[a.address] = CampaignView(
                    address=a.address, account=a.account, op=a.op, send_at=None,
                    timezone=None, recipients=0, suppressed=None, batches=0,
                    estimated_messages=None, estimated_cost=None, currency=None,
                    irreversible=False)
                self.campaigns.append(row)
            row.unknown = n

    @property
    def unknown(self) -> int:
        """Recipients whose outcome is unknown, over every campaign."""
        return sum(c.unknown for c in self.campaigns)

    @property
    def outstanding(self) -> bool:
        """Something is left to do or decide: changes, or recipients whose outcome is
        unknown (`plan --detailed-exitcode` exits 2 for either: a drift job stays red
        until someone settles or resends them)."""
        return self.has_changes or self.unknown > 0

    @property
    def unknown_line(self) -> str | None:
        """How many recipients' outcome is unknown, per campaign, and the two ways out."""
        if not self.unknown:
            return None
        each = ", ".join(f"{c.address}: {c.unknown}" for c in self.campaigns if c.unknown)
        resend = sum(a.data.get("resend_recipients", 0) for a in self.plan.actions
                     if a.op == "warn")
        again = (f" or resend them (`apply --resend-unknown={resend}`)" if resend else "")
        return (f"The outcome of {plural(self.unknown, 'recipient')} is unknown ({each}): "
                "check with the vendor, then settle them (`campaignctl state ledger "
                f"settle`){again}.")

    @property
    def counts(self) -> dict[str, int]:
        raw = self.plan.counts()
        return {op: raw.get(op, 0) for op in OP_ORDER}

    @property
    def changes(self) -> int:
        return len(self.plan.changes)

    @property
    def has_changes(self) -> bool:
        return self.plan.has_changes

    @property
    def partial(self) -> bool:
        return bool(self.plan.targets)

    @property
    def environment_note(self) -> str | None:
        env = self.plan.environment
        return f"Environment: {env}" if env else None

    @property
    def variable_lines(self) -> list[str]:
        """The manifest variables set for this run (--var, CAMPAIGNCTL_VAR_NAME), secret
        ones masked."""
        return [f"Variable {shown(name, record)}"
                for name, record in sorted(self.plan.variables.items())]

    @property
    def policy_lines(self) -> list[str]:
        """Which policy pack the plan applied, and every waiver with its reason."""
        p = self.plan.policy
        if not p:
            return []
        lines = [f"Send windows: policy pack {p.get('pack_version')} "
                 f"(sources checked {p.get('pack_checked')})"
                 + (f"; workspace rules: {', '.join(p['workspace_rules'])}"
                    if p.get("workspace_rules") else "")]
        lines += [f"Waived: {w['rule']}: {w['reason']}" for w in p.get("waived") or []]
        return lines

    @property
    def partial_note(self) -> str | None:
        if not self.plan.targets:
            return None
        return (f"Partial plan: only {', '.join(self.plan.targets)} and what they depend on "
                "(--target). Other resources were not read or compared.")

    @property
    def refused(self) -> list[ActionView]:
        return [r for r in self.rows if r.op == "refuse"]

    @property
    def drift(self) -> list[ActionView]:
        """Actions that undo a change made outside campaignctl."""
        return [r for r in self.rows if r.drift]

    @property
    def irreversible(self) -> list[ActionView]:
        return [r for r in self.rows if r.irreversible and r.action.is_change]

    @property
    def summary_line(self) -> str:
        if not self.has_changes and not self.refused:
            if self.unknown:
                # Never "matches": nobody knows whether those people got the message.
                return (f"No changes. {self.unknown_line} Until then the live state may not "
                        "match the manifests.")
            return "No changes. The live state matches the manifests."
        parts = [plural(n, "warning") if op == "warn" else f"{n:,} {OP_LABELS[op]}"
                 for op, n in self.counts.items() if n]
        return f"Plan: {', '.join(parts)}." + (f" {self.unknown_line}" if self.unknown else "")

    @property
    def refused_line(self) -> str | None:
        """Every format's last line when anything is refused (plan and apply exit 1)."""
        if not self.refused:
            return None
        n = len(self.refused)
        reasons = "; ".join(f"{r.address}: {r.action.reason}" for r in self.refused)
        return (f"Refused: {plural(n, 'action')} will not be applied, so this "
                f"plan fails (exit 1). {reasons}")
