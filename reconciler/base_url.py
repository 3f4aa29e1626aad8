"""What an account's `base_url` may hold, checked at validate time with the HTTP client's own
parser (so `plan` never meets an URL httpx refuses): `sandbox`, `https://`, `http://` to this
machine, or plain http elsewhere only with `allow_insecure_http: true`."""

from __future__ import annotations

import re
from typing import Any

#: what base_url holds: `sandbox`, an http(s) URL, or a ${VAR} giving either
BASE_URL_PATTERN = r"^(sandbox|[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+\S*|.*\$\{[A-Za-z_][A-Za-z0-9_]*\}.*)$"
_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[::1\])$", re.I)


def _url_problem(url: str) -> str | None:
    """What the HTTP client (httpx) would refuse in `url` when the first request is built,
    found here so that `validate` says it at the line: an unclosed `[::1`, a port that is
    not a number or out of range, a host IDNA cannot encode; and what must not be in a
    base URL at all: credentials (they come from the environment), a query, a fragment."""
    import httpx  # here, not at load: `validate` never imports the HTTP layer

    try:
        parsed = httpx.URL(url)
        parsed.host.encode("idna")  # what the transport does with it
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return f"is not a valid URL ({str(exc).split(chr(10))[0][:80]})"
    if not parsed.host:
        return "has no host"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return f"has port {parsed.port}, outside 1-65535"
    if parsed.userinfo:
        return ("holds a user name or password: credentials come from the environment "
                "(the account's credential keys), never from campaignctl.yaml")
    if parsed.query or parsed.fragment or url.rstrip().endswith(("?", "#")):
        return "must not hold a query (`?`) or fragment (`#`)"
    return None


def check_base_url(base_url: Any, allow_insecure: Any) -> tuple[str | None, bool]:
    """(problem, insecure): `https://`, `sandbox`, or `http://` to a loopback address (a
    local emulator); plain http to any other host only with `allow_insecure_http: true`,
    since the account's credentials would cross the network unencrypted."""
    if not isinstance(allow_insecure, bool):
        return "allow_insecure_http must be true or false", False
    if base_url == "sandbox":
        return None, False
    if not isinstance(base_url, str) or not base_url.isprintable() or not re.fullmatch(
            BASE_URL_PATTERN, base_url):
        return "base_url must be `sandbox` or an https:// URL", False
    scheme, sep, rest = base_url.partition("://")
    netloc = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    host = netloc.split("]")[0] + "]" if netloc.startswith("[") else netloc.split(":")[0]
    if not sep or scheme.lower() not in ("http", "https") or not host:
        return "base_url must be `sandbox` or an https:// URL", False
    problem = _url_problem(base_url)
    if problem:
        return f"base_url {problem}", False
    if scheme.lower() == "https" or _LOOPBACK.match(host):
        return None, False
    if allow_insecure:
        return None, True
    return ("base_url is plain http:// to a host that is not this machine, so the "
            "credentials would travel unencrypted: use https://, or set "
            "`allow_insecure_http: true` on the account if you must"), False
