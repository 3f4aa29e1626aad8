"""Per-recipient values: a Campaign's `variables` may take each recipient's own value from
the audience, `${contact.first_name}` (any column of its groups), with a fallback,
`${contact.first_name | default("there")}`.

They are filled in for each recipient at send time, never when the manifests are loaded
(`${var.x}` and `${each.x}` are, reconciler/variables.py). Which variables are templates
of the contact is part of the content sent (a changed template is a new content); the
values themselves are the recipients', so a contact whose name changes after the send is
not sent again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.contacts import FIELDS, Contact
from reconciler.errors import Diagnostic
from reconciler.workspace import Resource, Workspace
from reconciler.workspace_files import FileRefused, bounded_lines, open_csv

#: ${contact.COLUMN} or ${contact.COLUMN | default("TEXT")} ($${...}: a literal ${...})
CONTACT = re.compile(
    r'(\$?)\$\{\s*contact\.([A-Za-z0-9_]+)\s*(?:\|\s*default\(\s*"([^"]*)"\s*\)\s*)?\}')
#: something that starts like a contact reference but is not one (a typo, bad quotes)
_LOOSE = re.compile(r"(?<!\$)\$\{\s*contact\b")


@dataclass(frozen=True)
class Reference:
    column: str
    default: str | None


def references(template: str) -> list[Reference]:
    return [Reference(m.group(2).lower(), m.group(3)) for m in CONTACT.finditer(template)
            if not m.group(1)]


def templates(variables: dict[str, str]) -> dict[str, str]:
    """The variables that take a value from each recipient."""
    return {k: v for k, v in variables.items() if references(v)}


def fill(template: str, contact: Contact,
         shown: Callable[[str], str] | None = None) -> tuple[str, str]:
    """(the value for this contact, how: "value", "default" or "empty"); `shown` turns
    each of the contact's own values into what is put in (a plan masks them)."""
    how = "value"

    def one(m: re.Match) -> str:
        nonlocal how
        if m.group(1):
            return m.group(0)[1:]
        value = getattr(contact, m.group(2).lower(), None)
        if value:
            return shown(value) if shown else value
        if m.group(3) is not None:
            how = "default" if how == "value" else how
            return m.group(3)
        how = "empty"
        return ""
    return CONTACT.sub(one, template), how


def placeholder(template: str) -> str:
    """A template as a plan shows it, for no one in particular: `<first_name>`, or
    `<first_name or "there">` with a default."""
    def one(m: re.Match) -> str:
        if m.group(1):
            return m.group(0)[1:]
        column = m.group(2).lower()
        return f'<{column} or "{m.group(3)}">' if m.group(3) is not None else f"<{column}>"
    return CONTACT.sub(one, template)


def values(variables: dict[str, str], contact: Contact) -> dict[str, str]:
    """Every variable as this contact gets it."""
    return {k: fill(v, contact)[0] if references(v) else v for k, v in variables.items()}


@dataclass
class Use:
    """How one variable is filled across the recipients of a send."""

    template: str
    no_value: int = 0  # recipients without a value for a column it takes
    defaulted: int = 0  # of those, filled by the default
    empty: list[str] = field(default_factory=list)  # addresses left empty (no default)

    def to_dict(self) -> dict:
        return {"no_value": self.no_value, "defaulted": self.defaulted,
                "empty": len(self.empty)}


def count(variables: dict[str, str], recipients: Iterable) -> dict[str, Use]:
    """Per variable taking contact values, over `recipients` (audience.Recipient)."""
    found = {k: Use(v) for k, v in templates(variables).items()}
    if not found:
        return found
    for x in recipients:
        for use in found.values():
            _, how = fill(use.template, x.contact)
            if how != "value":
                use.no_value += 1
                if how == "default":
                    use.defaulted += 1
                else:
                    use.empty.append(x.address)
    return found


def group_columns(group: Resource) -> set[str] | None:
    """The columns a ContactGroup declares: its CSV's header and the fields its inline
    contacts set (None: its CSV cannot be read; its own check says why)."""
    out = {f for c in group.spec.contacts for f in FIELDS if getattr(c, f, None)}
    try:
        path = group.csv_path()
        if path is not None:
            with open_csv(path) as fh:
                header = next(csv.reader(bounded_lines(fh)), [])
            out |= {h.strip().lower() for h in header}
    except (FileRefused, OSError, csv.Error, UnicodeDecodeError):
        return None
    return out


def check_contact_values(ws: Workspace, r: Resource) -> list[Diagnostic]:
    """Each `${contact.X}` of a Campaign's variables names a column its groups declare:
    one of them at least, and every one unless it has a default. (Which variables a
    vendor takes per recipient is the vendor's rule.)"""
    if r.kind != "Campaign":
        return []
    out = []
    groups = [g for n in r.spec.contact_groups if (g := ws.get("ContactGroup", n)) is not None]
    declared = [(g.name, cols) for g in groups if (cols := group_columns(g)) is not None]
    for name, template in r.spec.variables.items():
        where = r.locate("variables", name)

        def err(why: str, name: str = name, where=where) -> None:
            out.append(Diagnostic(where, f"{r.address}: variables.{name}: {why}"))
        refs = references(template)
        if not refs and _LOOSE.search(template):
            err('write a contact value as ${contact.COLUMN} or '
                '${contact.COLUMN | default("TEXT")}')
        for ref in refs:
            lacking = [g for g, cols in declared if ref.column not in cols]
            if ref.column not in FIELDS:
                err(f"no contact has a column {ref.column!r} (columns: {', '.join(FIELDS)})")
            elif declared and len(lacking) == len(declared):
                err(f"no contact group of the campaign has a column {ref.column!r} "
                    f"({', '.join(lacking)})")
            elif lacking and ref.default is None:
                err(f"ContactGroup {', '.join(lacking)} has no column {ref.column!r}: its "
                    f"contacts would get an empty value; add one, or "
                    f'${{contact.{ref.column} | default("...")}}')
    return out


def masked(address: str) -> str:
    """An address as a plan shows it without --show-contacts."""
    return address[:4] + "…" + address[-2:] if len(address) > 6 else "…"


def refusal(uses: dict[str, Use], show_contacts: bool, first: int = 3) -> str | None:
    """Why a send stops: recipients who would get an empty value with no default."""
    out = []
    for name, use in uses.items():
        if use.empty:
            rows = [a if show_contacts else masked(a) for a in use.empty[:first]]
            more = ", ..." if len(use.empty) > first else ""
            out.append(f"variables.{name}: {len(use.empty)} recipient"
                       f"{'s' if len(use.empty) != 1 else ''} would get an empty value "
                       f"(no value for {', '.join(sorted({r.column for r in references(use.template)}))}"
                       f", no default): {', '.join(rows)}{more}")
    if not out:
        return None
    return ("; ".join(out) + '. Fill the column, or add `| default("...")`'
            + ("" if show_contacts else " (--show-contacts shows the recipients)"))
