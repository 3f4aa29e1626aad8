"""`policy:` in campaignctl.yaml, and the rules in force for a workspace.

A workspace can only make the pack stricter: its own rules are added (every rule that
applies must be open), and its `default:` may only narrow the pack's default window. A
pack rule is switched off only by waiving it by name with a reason, which every plan
prints.

    policy:
      default: {window: {mon-sat: "09:00-20:00"}}     # countries the pack has no rule for
      rules:
        - name: acme-no-sunday
          jurisdiction: "*"
          channels: [sms, whatsapp, email]
          window: {mon-sat: "08:00-21:00", sun: closed}
      waive:
        - rule: us-nj-dnc
          reason: "legal reviewed 2026-11: ..."
      emergencies:                                     # see emergencies.py
        - {jurisdiction: US-LA, from: 2027-08-29, to: 2027-09-28, source: "..."}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.policy.email import EmailPolicy
from reconciler.policy.emergencies import Emergency
from reconciler.policy.pack import (
    Cap,
    Channel,
    ContentRule,
    Pack,
    Rule,
    contains,
    load_pack,
    parse_window,
)
from reconciler.policy.where import Place

WORKSPACE_SOURCE = "workspace policy (campaignctl.yaml)"


class WorkspaceRule(Rule):
    channels: tuple[Channel, ...] = Field(("sms", "whatsapp", "email"), min_length=1)
    source: str = Field(WORKSPACE_SOURCE, min_length=1)


class WorkspaceCap(Cap):
    source: str = Field(WORKSPACE_SOURCE, min_length=1)


class DefaultWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window: dict[str, str] = Field(description="Day -> HH:MM-HH:MM or closed")
    holidays_closed: bool = False

    @field_validator("window")
    @classmethod
    def _window(cls, v: dict[str, str]) -> dict[str, str]:
        parse_window(v)
        return v


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str = Field(min_length=1, description="Name of a pack rule (or the default)")
    reason: str = Field(min_length=1, description="Why: printed in every plan")


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: DefaultWindow | None = Field(
        None, description="Narrow the pack's default window (countries with no rule)")
    rules: list[WorkspaceRule] = Field(default_factory=list, description="Stricter rules")
    waive: list[Waiver] = Field(default_factory=list, description="Pack rules switched off")
    emergencies: list[Emergency] = Field(
        default_factory=list,
        description="Declared states of emergency: every marketing window there closed")
    email: EmailPolicy = Field(default_factory=EmailPolicy,
                               description="What marketing email must show (postal address)")
    frequency: list[WorkspaceCap] = Field(
        default_factory=list, description="Frequency caps across campaigns, per recipient")


@dataclass
class Policy:
    """The rules in force: the pack minus waivers, the (narrowed) default, the workspace's."""

    pack: Pack
    default: Rule | None
    own: list[Rule] = field(default_factory=list)
    waived: dict[str, str] = field(default_factory=dict)  # rule name -> reason
    emergencies: list[Rule] = field(default_factory=list)
    declared: list[dict] = field(default_factory=list)  # the emergencies as configured
    email: EmailPolicy = field(default_factory=EmailPolicy)
    own_caps: list[Cap] = field(default_factory=list)

    @property
    def caps(self) -> list[Cap]:
        """The pack's frequency caps minus those waived, and the workspace's."""
        return [c for c in self.pack.caps if c.name not in self.waived] + self.own_caps

    @property
    def email_rules(self) -> list[ContentRule]:
        """The pack's content rules for email, minus those waived."""
        return [r for r in self.pack.email if r.name not in self.waived]

    @property
    def version(self) -> str:
        return self.pack.version

    def applicable(self, place: Place, channel: str, purpose: str) -> list[Rule]:
        """Every rule of every jurisdiction the recipient may be in (an uncertain place
        has several: the strictest of them wins, as all must be open)."""
        where = place.jurisdictions
        hits = [r for r in self.pack.rules
                if r.covers(channel, purpose) and any(r.matches(*j) for j in where)]
        out = [r for r in hits if r.name not in self.waived]
        d = self.default
        if not hits and d is not None and d.covers(channel, purpose):
            out.append(d)
        out += [r for r in [*self.own, *self.emergencies] if r.covers(channel, purpose)
                and any(r.matches(*j) for j in where)]
        return out

    def could_apply(self, channel: str, purpose: str) -> bool:
        """Does any rule cover this channel and purpose at all? (If not, the audience need
        not be read: email and transactional sends usually have no window.)"""
        rules = [*self.pack.rules, *self.own, *self.emergencies,
                 *([self.default] if self.default else [])]
        return any(r.covers(channel, purpose) for r in rules)

    def summary(self) -> dict:
        return {"pack_version": self.pack.version, "pack_checked": self.pack.checked.isoformat(),
                "waived": [{"rule": k, "reason": v} for k, v in sorted(self.waived.items())],
                "workspace_rules": [r.name for r in self.own],
                **({"emergencies": self.declared} if self.declared else {})}


def build_policy(config: PolicyConfig | None) -> tuple[Policy, list[tuple[tuple, str]]]:
    """The policy and its problems as (location in campaignctl.yaml, message)."""
    pack = load_pack()
    config = config or PolicyConfig()
    problems: list[tuple[tuple, str]] = []
    waived: dict[str, str] = {}
    for i, w in enumerate(config.waive):
        if pack.rule(w.rule) is None:
            problems.append((("policy", "waive", i, "rule"),
                             f"policy.waive: no rule {w.rule!r} in policy pack {pack.version} "
                             f"(rules: {', '.join(pack.names)})"))
        elif not w.reason.strip():
            problems.append((("policy", "waive", i, "reason"),
                             f"policy.waive {w.rule}: a waiver needs a reason"))
        else:
            waived[w.rule] = w.reason.strip()
    default: Rule | None = pack.default
    if config.default is not None:
        narrowed = pack.default.model_copy(update={
            "window": config.default.window, "holidays_closed": config.default.holidays_closed,
            "source": f"{WORKSPACE_SOURCE}, narrowing: {pack.default.source}"})
        if not contains(pack.default, narrowed) and pack.default.name not in waived:
            problems.append((("policy", "default"),
                             f"policy.default is looser than the pack's {pack.default.name} "
                             f"({pack.default.describe()}): a workspace may only narrow it. "
                             f"To replace it, waive `{pack.default.name}` by name with a reason"))
        default = narrowed
    elif pack.default.name in waived:
        default = None
    taken = set(pack.names)
    for section, items in (("rules", config.rules), ("frequency", config.frequency)):
        for i, r in enumerate(items):
            if r.name in taken:
                problems.append((("policy", section, i, "name"),
                                 f"policy.{section}: {r.name!r} is already a rule name"))
            taken.add(r.name)
    return Policy(pack, default, list(config.rules), waived,
                  [e.rule() for e in config.emergencies],
                  [e.summary() for e in config.emergencies], config.email,
                  list(config.frequency)), problems
