"""Files a workspace names: its manifests, campaignctl.yaml, and the files manifests name
(`file:` of a ContactGroup or an OptOutList). Only regular files inside the workspace
directory are read: no absolute path, no `..` out of it, no symbolic link whose target is
outside it (checked after resolving), no FIFO, device or socket. In the pull-request flow
manifests come from the pull request's author while the plan job holds the vendor
credentials, so a manifest must not be able to read (and print) anything else.

Messages never quote a file's content; a name is quoted only as the manifest wrote it."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import itertools
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from reconciler.errors import CampaignctlError, Diagnostic, Location

MAX_NAME_BYTES = 255  # one path component (NAME_MAX on Linux and macOS)
MAX_PATH_BYTES = 1024
MAX_CSV_BYTES = 1 << 30  # 1 GiB: ten million contacts and more
MAX_CSV_LINE = 65_536  # characters in one CSV line

# Opened without blocking where the OS has the flag (POSIX: a FIFO would otherwise block the
# open until a writer comes); Windows has no FIFOs a path can name, nor the flag, so there
# the open simply blocks as any open does. O_BINARY: Windows would otherwise translate CRLF.
NONBLOCKING_READ = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                    | getattr(os, "O_BINARY", 0))


class FileRefused(CampaignctlError):
    """A named file that is not read; the message is fit to show as is. `location`: where
    the manifest names it, once known (see `at`), so that wherever it surfaces it is one
    positioned diagnostic."""

    location: Location | None = None

    def at(self, location: Location, owner: str) -> FileRefused:
        """This refusal placed at `location`, its message headed by `owner` (the resource
        naming the file); itself when already placed."""
        if self.location is not None:
            return self
        placed = FileRefused(f"{owner}: {self}")
        placed.location = location
        return placed

    def diagnostic(self, fallback: Location) -> Diagnostic:
        return Diagnostic(self.location or fallback, str(self))


class CsvRefused(csv.Error):
    """A CSV problem found below the csv module (a NUL byte), with its own position."""

    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def shown(text: str, limit: int = 60) -> str:
    """`text` quoted if it is short and printable, else only its length: a message never
    echoes a long or binary value (it could be anything the file held)."""
    if len(text) <= limit and text.isprintable():
        return repr(text)
    return f"(a value of {len(text)} characters, not shown)"


def printable(message: object, limit: int = 200) -> str:
    """A library's error message, control characters escaped and cut at `limit`."""
    text = str(message)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256
                       else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words (for refusals)."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def display_name(path: Path, directory: Path) -> str:
    """A workspace file as the user would name it: the workspace directory as they wrote it
    on the command line, then the path inside it (`campaigns/groups.yaml`, with the OS's
    separator). Where no relative path exists (Windows: another drive), the full path."""
    try:
        return str(Path(directory) / os.path.relpath(path, directory))
    except ValueError:
        return str(path)


def confined(name: object, base: Path, root: Path) -> Path:
    """The resolved path of `name` (as a manifest wrote it, relative to the manifest's
    folder `base`), refused unless it stays inside the workspace directory `root`."""
    if not isinstance(name, str) or not name:
        raise FileRefused("a file name must be a non-empty string")
    if "\x00" in name:
        raise FileRefused("a file name cannot hold a NUL character")
    encoded = name.encode("utf-8", errors="surrogateescape")
    if len(encoded) > MAX_PATH_BYTES or any(len(p.encode("utf-8", errors="surrogateescape"))
                                            > MAX_NAME_BYTES for p in re.split(r"[\\/]", name)):
        raise FileRefused(f"file name too long ({len(encoded)} bytes; the limit is "
                          f"{MAX_NAME_BYTES} per folder or file name, {MAX_PATH_BYTES} in all)")
    if (os.path.isabs(name) or name.startswith(("~", "/", "\\"))
            or os.path.splitdrive(name)[0]):  # Windows: `\x`, `C:x` and `C:\x` leave it
        raise FileRefused(f"file {shown(name)}: an absolute path is not allowed; name a file "
                          "inside the workspace, relative to the manifest")
    real_root = os.path.realpath(root)
    written = os.path.normpath(os.path.join(os.path.abspath(base), name))
    if not _inside(written, os.path.abspath(root)):
        raise FileRefused(f"file {shown(name)} is outside the workspace (`..` leads out of "
                          "it); files must be inside the workspace")
    try:
        real = os.path.realpath(os.path.join(base, name))
    except (OSError, ValueError):
        raise FileRefused(f"file {shown(name)} cannot be resolved") from None
    if not _inside(real, real_root):
        raise FileRefused(f"file {shown(name)} is outside the workspace (a symbolic link "
                          "leads out of it); files must be inside the workspace")
    return Path(real)


def open_regular(path: Path, max_bytes: int, what: str = "file") -> IO[bytes]:
    """`path` opened for reading if it is a regular file of at most `max_bytes`. Opened
    without blocking and without following a final symbolic link, then checked, so a
    FIFO or a device is refused instead of blocking or streaming forever."""
    flags = NONBLOCKING_READ | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(f"{what} is a symbolic link (not followed here)") from None
        if exc.errno == errno.ENOENT:
            raise FileRefused(f"{what} not found") from None
        raise FileRefused(f"cannot read {what}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{what} is {file_kind(info.st_mode)}, not a regular file; only "
                              "regular files are read")
        if info.st_size > max_bytes:
            raise FileRefused(f"{what} is {info.st_size / 2**20:,.1f} MiB, larger than the "
                              f"limit of {max_bytes / 2**20:,.0f} MiB")
        if NONBLOCKING_READ & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content (a regular file within MAX_CSV_BYTES)."""
    h = hashlib.sha256()
    with open_regular(path, MAX_CSV_BYTES, "CSV file") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_bytes(path: Path, root: Path, max_bytes: int) -> bytes:
    """A workspace file found by walking it (a manifest, campaignctl.yaml): refused when it
    resolves outside `root`, is not a regular file, or is larger than `max_bytes`."""
    real = os.path.realpath(path)
    if not _inside(real, os.path.realpath(root)):
        raise FileRefused("a symbolic link to outside the workspace; not read")
    if not os.path.lexists(path):
        raise FileRefused("cannot read file: not found")
    if os.path.islink(path) and not os.path.exists(path):
        raise FileRefused("cannot read file: a symbolic link to nothing")
    with open_regular(Path(real), max_bytes) as fh:
        data = fh.read(max_bytes + 1)  # the size can grow after the check
    if len(data) > max_bytes:
        raise FileRefused(f"file is larger than the limit of {max_bytes / 2**20:,.0f} MiB")
    return data


def open_csv(path: Path, sha256: Any = None) -> IO[str]:
    """A CSV named by a manifest (already `confined`), as text for `csv.reader`. With
    `sha256` (a hashlib object), every byte read is hashed on the way: the digest is then
    that of the very bytes the reader saw."""
    binary = open_regular(path, MAX_CSV_BYTES, "CSV file")
    if sha256 is not None:
        binary = io.BufferedReader(_Hashing(binary, sha256), 1 << 20)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


class _Hashing(io.RawIOBase):
    """A binary stream that hashes what is read from it."""

    def __init__(self, source: IO[bytes], sha256: Any):
        self.source, self.sha256 = source, sha256

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.source.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
        return n

    def close(self) -> None:
        self.source.close()
        super().close()


def bounded_lines(fh: IO[str], limit: int = MAX_CSV_LINE) -> Iterator[str]:
    """The lines of `fh` (split as `open(newline="")` splits them), none longer than
    `limit` characters: a one-line file of a gigabyte is refused at its first `limit`
    characters instead of filling memory. Read in chunks of `limit`, split in C and
    chained in C, so the bound costs nothing per row."""
    return itertools.chain.from_iterable(_bounded_chunks(fh, limit))


def _bounded_chunks(fh: IO[str], limit: int) -> Iterator[list[str]]:
    carry, read, before = "", fh.read, 0
    while chunk := read(limit):
        if "\x00" in chunk:  # one C search per chunk: a NUL byte is refused where it is
            _nul(carry + chunk, before)
        lines = io.StringIO(carry + chunk if carry else chunk, newline="").readlines()
        # Only a line continued from the last chunk can be longer than one chunk.
        if carry and len(lines[0]) > limit:
            raise csv.Error(f"a line longer than {limit:,} characters (the limit for a CSV "
                            "row)")
        carry = lines.pop() if not lines[-1].endswith("\n") else ""
        before += len(lines)
        yield lines
    if carry:
        yield [carry]


def _nul(text: str, before: int) -> None:
    at = text.index("\x00")
    lines = io.StringIO(text[:at], newline="").readlines()
    col = len(lines[-1]) + 1 if lines and not lines[-1].endswith(("\n", "\r")) else 1
    line = before + len(lines) + (0 if col > 1 else 1)
    raise CsvRefused(line, col, "a NUL byte (\\0) is not allowed in a CSV file")


def header_names(columns: list[str], unknown: list[str]) -> list[str]:
    """Unknown CSV header names as shown in an error: quoted when short and printable,
    else by position only (the file's content is not echoed)."""
    out = []
    for name in unknown:
        if len(name) <= 40 and name.isprintable():
            out.append(repr(name))
        else:
            out.append(f"column {columns.index(name) + 1} (its name is not shown: long or "
                       "not printable)")
    return out


MAX_BODY_BYTES = 5 * 1024 * 1024  # a message body (`body_file:`)


def read_text(name: object, base: Path, root: Path, max_bytes: int = MAX_BODY_BYTES) -> str:
    """The UTF-8 text of a file a manifest names (a message body), confined like a CSV."""
    path = confined(name, base, root)
    with open_regular(path, max_bytes, f"file {shown(str(name))}") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRefused(f"file {shown(str(name))} is larger than the limit of "
                          f"{max_bytes / 2**20:,.0f} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"file {shown(str(name))} is not UTF-8 text ({exc.reason})") from None
