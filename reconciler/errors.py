"""Error types shared by every layer. Each carries a message fit to show a user as-is."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.render.escape import printable


@dataclass(frozen=True, order=True)
class Location:
    """Where a YAML (or CSV) node came from: 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        path = printable(self.path)
        if self.line:
            return f"{path}:{self.line}:{self.col}"
        return path


@dataclass(frozen=True)
class Diagnostic:
    """One validation finding, printed as `path:line:col: message`."""

    location: Location
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        """One line: control characters, line breaks and bidi overrides of the message
        (a kind, a name, a key written in a manifest) escaped, never printed raw."""
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.location}: {prefix}{printable(self.message)}"


class CampaignctlError(Exception):
    """An error the CLI prints as one clear line (no traceback) and exits 1 on."""


@dataclass
class ValidationFailed(CampaignctlError):
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class ApiError(CampaignctlError):
    """The vendor answered with an error (4xx, or 5xx after retries on a safe request)."""

    def __init__(self, vendor: str, method: str, path: str, status: int, detail: str):
        self.vendor, self.method, self.path, self.status, self.detail = (
            vendor, method, path, status, detail)
        super().__init__(f"{vendor}: {method} {path} failed with HTTP {status}: {detail}")


class OutcomeUnknown(CampaignctlError):
    """A write may or may not have been processed (lost response, timeout after send, 5xx).

    Never retried blindly: callers read back, or record the outcome as unknown."""

    def __init__(self, vendor: str, method: str, path: str, reason: str):
        self.vendor, self.method, self.path, self.reason = vendor, method, path, reason
        super().__init__(
            f"{vendor}: outcome of {method} {path} is unknown ({reason}); it was not retried")


class NotSentError(CampaignctlError):
    """A request that certainly never reached the vendor (connect failure after retries)."""


class RequestNotBuilt(NotSentError):
    """Our own HTTP stack refused to build the request (a header value with a line break, a
    malformed URL): nothing left this machine. The message never quotes the request."""
