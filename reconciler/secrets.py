"""Secret values, and the one place that masks them in whatever text leaves the process or
is stored.

Every credential of a run is held as a `Secret` (config.py wraps each account's credentials,
the PostgreSQL store its DSN and password), and creating one registers its value with the
run's `Redactor`. Text built from a request or a response (a vendor's error echoing our
headers, a URL with Connectly's business id in its path, a driver error quoting a DSN) is
masked by `redact()` at the points where text leaves or is kept: the HTTP layer's errors and
request log, the send ledger's error column, the CLI's stdout and stderr (every message,
log line and traceback), the saved plan and the apply report. A value is masked in every
form it travels in: as is, URL-encoded (a path, a query string), form-encoded and
JSON-escaped (a body).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO
from urllib.parse import quote, quote_plus

MASK = "****"
#: Shorter values are not masked: "key" would turn every "api-key" into "api-****", and a
#: credential that short guards nothing.
MIN_LENGTH = 4
#: The word before the credential in an Authorization header: no secret.
AUTH_SCHEMES = frozenset({"token", "bearer", "basic"})


class Secret:
    """Wraps a credential. str()/repr()/format() never reveal it; `.reveal()` does.
    Creating one makes the run's redactor mask its value everywhere."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value
        run.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def forms(value: str) -> set[str]:
    """Every form `value` can travel in: as is, URL- and form-encoded, JSON-escaped."""
    out = {value, quote(value, safe=""), quote(value), quote_plus(value),
           json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return {v for v in out if len(v) >= MIN_LENGTH}


class Redactor:
    """Knows credential values and masks them (each in every form it travels in) in text."""

    def __init__(self, values: Iterable[str] = ()):
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._patterns: tuple[str, ...] = ()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if not isinstance(value, str) or len(value) < MIN_LENGTH:
            return
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            found = set(self._patterns) | forms(value)
            # The whole value before any part of it, so no fragment is left behind.
            self._patterns = tuple(sorted(found, key=len, reverse=True))

    def add_header(self, value: str) -> None:
        """A header value: the whole of it, and each word but an auth scheme
        ("Bearer KEY" masks KEY; "Bearer" is no secret)."""
        self.add(value)
        for word in value.split():
            if word.lower() not in AUTH_SCHEMES:
                self.add(word)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._patterns = ()

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def mask(self, text: str) -> str:
        for pattern in self._patterns:
            if pattern in text:
                text = text.replace(pattern, MASK)
        return text

    def holds_secret(self, text: str) -> bool:
        return any(p in text for p in self._patterns)


#: The credentials of this run. The CLI starts each command with an empty one (main());
#: every Secret created adds to it.
run = Redactor()


def redact(text: str, secrets: Iterable[Secret] = ()) -> str:
    """`text` with every credential of the run (and any `secrets` given) masked. The one
    function every output and every stored text built from a request or a response goes
    through."""
    if not isinstance(text, str):
        text = str(text)
    extra = [s.reveal() for s in secrets]
    if extra:
        run_and_extra = Redactor(extra)
        text = run_and_extra.mask(text)
    return run.mask(text)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


class _WriteOnly:
    """What a write-only stream answers about itself (io.IOBase's questions)."""

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


class _RedactingBinary(_WriteOnly):
    """The bytes side of a RedactingStream (click writes bytes to `buffer`): masked too."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw

    def write(self, data: bytes) -> int:
        if run:
            data = run.mask(bytes(data).decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape")
        self._raw.write(data)
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    @property
    def closed(self) -> bool:
        return self._raw.closed


class RedactingStream(_WriteOnly):
    """A text stream (the CLI's stdout or stderr) that masks the run's credentials in
    every write; its `buffer`, if the stream has one, masks what is written as bytes."""

    def __init__(self, stream: IO[str]):
        self._stream = stream
        raw = getattr(stream, "buffer", None)
        if raw is not None:
            self.buffer = _RedactingBinary(raw)

    def write(self, text: str) -> int:
        self._stream.write(run.mask(text) if run else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")

    @property
    def errors(self) -> str | None:
        return getattr(self._stream, "errors", "strict")

    @property
    def closed(self) -> bool:
        return self._stream.closed


@contextmanager
def redacted_output() -> Iterator[None]:
    """One command of the CLI: a run with no credential known yet, whose stdout and stderr
    (messages, log lines, tracebacks) mask each credential it comes to know."""
    run.clear()
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(out), RedactingStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
