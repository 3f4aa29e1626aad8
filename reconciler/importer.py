"""`campaignctl import ACCOUNT [--id ID ...] [DIR] [--out FILE]`: adopt live objects.

The account's provider fetches them (`Provider.import_resources`); this module writes one
manifest document per object into a new file of the workspace and binds each to its live
id in the state store, so the next plan shows no changes for them. Nothing is written to
the vendor.

Order of writes: the manifest file first (validated with the whole workspace, removed again
if it does not validate), then the bindings in one transaction. A binding without its
manifest would be planned as a delete; a manifest without its binding is only a create
that the user can see in the next plan and undo by deleting the file.

A binding left by a create whose outcome was unknown (data `outcome_unknown`) is settled
here: a live object whose title is that manifest's title is bound to the existing manifest
instead of getting a second one.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.errors import CampaignctlError
from reconciler.providers.base import ImportedResource, RunContext, RunOptions
from reconciler.providers.catalog import VENDORS
from reconciler.run import load_valid
from reconciler.state.store import Binding, open_store
from reconciler.validate import errors_of, validate_directory
from reconciler.workspace import Workspace

MAX_NAME = 64


@dataclass
class ImportOutcome:
    path: Path | None = None
    written: list[tuple[str, str, str]] = field(default_factory=list)  # address, id, note
    settled: list[tuple[str, str]] = field(default_factory=list)  # address, id

    def lines(self) -> list[str]:
        out = []
        for address, remote_id, note in self.written:
            out.append(f"imported {address} (id {remote_id})" + (f": {note}" if note else ""))
        for address, remote_id in self.settled:
            out.append(f"bound {address} to id {remote_id} (its earlier create's outcome was "
                       "unknown; settled)")
        if self.path is not None:
            out.append(f"wrote {self.path}; bound {len(self.written)} resource(s). Run "
                       "`campaignctl plan` to check: it should show no changes for them.")
        return out


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


def schema_reference(directory: Path, kind: str) -> str:
    """The `$schema` path editors use: the nearest `schemas/` folder up the tree."""
    filename = f"{kind.lower()}.schema.json"
    here = directory.resolve()
    for folder in (here, *here.parents):
        if (folder / "schemas" / filename).is_file():
            return Path(os.path.relpath(folder / "schemas" / filename, here)).as_posix()
    return f"schemas/{filename}"


def _yaml_value(value: Any) -> Any:
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _yaml_value(v)
        return m
    if isinstance(value, list):
        seq = CommentedSeq(_yaml_value(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def render_documents(docs: list[dict[str, Any]], directory: Path) -> str:
    """One YAML document per manifest, each with its editor schema line."""
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 100
    parts = []
    for doc in docs:
        buf = io.StringIO()
        yaml.dump(_yaml_value(doc), buf)
        header = ("# yaml-language-server: "
                  f"$schema={schema_reference(directory, doc['kind'])}")
        parts.append(f"{header}\n{buf.getvalue()}")
    return "---\n".join(parts)


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
    if path.exists():
        raise CampaignctlError(f"{path} already exists; not overwriting it (choose another "
                               "file with --out)")
    return path


def import_account(directory: Path, account: str, ids: list[str],
                   out: str | None = None) -> ImportOutcome:
    directory = Path(directory)
    ws = load_valid(directory)
    acc = ws.config.accounts.get(account)
    if acc is None:
        known = ", ".join(sorted(ws.config.accounts)) or "none"
        raise CampaignctlError(f"no provider account {account!r} in campaignctl.yaml "
                               f"(accounts: {known})")
    path = _target_path(directory, account, out)
    ids = list(dict.fromkeys(str(i).strip() for i in ids))
    ctx = RunContext(ws, open_store(ws.config), RunOptions())
    try:
        with ctx.store.locked():
            return asyncio.run(_import(ws, ctx, account, ids, path))
    finally:
        ctx.store.close()


async def _import(ws: Workspace, ctx: RunContext, account: str, ids: list[str],
                  path: Path) -> ImportOutcome:
    acc = ws.config.accounts[account]
    store = ctx.store
    bindings = store.bindings(account)
    by_id = {b.remote_id: b for b in bindings}
    already = [f"{i} (bound to {by_id[i].kind}/{by_id[i].name})" for i in ids if i in by_id]
    if already:
        raise CampaignctlError(f"already managed on account {account!r}: "
                               f"{', '.join(already)}; nothing imported")
    provider = VENDORS[acc.type].provider_class()(acc, ctx)
    try:
        found: list[ImportedResource] = await provider.import_resources(ids)
    finally:
        await provider.aclose()

    outcome = ImportOutcome()
    pending = {(b.kind, b.name): b for b in bindings if (b.data or {}).get("outcome_unknown")}
    taken = {kind: {r.name for r in ws.of_kind(kind)} | {b.name for b in store.bindings()
                                                         if b.kind == kind}
             for kind in {item.kind for item in found}}
    docs, binds = [], []
    for item in found:
        settle = next((key for key in pending if key[0] == item.kind and ws.get(*key) and
                       (ws.get(*key).spec.title or key[1]) == item.title), None)
        if settle is not None:
            pending.pop(settle)
            binds.append(Binding(account, item.kind, settle[1], item.remote_id))
            outcome.settled.append((f"{item.kind}/{settle[1]}", item.remote_id))
            continue
        name = unique_name(slugify(item.title), taken[item.kind],
                           f"{item.kind.lower()}-{item.remote_id}")
        docs.append({"kind": item.kind, "name": name, "provider": account, "spec": item.spec})
        binds.append(Binding(account, item.kind, name, item.remote_id))
        outcome.written.append((f"{item.kind}/{name}", item.remote_id, item.note))

    if docs:
        path.write_text(render_documents(docs, ws.directory))
        _, diagnostics = validate_directory(ws.directory)
        errors = errors_of(diagnostics)
        if errors:
            path.unlink()
            raise CampaignctlError(
                "the imported manifests do not validate, so nothing was written or bound:\n"
                + "\n".join(str(d) for d in errors))
        outcome.path = path
    with store.transaction():
        for b in binds:
            store.put_binding(b)
    return outcome
