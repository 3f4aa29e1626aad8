"""`campaignctl import ACCOUNT [DIR] [--id ID] [--kind K] [--name N] [--out FILE] [--force]
[--dry-run]`: adopt live objects.

The account's provider fetches them (`Provider.import_resources`: email-campaigns lists
everything, scheduled-campaigns has no list endpoint and takes `--id`); this module drops
what the workspace already holds (bound ids, opt-outs its lists name), writes one manifest
document per object into one file of the workspace (a contact group's contacts and an
opt-out list's entries go to a CSV next to it), each with its editor `$schema` line, and
binds each to its live id in the state store, so the next plan shows no changes for them.
References between objects (a campaign's sender, message, group) are written as the
manifest names bound to, or imported for, those ids. Nothing is written to the vendor.

Order of writes: CSVs and the manifest file first (validated with the whole workspace, put
back as they were if it does not validate), then the bindings in one transaction. A binding without its
manifest would be planned as a delete; a manifest without its binding is only a create
that the user can see in the next plan and undo by deleting the file.

A binding left by a create whose outcome was unknown (data `outcome_unknown`) is settled
here: a live object whose title is that manifest's title is bound to the existing manifest
instead of getting a second one.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.contacts import FIELDS
from reconciler.errors import CampaignctlError
from reconciler.fmt import format_text, manifest_yaml
from reconciler.kinds import ENVELOPE_ORDER, KIND_ORDER
from reconciler.providers.base import ImportedResource, RunContext, RunOptions
from reconciler.state.backend import open_store
from reconciler.state.pins import check_origins
from reconciler.state.store import Binding
from reconciler.suggest import did_you_mean
from reconciler.validate import errors_of, validate_directory
from reconciler.vendors import installed
from reconciler.words import plural
from reconciler.workspace import Workspace

MAX_NAME = 64


@dataclass
class ImportOutcome:
    path: Path | None = None
    written: list[tuple[str, str, str]] = field(default_factory=list)  # address, id, note
    settled: list[tuple[str, str]] = field(default_factory=list)  # address, id
    skipped: list[str] = field(default_factory=list)  # why an object was not imported
    files: list[tuple[Path, str]] = field(default_factory=list)  # path, what it holds
    dry_run: bool = False
    filtered: bool = False  # --kind / --name / --id narrowed what was considered

    def lines(self) -> list[str]:
        out = [f"skipped {why}" for why in self.skipped]
        verb = "would import" if self.dry_run else "imported"
        for address, remote_id, note in self.written:
            shown = "" if remote_id == ANY_ID else f" (id {remote_id})"
            out.append(f"{verb} {address}{shown}" + (f": {note}" if note else ""))
        for address, remote_id in self.settled:
            out.append(f"{'would bind' if self.dry_run else 'bound'} {address} to id "
                       f"{remote_id} (its earlier create's outcome was unknown; settled)")
        for path, what in self.files:
            out.append(f"{'would write' if self.dry_run else 'wrote'} {path} ({what})")
        if self.dry_run:
            out.append("Dry run: nothing was written or bound.")
        elif self.path is not None:
            out.append(f"bound {plural(len(self.written), 'resource')}. Run `campaignctl plan` to "
                       "check: it should show no changes for them.")
        elif not self.written and not self.settled:
            out.append("Nothing imported." if self.skipped else
                       "Nothing to import: the workspace already holds every live object"
                       + (" that matches the filters." if self.filtered else "."))
        return out


ANY_ID = "*"  # remote id of an object that is not bound (an account's opt-out list)


def slugify(title: str) -> str:
    """A manifest name (lowercase letters, digits, `-`) from a vendor's display name."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return text[:MAX_NAME].rstrip("-")


def unique_name(base: str, taken: set[str], fallback: str) -> str:
    base = base or fallback
    name, n = base, 2
    while name in taken:
        suffix = f"-{n}"
        name = base[:MAX_NAME - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(name)
    return name


def schema_reference(folder: Path, kind: str) -> str | None:
    """The `$schema` path editors use, relative to the manifest's folder: the nearest
    `schemas/` folder up the tree holding the kind's schema (None if there is none)."""
    filename = f"{kind.lower()}.schema.json"
    here = folder.resolve()
    for up in (here, *here.parents):
        if (up / "schemas" / filename).is_file():
            return Path(os.path.relpath(up / "schemas" / filename, here)).as_posix()
    return None


def escape_text(text: str) -> str:
    """A vendor's text as a manifest writes it: every `${` as `$${`, which the loader reads
    back as `${` (reconciler/variables.py), so `${var.x}` or `${FIRST_NAME}` in a live
    object stays that text instead of becoming a reference."""
    return text.replace("${", "$${")


#: First characters a spreadsheet takes as the start of a formula (OWASP's CSV injection
#: list). A row holding such a value (outside the phone column, E.164 only) is written in
#: the manifest instead of the CSV: exactly that text there, nothing to run in the CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_leading(row: dict[str, str]) -> bool:
    return any(isinstance(v, str) and v.startswith(FORMULA_START)
               for k, v in row.items() if k != "phone")


def _yaml_value(value: Any) -> Any:
    if isinstance(value, str):
        value = escape_text(value)
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _yaml_value(v)
        return m
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, list):
        seq = CommentedSeq(_yaml_value(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def render_documents(docs: list[dict[str, Any]], folder: Path) -> str:
    """One YAML document per manifest, each with its editor schema line (paths relative
    to `folder`, the one the file is written to)."""
    yaml = manifest_yaml()
    parts = []
    for doc in docs:
        buf = io.StringIO()
        ordered = {k: doc[k] for k in ENVELOPE_ORDER if k in doc}
        yaml.dump(_yaml_value(ordered | doc), buf)
        ref = schema_reference(folder, doc["kind"]) or f"schemas/{doc['kind'].lower()}.schema.json"
        header = f"# yaml-language-server: $schema={ref}"
        parts.append(f"{header}\n{buf.getvalue()}")
    return format_text("---\n".join(parts))  # what `campaignctl fmt` would write


def _target_path(directory: Path, account: str, out: str | None) -> Path:
    path = Path(out) if out else Path(f"imported-{account}.yaml")
    if not path.is_absolute():
        path = directory / path
    try:
        relative = path.resolve().relative_to(directory.resolve())
    except ValueError:
        raise CampaignctlError(f"--out {out}: the file must be inside the workspace "
                               f"{directory} (or the next plan would delete what it "
                               "imports)") from None
    if path.suffix not in (".yaml", ".yml") or any(p.startswith(".") for p in relative.parts):
        raise CampaignctlError(f"--out {out}: use a .yaml file outside hidden folders, so the "
                               "workspace loads it")
    return path


@dataclass
class ImportRequest:
    """What the user asked for: `--id`, `--kind`, `--name`, `--out`, `--force`, `--dry-run`."""

    ids: list[str] = field(default_factory=list)
    out: str | None = None
    kinds: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    force: bool = False
    dry_run: bool = False


def import_account(ws: Workspace, directory: Path, account: str,
                   req: ImportRequest) -> ImportOutcome:
    """Import `account`'s live objects into the validated workspace `ws` found at
    `directory` (as the user named it; reconciler.api.import_account loads it)."""
    directory = Path(directory)
    acc = ws.config.accounts.get(account)
    if acc is None:
        known = ", ".join(sorted(ws.config.accounts)) or "none"
        raise CampaignctlError(f"no provider account {account!r} in campaignctl.yaml "
                               f"(accounts: {known})")
    unknown = [k for k in req.kinds if k not in KIND_ORDER]
    if unknown:
        raise CampaignctlError(f"--kind {unknown[0]}: not a kind"
                               f"{did_you_mean(unknown[0], KIND_ORDER)} "
                               f"({', '.join(KIND_ORDER)})")
    path = _target_path(directory, account, req.out)
    if path.exists() and not req.force:
        raise CampaignctlError(f"{path} already exists; not overwriting it (choose another "
                               "file with --out, or --force)")
    req.ids = list(dict.fromkeys(str(i).strip() for i in req.ids))
    ctx = RunContext(ws, open_store(ws.config), RunOptions())
    try:
        if req.dry_run:
            return asyncio.run(_import(ws, ctx, account, req, path))
        with ctx.store.locked():
            return asyncio.run(_import(ws, ctx, account, req, path))
    finally:
        ctx.store.close()


def _wanted(item: ImportedResource, name: str, req: ImportRequest) -> bool:
    if req.kinds and item.kind not in req.kinds:
        return False
    return not req.names or any(fnmatch(name, n) or fnmatch(item.title, n) for n in req.names)


async def _import(ws: Workspace, ctx: RunContext, account: str, req: ImportRequest,
                  path: Path) -> ImportOutcome:
    acc = ws.config.accounts[account]
    store = ctx.store
    # With --force, what the overwritten file declares is re-imported, under its names.
    replaced = {(r.kind, r.name) for r in ws.resources.values()
                if Path(r.doc.path).resolve() == path.resolve()}
    bindings = [b for b in store.bindings(account) if (b.kind, b.name) not in replaced]
    rebound = {(b.kind, b.remote_id): b.name for b in store.bindings(account)
               if (b.kind, b.name) in replaced}
    by_id = {b.remote_id: b for b in bindings}
    already = [f"{i} (bound to {by_id[i].kind}/{by_id[i].name})" for i in req.ids if i in by_id]
    if already:
        raise CampaignctlError(f"already managed on account {account!r}: "
                               f"{', '.join(already)}; nothing imported")
    check_origins(store, ws.config, [account])
    provider = installed()[acc.type].provider(acc, ctx)
    try:
        found: list[ImportedResource] = await provider.import_resources(req.ids)
    finally:
        await provider.aclose()

    outcome = ImportOutcome(dry_run=req.dry_run,
                            filtered=bool(req.kinds or req.names or req.ids))
    held = {(b.kind, b.remote_id): b.name for b in bindings}
    kept = [r for r in ws.for_account(account) if (r.kind, r.name) not in replaced]
    held_optouts = {a for r in kept if r.kind == "OptOutList" for a in r.iter_addresses()}
    optout_list = next((r.name for r in kept if r.kind == "OptOutList"), None)
    pending = {(b.kind, b.name): b for b in bindings if (b.data or {}).get("outcome_unknown")}
    taken: dict[str, set[str]] = {
        kind: {r.name for r in ws.of_kind(kind) if (kind, r.name) not in replaced}
        | {b.name for b in store.bindings() if b.kind == kind and (kind, b.name) not in replaced}
        for kind in KIND_ORDER}
    folder = path.parent
    docs, binds, files = [], [], {}
    for item in found:
        if (item.kind, item.remote_id) in held:
            continue
        if item.held_by and (item.kind, item.held_by.partition("/")[2]) not in replaced:
            outcome.skipped.append(f"{item.kind} {item.title!r} (id {item.remote_id}): "
                                   f"{item.held_by} in the workspace has the same key; the "
                                   "next apply binds it there")
            held[(item.kind, item.remote_id)] = item.held_by.partition("/")[2]
            continue
        if item.kind == "OptOutList" and item.rows is not None:
            item.rows = [row for row in item.rows if row["email"] not in held_optouts]
            if not item.rows:
                continue
            item.note = f"{plural(len(item.rows), 'opt-out')} the workspace does not list"
        settle = next((key for key in pending if key[0] == item.kind and ws.get(*key) and
                       (ws.get(*key).spec.title or key[1]) == item.title), None)
        if settle is not None:
            pending.pop(settle)
            binds.append(Binding(account, item.kind, settle[1], item.remote_id))
            held[(item.kind, item.remote_id)] = settle[1]
            outcome.settled.append((f"{item.kind}/{settle[1]}", item.remote_id))
            continue
        name = rebound.get((item.kind, item.remote_id)) or unique_name(
            slugify(item.title), taken[item.kind], f"{item.kind.lower()}-{item.remote_id}")
        taken[item.kind].add(name)
        if not _wanted(item, name, req):
            continue
        spec = dict(item.spec)
        missing = _resolve_refs(item, spec, held, optout_list)
        if missing:
            outcome.skipped.append(f"{item.kind}/{name} (id {item.remote_id}): its {missing} "
                                   "is neither in the workspace nor imported now; import it "
                                   "too (widen --kind/--name)")
            continue
        if item.rows is not None:
            rows = _rows_inline(item.kind, item.rows, spec)
            if rows:
                csv_path = folder / f"{name}.csv"
                spec["file"] = csv_path.name
                files[csv_path] = rows
        doc: dict[str, Any] = {"kind": item.kind, "name": name, "provider": account}
        if item.lifecycle:
            doc["lifecycle"] = item.lifecycle
        doc["spec"] = _in_model_order(item.kind, spec)
        docs.append(doc)
        if item.remote_id != ANY_ID:
            binds.append(Binding(account, item.kind, name, item.remote_id))
        held[(item.kind, item.remote_id)] = name
        if item.kind == "OptOutList":
            optout_list = optout_list or name
        outcome.written.append((f"{item.kind}/{name}", item.remote_id, item.note))

    existing = [p for p in files if p.exists()]
    if existing and not req.force:
        raise CampaignctlError(f"{existing[0]} already exists; not overwriting it (move it, "
                               "choose another --out folder, or --force); nothing imported")
    if docs:
        outcome.files = [(path, f"{plural(len(docs), 'manifest')}")] + [
            (p, f"{plural(len(rows), 'row')}") for p, rows in files.items()]
        outcome.path = path
    if req.dry_run:
        return outcome
    if docs:
        _write_files(ws, path, docs, files, outcome)
    with store.transaction():
        for b in binds:
            store.put_binding(b)
    return outcome


def _rows_inline(kind: str, rows: list[dict[str, str]], spec: dict[str, Any],
                 ) -> list[dict[str, str]]:
    """The rows for the CSV; those a spreadsheet would run as a formula go to the
    manifest's own list (a group's `contacts`, an opt-out list's `entries`) instead."""
    inline = [row for row in rows if formula_leading(row)]
    if not inline:
        return rows
    if kind == "OptOutList":
        spec["entries"] = [*spec.get("entries", []), *(row["email"] for row in inline)]
    else:
        spec["contacts"] = [*spec.get("contacts", []), *inline]
    return [row for row in rows if not formula_leading(row)]


def _in_model_order(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec's keys in the order the kind's model (and the README) lists them; vendor
    blocks last."""
    from reconciler.kinds import BASE_SPECS

    order = list(BASE_SPECS[kind].model_fields)
    return dict(sorted(spec.items(), key=lambda kv: (
        order.index(kv[0]) if kv[0] in order else len(order))))


def _resolve_refs(item: ImportedResource, spec: dict[str, Any],
                  held: dict[tuple[str, str], str], optout_list: str | None) -> str | None:
    """Write the manifest names of what the item references into its spec; returns the
    first reference that has no manifest (so the item is not imported), else None."""
    for key, (kind, remote_id) in item.refs.items():
        if remote_id == ANY_ID:
            if kind == "OptOutList" and optout_list:
                spec[key] = [optout_list]
            continue
        name = held.get((kind, remote_id or ""))
        if name is None:
            return f"{kind} (id {remote_id})"
        spec[key] = [name] if key.endswith("s") else name
    return None


def _write_files(ws: Workspace, path: Path, docs: list[dict[str, Any]],
                 files: dict[Path, list[dict[str, str]]], outcome: ImportOutcome) -> None:
    """CSVs, the schemas editors need (when the workspace has none), then the manifest;
    validated with the whole workspace, and put back as they were if it does not pass."""
    before = {p: (p.read_bytes() if p.exists() else None) for p in [path, *files]}
    made = [d for d in (ws.directory / "schemas", *reversed(path.parent.parents),
                        path.parent) if not d.exists()]  # folders to remove if refused
    if any(schema_reference(path.parent, d["kind"]) is None for d in docs):
        from reconciler.schema import write_schemas

        schemas = ws.directory / "schemas"
        before |= {p: (p.read_bytes() if p.exists() else None)
                   for p in (schemas.iterdir() if schemas.is_dir() else ())}
        written = write_schemas(schemas)
        before |= {p: None for p in written if p not in before}
        outcome.files.append((ws.directory / "schemas", f"{len(written)} JSON Schemas for "
                                                        "editors"))
    path.parent.mkdir(parents=True, exist_ok=True)
    for csv_path, rows in files.items():
        write_rows(csv_path, rows)
    path.write_text(render_documents(docs, path.parent), encoding="utf-8")
    _, diagnostics = validate_directory(ws.directory, environment=ws.config.environment)
    errors = errors_of(diagnostics)
    if errors:
        for p, data in before.items():
            if data is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(data)
        for folder in reversed(made):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise CampaignctlError(
            "the imported manifests do not validate, so nothing was written or bound:\n"
            + "\n".join(str(d) for d in errors))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """A CSV with the manifest columns the rows use (contacts: email, first_name,
    last_name; opt-outs: email), in the order of `reconciler.contacts.FIELDS`."""
    used = {k for row in rows for k in row} or {"email"}
    columns = [f for f in FIELDS if f in used]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
