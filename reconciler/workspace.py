"""Loading a workspace: campaignctl.yaml plus every manifest file under the directory."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler import workspace_files
from reconciler.config import CONFIG_FILE, WorkspaceConfig, load_config
from reconciler.contacts import Contact, ContactError, CsvProblem, EmailSet, read_csv, scan_csv
from reconciler.errors import Diagnostic, Location
from reconciler.foreach import Template, expand
from reconciler.kinds import KIND_ORDER, Envelope, Lifecycle
from reconciler.kinds.vendor_blocks import spec_model
from reconciler.suggest import did_you_mean, model_fields_at
from reconciler.var_overrides import Overrides
from reconciler.variables import Budget
from reconciler.yamlsource import SourceDoc, load_file, plain

MAX_CSV_PROBLEMS = 20  # reported per file; the rest are counted


@dataclass
class CsvScan:
    problems: list[CsvProblem] = field(default_factory=list)
    extra: int = 0  # problems beyond MAX_CSV_PROBLEMS
    emails: tuple[int, int] = (0, 0)  # EmailSet.summary() of the contacts with an email
    summarized: bool = True  # False: checked only (`validate`), `emails` not computed
    sha256: str | None = None  # of the CSV bytes this pass checked (None: no CSV, or `validate`)

    @property
    def clean(self) -> bool:
        return not self.problems and not self.extra


@dataclass
class Resource:
    """One manifest document, parsed, with its source position."""

    kind: str
    name: str
    provider: str
    spec: Any
    lifecycle: Lifecycle
    doc: SourceDoc
    directory: Path  # the manifest's folder (CSV files are relative to it)
    root: Path | None = None  # the workspace directory, which named files cannot leave
    template: Template | None = None  # the for_each document it was expanded from
    # Set for the contacts of a send-only account, whose every plan builds audiences from
    # them: the CSV's valid rows are then kept after its one pass (validate's), not read
    # again by the plan, the send-window check or an apply's read-back.
    keep_rows: bool = False
    _scan: CsvScan | None = field(default=None, repr=False, compare=False)
    _rows: list[Contact] | None = field(default=None, repr=False, compare=False)
    # An opt-out list's CSV addresses (each valid row's email and phone), kept by its one
    # pass when its rows are not: the diff and every campaign's audience use them again.
    _addresses: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def location(self) -> Location:
        return self.doc.start

    def locate(self, *loc: str | int) -> Location:
        return self.doc.locate(("spec", *loc))

    def csv_path(self) -> Path | None:
        """The named CSV, resolved inside the workspace (FileRefused, placed at `file:`, if
        it is not)."""
        file = getattr(self.spec, "file", None)
        if not file:
            return None
        with self.reading():
            return workspace_files.confined(file, self.directory, self.root or self.directory)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A refusal of its file raised inside is placed at `file:` and named after this
        resource, so every caller (a policy rule, a vendor's, the plan) reports it as one
        positioned diagnostic."""
        try:
            yield
        except workspace_files.FileRefused as exc:
            raise exc.at(self.locate("file"), self.address) from None

    def files(self) -> list[Path]:
        """Files whose content is part of this resource (its CSV, its body file)."""
        out = []
        for key in ("file", "body_file"):
            name = getattr(self.spec, key, None)
            if name:
                try:
                    out.append(workspace_files.confined(name, self.directory,
                                                        self.root or self.directory))
                except workspace_files.FileRefused as exc:
                    raise exc.at(self.locate(key), self.address) from None
        return out

    def scan(self, summary: bool = True) -> CsvScan:
        """One pass over the inline contacts and the CSV, done once per command: the CSV's
        problems (for validate) and the email->name set's summary (for the diff; `summary`
        False: the problems only). With `keep_rows`, the same pass keeps the valid rows."""
        if self._scan is None or (summary and not self._scan.summarized):
            out = CsvScan(summarized=summary)
            emails = EmailSet()
            for entry in getattr(self.spec, "contacts", []):
                c = entry.contact()
                if c.email:
                    emails.add(c.email, c.name)
            path = self.csv_path()
            if path is not None and path.exists():  # opening words why it is not a file
                with self.reading():
                    self._scan_file(path, out, emails, summary)
            out.emails = emails.summary()
            self._scan = out
        return self._scan

    def _scan_file(self, path: Path, out: CsvScan, emails: EmailSet, summary: bool) -> None:
        """The CSV part of scan(): its problems into `out`, its emails into `emails`."""
        def problem(p: CsvProblem) -> None:
            if len(out.problems) < MAX_CSV_PROBLEMS:
                out.problems.append(p)
            else:
                out.extra += 1
        # The digest, for the record an apply keeps (checked_csv), is of the very
        # bytes checked; `validate` (no summary) keeps no record.
        sha256 = hashlib.sha256() if summary else None
        if self.keep_rows:
            if self._rows is None:
                self._rows = _kept_rows(path, problem, sha256)
                out.sha256 = sha256.hexdigest() if sha256 else None
            else:  # kept by an earlier pass that reported its problems already
                out.problems, out.extra = self._scan.problems, self._scan.extra
                out.sha256 = self._scan.sha256
            if summary:
                for c in self._rows:
                    if c.email:
                        emails.add(c.email, c.name)
        else:
            addresses: list[str] | None = [] if self.kind == "OptOutList" else None
            scan_csv(path, emails if summary else None, problem, sha256, addresses)
            out.sha256 = sha256.hexdigest() if sha256 else None
            self._addresses = addresses

    def clean_csv_digest(self) -> str | None:
        """The SHA-256 of its CSV if this command checked every row of it and found no
        problem (None otherwise: no CSV, not checked yet, or a problem)."""
        scan = self._scan
        return scan.sha256 if scan is not None and scan.clean else None

    def csv_contacts(self) -> Iterator[Contact]:
        """The CSV's valid rows (rows with problems are skipped: validation reports them):
        the kept ones, or streamed from the file."""
        if self.keep_rows:
            self.scan(summary=False)
            yield from self._rows or ()
            return
        path = self.csv_path()
        if path is not None and path.is_file():
            with self.reading():
                for _, row in read_csv(path):
                    if isinstance(row, Contact):
                        yield row

    def iter_contacts(self) -> Iterator[Contact]:
        """Inline contacts, then the CSV's rows, streamed (rows with problems are skipped:
        validation reports them)."""
        for entry in getattr(self.spec, "contacts", []):
            yield entry.contact()
        yield from self.csv_contacts()

    def iter_addresses(self) -> Iterator[str]:
        """Opt-out list entries: inline, then the CSV's."""
        yield from getattr(self.spec, "entries", [])
        yield from self.csv_addresses()

    def csv_addresses(self) -> Iterator[str]:
        """An opt-out list's CSV addresses: each valid row's email and phone (a row with
        both opts out both), from the command's one pass over the file."""
        if self.kind == "OptOutList" and not self.keep_rows:
            self.scan(summary=False)
            yield from self._addresses or ()
            return
        for row in self.csv_contacts():
            if row.email:
                yield row.email
            if row.phone:
                yield row.phone


def _kept_rows(path: Path, problem: Callable[[CsvProblem], None], sha256: Any,
               ) -> list[Contact]:
    rows = []
    for _, row in read_csv(path, sha256):
        if isinstance(row, Contact):
            rows.append(row)
        else:
            problem(row)
    return rows


@dataclass
class Workspace:
    directory: Path
    config: WorkspaceConfig
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)
    # Every (kind, name) a document declared, even one whose spec did not parse: a
    # reference to it is not "dangling" (its own error is reported once, where it is).
    declared: set[tuple[str, str]] = field(default_factory=set)
    # What is derived from the manifests once per command and reused (they do not change
    # under a command), e.g. a send-only campaign's deduplicated recipients.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # Resources whose CSV rows are still to be checked (validate_workspace's `defer`): the
    # plan checks them while its reads are in flight, before any diff.
    unchecked: list[Resource] = field(default_factory=list, repr=False, compare=False)

    def get(self, kind: str, name: str) -> Resource | None:
        return self.resources.get((kind, name))

    def file_digest(self, path: Path) -> str:
        """The SHA-256 of a file a manifest names, hashed once per command (FileRefused as
        workspace_files.file_sha256): the plan, the record of what was applied and the
        read-back all digest the same bytes."""
        key = ("sha256", path)
        if key not in self.memo:
            self.memo[key] = workspace_files.file_sha256(path)
        return self.memo[key]

    def of_kind(self, kind: str) -> list[Resource]:
        return [r for (k, _), r in self.resources.items() if k == kind]

    def for_account(self, account: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.provider == account]

    def ordered(self) -> list[Resource]:
        return sorted(self.resources.values(),
                      key=lambda r: (KIND_ORDER.index(r.kind), r.name))


def manifest_files(directory: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(directory):
        # Hidden folders (.campaignctl state, .git, .github) hold no manifests; a folder
        # with its own campaignctl.yaml is a workspace of its own.
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (Path(root) / d / CONFIG_FILE).is_file())
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")) and not (Path(root) == Path(directory)
                                                      and f == CONFIG_FILE):
                out.append(Path(root) / f)
    return out


def pydantic_message(err: dict, show_contacts: bool = False,
                     known: Iterable[str] = ()) -> str:
    """`known`: the fields accepted where an unknown one was found (for "did you mean")."""
    loc = ".".join(str(p) for p in err["loc"] if p not in ("function-after",))
    if err["type"] == "extra_forbidden":
        return f"unknown field `{err['loc'][-1]}`" + (f" in {loc.rsplit('.', 1)[0]}"
                                                       if "." in loc else "") + did_you_mean(
            str(err["loc"][-1]), known)
    msg = err["msg"]
    cause = (err.get("ctx") or {}).get("error")
    if show_contacts and isinstance(cause, ContactError):
        msg = cause.shown  # the address itself, only when asked for
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if err["type"] == "literal_error":
        if tuple(err["loc"]) == ("kind",):
            return (f"unknown kind {err.get('input')!r}"
                    f"{did_you_mean(str(err.get('input')), KIND_ORDER)}: "
                    + msg.replace("Input should be", "expected"))
        msg = msg.replace("Input should be", "expected")
    return f"{loc}: {msg}" if loc else msg


def parse_document(doc: SourceDoc, directory: Path) -> tuple[Resource | None, list[Diagnostic]]:
    resource, _, errors = _parse(doc, directory)
    return resource, errors


def _parse(doc: SourceDoc, directory: Path, root: Path | None = None,
           template: Template | None = None, show_contacts: bool = False,
           ) -> tuple[Resource | None, Envelope | None, list[Diagnostic]]:
    """(resource, envelope, problems): the envelope is kept when only the spec is wrong."""
    label = f"{template.label}: " if template else ""  # which expansion of a template
    data = plain(doc.data)
    if not isinstance(data, dict):
        return None, None, [Diagnostic(doc.start, "a manifest must be a mapping with kind, "
                                                  "name, provider and spec")]
    try:
        env = Envelope.model_validate(data)
    except ValidationError as exc:
        return None, None, [_diag(doc, (), err, label, model=Envelope)
                            for err in exc.errors()]
    model = spec_model(env.kind)
    try:
        spec = model.model_validate(env.spec)
    except ValidationError as exc:
        return None, env, [_diag(doc, ("spec",), err, label, show_contacts, model)
                           for err in exc.errors()]
    resource = Resource(env.kind, env.name, env.provider, spec, env.lifecycle, doc, directory,
                        root, template)
    body_file = getattr(spec, "body_file", None)
    if body_file:
        try:
            spec.body = workspace_files.read_text(body_file, directory, root or directory)
        except workspace_files.FileRefused as exc:
            return None, env, [Diagnostic(resource.locate("body_file"),
                                          f"{resource.address}: body_file: {exc}")]
    return resource, env, []


def _diag(doc: SourceDoc, prefix: tuple, err: dict, label: str = "",
          show_contacts: bool = False, model: type[BaseModel] | None = None) -> Diagnostic:
    known = (model_fields_at(model, err["loc"][:-1])
             if model is not None and err["type"] == "extra_forbidden" else ())
    loc = (*prefix, *err["loc"])
    where = doc.locate_key(loc) if err["type"] == "extra_forbidden" else doc.locate(loc)
    err = {**err, "loc": loc}
    return Diagnostic(where, label + pydantic_message(err, show_contacts, known))


def expanded_documents(directory: Path, config: WorkspaceConfig | None,
                       diagnostics: list[Diagnostic]) -> Iterator[tuple[Path, SourceDoc,
                                                                        Template | None]]:
    """Every manifest document, templates expanded and ${var.NAME} substituted. Without a
    config (it has errors of its own) documents are read as written, for their syntax."""
    sizes: dict[int, tuple[int, int]] = {}  # each variable's size, measured once
    for path in manifest_files(directory):
        docs, errors = load_file(path, workspace_files.display_name(path, directory), directory)
        diagnostics.extend(errors)
        budget = Budget.of(docs[0], sizes) if docs else None  # the file's limits
        for doc in docs:
            if doc.broken or budget.spent:
                yield path, SourceDoc(doc.path, doc.index, doc.data, doc.start, True), None
                continue
            expanded, errors = expand(doc, config.variables if config else {}, budget)
            if config is not None:
                diagnostics.extend(errors)
            for edoc, template in expanded:
                yield path, edoc, template


def load_workspace(directory: Path, env: dict[str, str] | None = None,
                   environment: str | None = None, *,
                   offline: bool = False, show_contacts: bool = False,
                   overrides: Overrides | None = None,
                   ) -> tuple[Workspace | None, list[Diagnostic]]:
    """Parse config and manifests. Returns every syntax/schema/duplicate problem at once;
    references and vendor rules are checked by `validate`. `offline`: secrets from the
    environment may be missing (validate needs none; plan and apply report them)."""
    directory = Path(directory)
    if not directory.is_dir():
        return None, [Diagnostic(Location(str(directory)), "not a directory")]
    config, diagnostics = load_config(directory, env, environment, offline=offline,
                                      overrides=overrides)
    if not (directory / CONFIG_FILE).is_file():  # no workspace: nothing else to read
        return None, diagnostics
    resources: dict[tuple[str, str], Resource] = {}
    first_seen: dict[tuple[str, str], Location] = {}
    for path, doc, template in expanded_documents(directory, config, diagnostics):
        if doc.broken:  # its problems are reported; still declared, so no dangling refs
            key = _declared(doc)
            if key is not None and key not in first_seen:
                first_seen[key] = doc.start
            continue
        resource, env, errors = _parse(doc, path.parent, directory, template, show_contacts)
        diagnostics.extend(errors)
        if env is None:
            continue
        key = (env.kind, env.name)
        if key in first_seen:
            diagnostics.append(Diagnostic(
                doc.locate(("name",)),
                f"duplicate {env.kind} name {env.name!r} (first defined at "
                f"{first_seen[key]})"))
            continue
        first_seen[key] = doc.start
        if resource is not None:
            resources[key] = resource
    if config is None:
        return None, diagnostics
    return Workspace(directory, config, resources, set(first_seen)), diagnostics


def _declared(doc: SourceDoc) -> tuple[str, str] | None:
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("kind"), str) and isinstance(
            data.get("name"), str):
        return data["kind"], data["name"]
    return None


def spec_dump(spec: BaseModel) -> dict[str, Any]:
    return spec.model_dump(mode="json", by_alias=True, exclude_none=True)


__all__ = ["Resource", "Workspace", "load_workspace", "CsvProblem"]
