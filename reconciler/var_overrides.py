"""Manifest variables set for one run: `--var NAME=VALUE` (repeatable) and
`CAMPAIGNCTL_VAR_NAME` in the environment, over campaignctl.yaml's `vars:`.

Precedence, highest first: `--var`, then `CAMPAIGNCTL_VAR_NAME`, then the chosen
environment's `vars:`, then the top level's `vars:`. Only a variable campaignctl.yaml
declares can be set (an unknown name is an error that names the closest one). A value is
converted to the type of the declared one (a number stays a number, true/false a boolean, a
list or a mapping is given as JSON). The plan says which variables were set and from where;
a variable whose name looks like a secret's is shown masked, and a saved plan records only a
digest of its value, so `apply PLANFILE` needs the value again (checked against the digest).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import CampaignctlError, Diagnostic, Location
from reconciler.secrets import MASK
from reconciler.suggest import did_you_mean

ENV_PREFIX = "CAMPAIGNCTL_VAR_"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names whose values are masked wherever the plan shows them.
_SECRET_NAME = re.compile(r"(secret|token|passw|pwd|api_?key|private|credential|auth|dsn)",
                          re.IGNORECASE)
SAVED = "the saved plan"


def looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Override:
    name: str
    raw: str  # as given: converted to the declared type by `resolve`
    source: str  # "--var", "CAMPAIGNCTL_VAR_NAME" or "the saved plan"


@dataclass
class Overrides:
    """What the command line and the environment set, before campaignctl.yaml is read."""

    given: dict[str, Override]
    saved: dict[str, dict[str, Any]] | None = None  # apply PLANFILE: the plan's record

    @classmethod
    def parse(cls, options: Sequence[str] = (), env: Mapping[str, str] | None = None,
              ) -> Overrides:
        given: dict[str, Override] = {}
        for name, value in sorted((env or {}).items()):
            if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
                var = name[len(ENV_PREFIX):]
                given[var] = Override(var, value, name)
        for text in options:
            name, eq, value = text.partition("=")
            name = name.strip()
            if not eq or not _NAME.match(name):
                raise CampaignctlError(f"--var {text!r}: expected NAME=VALUE (a variable name "
                                       "of letters, digits and _, e.g. --var discount=20)")
            given[name] = Override(name, value, "--var")
        return cls(given)

    def for_saved_plan(self, recorded: dict[str, dict[str, Any]]) -> Overrides:
        """apply PLANFILE: the plan's own values. --var is refused (a saved plan holds its
        variables) except to supply a masked one again; the environment's are read only
        for those."""
        masked = {n for n, r in recorded.items() if "value" not in r}
        for name, o in self.given.items():
            if o.source == "--var" and name not in masked:
                raise CampaignctlError(
                    f"--var {name}: a saved plan holds its variables (it was planned "
                    f"with {', '.join(sorted(recorded)) or 'none set'}); plan again with "
                    "the new value: `campaignctl plan --var ... -o FILE`")
        return Overrides({n: o for n, o in self.given.items() if n in masked},
                         dict(recorded))

    def resolve(self, declared: dict[str, Any], errors: list[Diagnostic],
                ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """(the variables with the overrides on top, the record of what was set: name ->
        {source, value | sha256, secret})."""
        values, record = dict(declared), {}
        if self.saved is not None:
            return self._from_saved(values, errors)
        for name, o in sorted(self.given.items()):
            if name not in declared:
                known = ", ".join(sorted(declared)) or "none is declared"
                errors.append(Diagnostic(Location(o.source), (
                    f"unknown variable {name!r}{did_you_mean(name, declared)}: declare it "
                    f"under `vars:` in campaignctl.yaml (known: {known})")))
                continue
            try:
                values[name] = convert(o.raw, declared[name])
            except ValueError as exc:
                errors.append(Diagnostic(Location(o.source), f"variable {name}: {exc}"))
                continue
            record[name] = entry(name, values[name], o.source)
        return values, record

    def _from_saved(self, values: dict[str, Any], errors: list[Diagnostic],
                    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        record = dict(self.saved or {})
        for name, saved in record.items():
            if name not in values:
                errors.append(Diagnostic(Location(SAVED), (
                    f"variable {name} was set when planning but campaignctl.yaml no longer "
                    "declares it: plan again")))
            elif "value" in saved:
                values[name] = saved["value"]
            elif (o := self.given.get(name)) is None:
                errors.append(Diagnostic(Location(SAVED), (
                    f"variable {name} is masked in the saved plan: give it again, as when "
                    f"planning (--var {name}=... or {ENV_PREFIX}{name})")))
            else:
                try:
                    value = convert(o.raw, values[name])
                except ValueError as exc:
                    errors.append(Diagnostic(Location(o.source), f"variable {name}: {exc}"))
                    continue
                if digest(value) != saved.get("sha256"):
                    errors.append(Diagnostic(Location(o.source), (
                        f"variable {name}: not the value the plan was made with; nothing "
                        "was changed (plan again to use a new value)")))
                    continue
                values[name] = value
        return values, record


def entry(name: str, value: Any, source: str) -> dict[str, Any]:
    if looks_secret(name):
        return {"source": source, "secret": True, "sha256": digest(value)}
    return {"source": source, "secret": False, "value": value}


def shown(name: str, record: Mapping[str, Any]) -> str:
    """`name = value (from SOURCE)`, the value masked when it looks secret."""
    value = MASK if record.get("secret") else json.dumps(record.get("value"))
    return f"{name} = {value} (from {record.get('source')})"


_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def convert(raw: str, declared: Any) -> Any:
    """`raw` as a value of the declared value's type."""
    if isinstance(declared, bool):
        if raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(f"expected true or false (as declared), not {raw!r}")
    if isinstance(declared, int):
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"expected a whole number (as declared), not {raw!r}") from None
    if isinstance(declared, float):
        try:
            return float(raw.strip())
        except ValueError:
            raise ValueError(f"expected a number (as declared), not {raw!r}") from None
    if isinstance(declared, (list, dict)):
        what = "list" if isinstance(declared, list) else "mapping"
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, list if isinstance(declared, list) else dict):
            raise ValueError(f"expected a {what} as JSON (as declared), not {raw!r}")
        return value
    return raw
