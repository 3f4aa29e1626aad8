"""`campaignctl fmt [DIR] [--check]`: one canonical layout for every YAML file a workspace
loads (its manifests and campaignctl.yaml), so a diff in review shows what changed, not
who formatted it.

- The envelope's keys in one order (`ENVELOPE_ORDER`: kind, name, provider, for_each,
  lifecycle, spec), the order `import` writes; campaignctl.yaml keeps its own order.
- Two spaces per level, list items indented under their key (`  - x`).
- A quoted string in double quotes (single quotes kept when the text holds `"` or `\\`);
  plain and block (`|`, `>`) scalars, flow and block collections stay as written.
- Comments stay: ruamel.yaml's round trip; a comment above a key moves with the key. A
  document ruamel.yaml would lose a comment of (one inside a flow collection written over
  several lines, `contacts: [ # the VIPs`) is kept exactly as written: every comment of
  the input is in the output, counted after formatting.
- A file keeps its permission bits (a mode-600 manifest stays 600).

A file is written only when its documents read the same before and after (the loader
`validate` uses is the judge); a file that is not valid YAML is refused with
`file:line:col`, and the others are still formatted."""

from __future__ import annotations

import bisect
import io
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from reconciler import workspace_files
from reconciler.config import CONFIG_FILE
from reconciler.errors import Diagnostic, Location
from reconciler.kinds import ENVELOPE_ORDER
from reconciler.yamlsource import MAX_FILE_BYTES, decode_utf8, parse_text, plain

_Loader = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)  # libyaml's scanner when built
WIDTH = 4096  # never re-wrap a long line: a manifest's text is the author's


def manifest_yaml() -> YAML:
    """The one YAML writer for manifests: `fmt` and `import` write the same layout."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    return yaml


# --- comments: a comment above a key travels with it when the keys are reordered ----------
# ruamel.yaml keeps the lines after a value (its end-of-line comment, then any comment
# lines before the next key) in one token after the deepest last value.

def _slot(container: CommentedBase, key: Any) -> tuple[list, int]:
    """Where the token after `container[key]` lives (descending into block collections)."""
    value = container[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) \
            and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _slot(value, last)
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    return entry, 2 if isinstance(container, CommentedMap) else 0


def _detach(m: CommentedMap, key: Any) -> str:
    """The comment lines after `m[key]`'s line (those above the next key), removed."""
    entry, i = _slot(m, key)
    token = entry[i]
    if token is None or "\n" not in token.value:
        return ""
    head, _, rest = token.value.partition("\n")
    if head.strip():
        token.value = head + "\n"
    else:
        entry[i] = None
    return rest


def _attach(m: CommentedMap, key: Any, lines: str) -> None:
    if not lines:
        return
    entry, i = _slot(m, key)
    if entry[i] is None:
        entry[i] = CommentToken("\n" + lines, CommentMark(0), None)
    else:
        entry[i].value += lines


def _reorder(m: CommentedMap, order: tuple[str, ...]) -> None:
    keys = list(m.keys())
    wanted = [k for k in order if k in m] + [k for k in keys if k not in order]
    if wanted == keys:
        return
    after = {k: _detach(m, k) for k in keys}
    above = {k: after[prev] for prev, k in zip(keys, keys[1:], strict=False)}
    tail = after[keys[-1]]  # comment lines at the end of the document stay there
    values = {k: m[k] for k in keys}
    items = {k: m.ca.items.pop(k, None) for k in keys}
    for k in keys:
        del m[k]
    for k in wanted:
        m[k] = values[k]
        if items[k] is not None:
            m.ca.items[k] = items[k]
    first = above.get(wanted[0], "")
    if m.ca.comment is None or not m.ca.comment[1]:
        first = first.lstrip("\n")  # a document does not start with blank lines
    if first:
        if m.ca.comment is None:
            m.ca.comment = [None, []]
        if m.ca.comment[1] is None:
            m.ca.comment[1] = []
        m.ca.comment[1].append(CommentToken(first, CommentMark(0), None))
    for prev, k in zip(wanted, wanted[1:], strict=False):
        _attach(m, prev, above.get(k, ""))
    _attach(m, wanted[-1], tail)


def _quotes(value: Any) -> Any:
    """Single-quoted strings in double quotes, unless the text holds `"` or `\\`."""
    if isinstance(value, SingleQuotedScalarString) and not re.search(r'["\\]', value) \
            and value.isprintable() and value.yaml_anchor() is None:
        return DoubleQuotedScalarString(str(value))
    if isinstance(value, CommentedMap):
        for k, v in list(value.non_merged_items()):
            value[k] = _quotes(v)
    elif isinstance(value, CommentedSeq):
        for i, item in enumerate(value):
            value[i] = _quotes(item)
    return value


# --- documents ------------------------------------------------------------------------------

_DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?$")


def _documents(text: str) -> list[str]:
    """The text of each document (split at `---` lines, which YAML allows nowhere else at
    column 0); the `---` lines themselves are not kept."""
    chunks, current = [], []
    for line in text.splitlines(keepends=True):
        if _DOCUMENT_START.match(line.rstrip("\r\n")):
            chunks.append("".join(current))
            current = [line[3:].lstrip(" \t")] if line[3:].strip() else []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks


def _format_document(text: str, reorder: bool) -> str:
    yaml = manifest_yaml()
    data = yaml.load(text)
    if data is None:  # comments or nothing: nothing to lay out, keep it as written
        return text
    if reorder and isinstance(data, CommentedMap):
        _reorder(data, ENVELOPE_ORDER)
    data = _quotes(data)
    buf = io.StringIO()
    yaml.dump(data, buf)
    out = buf.getvalue()
    if Counter(comments(out)) != Counter(comments(text)):
        return text  # a comment ruamel.yaml would drop: the document stays as written
    return out


_COMMENT_START = re.compile(r"(?:^|(?<=[ \t]))#", re.M)


def comments(text: str) -> list[str]:
    """Every comment of a YAML text (`# ...` to the end of its line, stripped), in order:
    a `#` at a line's start or after a space, outside every scalar (libyaml's scanner
    gives their spans, quoted and block scalars included)."""
    try:
        spans = [(t.start_mark.index, t.end_mark.index)
                 for t in pyyaml.scan(text, Loader=_Loader)
                 if isinstance(t, pyyaml.ScalarToken)]
    except pyyaml.YAMLError:
        spans = []
    starts = [a for a, _ in spans]
    out = []
    for m in _COMMENT_START.finditer(text):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and spans[i][0] <= m.start() < spans[i][1]:
            continue  # a `#` inside a scalar
        end = text.find("\n", m.start())
        out.append(text[m.start():end if end >= 0 else len(text)].rstrip())
    return out


def format_text(text: str, manifest: bool = True) -> str:
    """The canonical layout of one YAML file's text (raises ruamel's YAMLError).
    Idempotent: formatting the result again changes nothing."""
    out = _format_once(text, manifest)
    for _ in range(3):  # ruamel may settle a moved comment on its second read
        again = _format_once(out, manifest)
        if again == out:
            break
        out = again
    return out


def _format_once(text: str, manifest: bool) -> str:
    chunks = _documents(text.replace("\r\n", "\n"))
    if len(chunks) > 1 and not chunks[0].strip():
        chunks = chunks[1:]  # a leading `---` says nothing
    docs = [_format_document(c, manifest) for c in chunks]
    while len(docs) > 1 and not docs[-1].strip():
        docs.pop()  # a trailing `---` neither
    return "---\n".join(_end(d) for d in docs)


_KEEP_CHOMPING = re.compile(r"[|>][0-9]?\+")  # `|+`: trailing blank lines are the text's


def _end(doc: str) -> str:
    """One newline at the end of a document: no blank lines before the next `---`."""
    if not doc.strip():
        return doc
    return doc if _KEEP_CHOMPING.search(doc) else doc.rstrip() + "\n"


# --- the command ----------------------------------------------------------------------------

@dataclass
class FormatOutcome:
    changed: list[Path] = field(default_factory=list)  # rewritten, or (--check) to rewrite
    checked: int = 0
    problems: list[Diagnostic] = field(default_factory=list)


def yaml_files(directory: Path) -> list[Path]:
    """campaignctl.yaml and every manifest file the workspace loads."""
    from reconciler.workspace import manifest_files

    config = directory / CONFIG_FILE
    return ([config] if config.is_file() else []) + manifest_files(directory)


def format_file(path: Path, name: str, root: Path | None = None,
                ) -> tuple[str | None, str | None, list[Diagnostic]]:
    """(the file's text, its canonical text, problems); (None, None, problems) when the file
    cannot be read as YAML, or (with `root`) is not a regular file inside that workspace."""
    try:
        data = workspace_files.read_bytes(path, root or path.parent, MAX_FILE_BYTES)
    except workspace_files.FileRefused as exc:
        return None, None, [Diagnostic(Location(name), str(exc))]
    text, bad = decode_utf8(data)
    if text is None:
        return None, None, [Diagnostic(Location(name, *bad), "not UTF-8 text (an invalid byte "
                                                             "here)")]
    before, problems = parse_text(text, name)
    if problems:
        return None, None, problems
    try:
        formatted = format_text(text, manifest=path.name != CONFIG_FILE)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        return None, None, [Diagnostic(where, f"not valid YAML: {exc.problem or exc}")]
    except YAMLError as exc:
        return None, None, [Diagnostic(Location(name), f"not valid YAML: {exc}")]
    after, problems = parse_text(formatted, name)
    if problems or [plain(d.data) for d in after] != [plain(d.data) for d in before]:
        # Never write a file whose meaning would change; a bug of ours if it happens.
        return None, None, [Diagnostic(Location(name), "left as it is: formatting it would "
                                       "change what it says (please report this)")]
    return text, formatted, []


def format_directory(directory: Path, check: bool = False) -> FormatOutcome:
    """Format every YAML file of the workspace in place (`check`: change nothing, only
    list the files that are not formatted)."""
    outcome = FormatOutcome()
    for path in yaml_files(directory):
        name = workspace_files.display_name(path, directory)
        text, formatted, problems = format_file(path, name, directory)
        outcome.problems += problems
        if text is None or formatted is None:
            continue
        outcome.checked += 1
        if formatted == text:
            continue
        outcome.changed.append(Path(name))
        if not check:
            _replace(path.resolve(), formatted)  # a link inside the workspace stays a link
    return outcome


def _replace(real: Path, text: str) -> None:
    """`real`'s content replaced at once (a temporary file renamed over it), its
    permission bits kept: the temporary file is created readable by its owner only and
    given the original's mode before it takes its place."""
    mode = stat.S_IMODE(os.stat(real).st_mode)
    tmp = real.with_name(f".{real.name}.fmt.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
