"""Offline validation: references between manifests, accounts, CSV rows and each vendor's
own rules. Every problem is collected; nothing stops at the first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.contacts import Contact, read_csv
from reconciler.errors import Diagnostic, Location
from reconciler.kinds import REFERENCES
from reconciler.kinds.vendor_blocks import ignorable_fields
from reconciler.personalize import check_contact_values
from reconciler.policy.campaign import validate_campaign
from reconciler.policy.email_check import check_email_rules
from reconciler.suggest import did_you_mean
from reconciler.var_overrides import Overrides
from reconciler.vendors import installed
from reconciler.workspace import Resource, Workspace, load_workspace
from reconciler.workspace_files import FileRefused, shown


def vendor_rules(vendor_type: str) -> Callable[[Resource, Workspace], list[Diagnostic]] | None:
    return installed()[vendor_type].rules


def check_references(ws: Workspace, r: Resource) -> list[Diagnostic]:
    out = []
    for field, kind in REFERENCES.get(r.kind, ()):
        value = getattr(r.spec, field)
        names = value if isinstance(value, list) else [value] if value else []
        for i, name in enumerate(names):
            if ws.get(kind, name) is None and (kind, name) not in ws.declared:
                loc = (field, i) if isinstance(value, list) else (field,)
                known = [n for k, n in (*ws.resources, *ws.declared) if k == kind]
                out.append(Diagnostic(r.locate(*loc), f"{r.address}: {kind} {name!r} does not "
                                                      f"exist{did_you_mean(name, known)}"))
    return out


def check_proof_group(ws: Workspace, r: Resource) -> list[Diagnostic]:
    """A Campaign's `proof.group` names a ContactGroup of the workspace."""
    proof = getattr(r.spec, "proof", None) if r.kind == "Campaign" else None
    if proof is None or ws.get("ContactGroup", proof.group) is not None \
            or ("ContactGroup", proof.group) in ws.declared:
        return []
    return [Diagnostic(r.locate("proof", "group"),
                       f"{r.address}: ContactGroup {proof.group!r} does not exist")]


WHY_SAME_ACCOUNT = {
    "OptOutList": "a vendor applies only its own account's opt-outs, so this campaign would "
                  "be sent to those people while the plan counted them as suppressed",
}


def check_same_account(ws: Workspace, r: Resource) -> list[Diagnostic]:
    """A campaign uses only resources of its own account: a vendor cannot see another
    account's senders, messages, groups or opt-outs (and would send without them)."""
    account = ws.config.accounts.get(r.provider)
    if account is None or r.kind != "Campaign":
        return []
    out = []
    for field, kind in REFERENCES["Campaign"]:
        if kind not in installed()[account.type].kinds:
            continue  # the vendor's own rules refuse the field itself
        value = getattr(r.spec, field)
        names = value if isinstance(value, list) else [value] if value else []
        for i, name in enumerate(names):
            target = ws.get(kind, name)
            if target is None or target.provider == r.provider:
                continue
            loc = (field, i) if isinstance(value, list) else (field,)
            why = WHY_SAME_ACCOUNT.get(kind, f"a {account.type} account cannot use another "
                                             f"account's {kind}")
            out.append(Diagnostic(r.locate(*loc), (
                f"{r.address} is on account {r.provider!r} but {kind} {name!r} is on account "
                f"{target.provider!r}: {why}. Move the {kind} to {r.provider!r} (or declare "
                "one there)")))
    return out


def check_account(ws: Workspace, r: Resource) -> list[Diagnostic]:
    account = ws.config.accounts.get(r.provider)
    where = r.doc.locate(("provider",))
    if account is None:
        known = ", ".join(sorted(ws.config.accounts)) or "none"
        return [Diagnostic(where, f"{r.address}: provider account {r.provider!r} is not in "
                                  f"campaignctl.yaml"
                                  f"{did_you_mean(r.provider, ws.config.accounts)} "
                                  f"(accounts: {known})")]
    catalog = installed()
    vendor = catalog[account.type]
    if r.kind not in vendor.kinds:
        return [Diagnostic(where, f"{r.address}: a {account.type} account cannot hold a "
                                  f"{r.kind} (it holds: {', '.join(vendor.kinds)})")]
    out = []
    for vtype, other in catalog.items():
        if vtype != account.type and getattr(r.spec, other.options_key, None):
            out.append(Diagnostic(r.locate(vtype), f"{r.address}: `{vtype}` options do not "
                                                    f"apply to a {account.type} account"))
    return out


def check_csv(r: Resource, show_contacts: bool = False, summary: bool = True,
              ) -> list[Diagnostic]:
    try:
        path = r.csv_path()
    except FileRefused as exc:
        return [exc.diagnostic(r.locate("file"))]
    if path is None:
        return []
    if not path.exists():
        return [Diagnostic(r.locate("file"), f"{r.address}: CSV file {shown(r.spec.file)} not "
                                             f"found next to the manifest")]
    try:
        scan = r.scan(summary)  # the summary is for the diff: plan and apply
    except FileRefused as exc:
        return [exc.diagnostic(r.locate("file"))]
    display = str(Path(r.doc.path).parent / r.spec.file)
    out = [Diagnostic(Location(display, p.line, p.col),
                      p.shown if show_contacts and p.shown else p.message)
           for p in scan.problems]
    if scan.extra:
        out.append(Diagnostic(Location(display), f"... and {scan.extra} more problems in this file"))
    return out


def check_ignore_changes(ws: Workspace, r: Resource) -> list[Diagnostic]:
    """Each `lifecycle.ignore_changes` entry names a field of the kind (a typo would silently
    ignore nothing)."""
    account = ws.config.accounts.get(r.provider)
    vendor_type = account.type if account else None
    known = ignorable_fields(r.kind, vendor_type)
    article = "an" if vendor_type and vendor_type[0] in "aeiou" else "a"
    on = f" on {article} {vendor_type} account" if vendor_type else ""
    return [Diagnostic(r.doc.locate(("lifecycle", "ignore_changes", i)), (
                f"{r.address}: ignore_changes: {shown(str(name))} is not a field of a "
                f"{r.kind}{on} (fields: {', '.join(known)})"))
            for i, name in enumerate(r.lifecycle.ignore_changes) if name not in known]


def check_opt_in(r: Resource, show_contacts: bool = False) -> list[Diagnostic]:
    """An address both opted out (under `entries` or in the CSV) and re-subscribed (under
    `opt_in`) says two things at once: which one is meant is for a person to decide. The
    address is named by where it is written; shown only with --show-contacts."""
    if r.kind != "OptOutList" or not r.spec.opt_in:
        return []
    opt_in: dict[str, int] = {}
    for i, address in enumerate(r.spec.opt_in):
        opt_in.setdefault(address, i)
    both: list[tuple[int, str, str]] = []  # (opt_in index, where else, address)
    for j, address in enumerate(r.spec.entries):
        if address in opt_in:
            both.append((opt_in[address], f"entries (entry {j})", address))
    try:
        path = r.csv_path()
    except FileRefused:
        path = None  # reported by check_csv
    if path is not None and path.is_file() and any(a in opt_in for a in r.csv_addresses()):
        # Only then is the file read again, for the rows to name.
        for line, row in read_csv(path):
            if isinstance(row, Contact) and row.key in opt_in:
                both.append((opt_in[row.key], f"{r.spec.file} (row {line})", row.key))
    return [Diagnostic(r.locate("opt_in", i), (
                f"{r.address}: opt_in entry {i} is also opted out in {where}: an address "
                "cannot be both re-subscribed and opted out; keep one"
                + (f" [{shown(address)}]" if show_contacts else "")))
            for i, where, address in sorted(both)]


def sms_notes(r: Resource) -> list[Diagnostic]:
    if r.kind != "Message" or r.spec.channel != "sms":
        return []
    from reconciler.sms import segments
    count = segments(r.spec.text)
    if count.segments <= 1:
        return []
    return [Diagnostic(r.locate("text"),
                       f"{r.address}: SMS text needs {count.segments} segments "
                       f"({count.encoding}, {count.units} units)", severity="note")]


def keep_audience_rows(ws: Workspace) -> None:
    """Contacts and opt-outs of accounts that build audiences from them keep their rows
    after the one pass that checks them (the plan, the send-window check and the read-back
    use them again)."""
    catalog = installed()
    for r in ws.resources.values():
        account = ws.config.accounts.get(r.provider)
        if r.kind in ("ContactGroup", "OptOutList") and account is not None \
                and account.type in catalog and catalog[account.type].local_audience:
            r.keep_rows = True


def validate_workspace(ws: Workspace, show_contacts: bool = False, summaries: bool = True,
                       defer: Callable[[Resource], bool] | None = None) -> list[Diagnostic]:
    """Every problem of the workspace. `defer` (plan and apply): which resources' CSV rows
    may be checked later, by deferred_checks while the reads are in flight; they are put in
    `ws.unchecked` (see checked_csv: only files whose bytes are known clean)."""
    out: list[Diagnostic] = []
    keep_audience_rows(ws)
    for r in ws.ordered():
        out += check_account(ws, r)
        out += check_references(ws, r)
        out += check_same_account(ws, r)
        if defer is not None and defer(r):
            ws.unchecked.append(r)
        else:
            out += check_csv(r, show_contacts, summaries)
        out += check_ignore_changes(ws, r)
        out += _placed(r, lambda r=r: check_opt_in(r, show_contacts))
        out += sms_notes(r)
        out += _placed(r, lambda r=r: validate_campaign(ws, r))
        out += _placed(r, lambda r=r: check_email_rules(ws, r))
        out += _placed(r, lambda r=r: check_contact_values(ws, r))
        out += check_proof_group(ws, r)
        account = ws.config.accounts.get(r.provider)
        rules = vendor_rules(account.type) if account else None
        if rules is not None:
            out += _placed(r, lambda r=r, rules=rules: rules(r, ws))
    return list(dict.fromkeys(out))  # a refused file is reported once, where it is named


def _placed(r: Resource, check: Callable[[], list[Diagnostic]]) -> list[Diagnostic]:
    """A rule's findings; a file it could not read (another resource's, e.g. the CSV of an
    opt-out list a campaign uses) is a diagnostic where that file is named, among the
    others, never an error that ends the run."""
    try:
        return check()
    except FileRefused as exc:
        return [exc.diagnostic(r.location)]


def validate_directory(directory: Path, env: dict[str, str] | None = None,
                       environment: str | None = None, *,
                       offline: bool = False, show_contacts: bool = False,
                       overrides: Overrides | None = None,
                       ) -> tuple[Workspace | None, list[Diagnostic]]:
    """`offline`: credentials are not needed (the `validate` command); contacts are named
    by file and row, their addresses shown only with `show_contacts`."""
    ws, diagnostics = load_workspace(directory, env, environment, offline=offline,
                                     show_contacts=show_contacts, overrides=overrides)
    if ws is not None:
        diagnostics += validate_workspace(ws, show_contacts, summaries=not offline)
    return ws, in_file_order(diagnostics)


def in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.location.path, d.location.line,
                                              d.location.col))


def errors_of(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]
