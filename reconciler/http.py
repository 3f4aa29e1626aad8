"""The one HTTP layer every vendor client uses: retries, backoff, rate limiting, and the
line between "safe to retry" and "outcome unknown".

Rules (see PRODUCT.md, "Never send twice"):
- A connection that failed before the request was sent (connect error/timeout) is retried.
- 429 means nothing was accepted: wait (Retry-After, else backoff with jitter) and retry.
- 5xx, read timeouts and dropped connections are retried only for idempotent requests
  (GET, PUT, DELETE, or a POST the caller marks idempotent). For any other write they
  raise OutcomeUnknown and the caller decides (read back, or record in the ledger).
- Other 4xx raise ApiError with the vendor's own message.

Every request and every retry decision goes to the `campaignctl.http` logger (the request
log of `-v` / `--debug`): method, path, status, time. Never a header, never a body, and
the path with the account's credentials replaced by **** and contact addresses masked
(unless `show_contacts`). The errors raised here name the path and quote the vendor's
words with the account's credentials masked too (reconciler.secrets): a vendor or a
gateway that echoes the request (headers, query, body) into its error cannot carry a
credential into a message, a log or the send ledger.

Written by hand rather than with tenacity or stamina: whether to retry depends on what
failed, when and on which method (before the request left, after it left, 429 with a
capped Retry-After, 5xx), and each outcome raises its own error (NotSentError,
OutcomeUnknown, ApiError) and logs its own line, so a retry library would be handed a
predicate, a wait and an error mapping that are this loop, less readable, with the rule
"never retry a write whose outcome is unknown" split across callbacks. The rate limiter
stays ours rather than aiolimiter: its leaky bucket as usually set up lets a burst of
`per_second` requests through and more within the same second, where a vendor counts the
requests of any one second; set up to space starts evenly it would do what these twelve
lines do, for a dependency more. `pace()` takes a slot before the send ledger records a
batch in flight, then lets the request leave without waiting again. The in-flight window
is the standard library's asyncio.Semaphore.
"""

from __future__ import annotations

import asyncio
import email.utils
import io
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC
from typing import Any, Protocol, TypeVar

import httpx

from reconciler.engine.reporting import Task
from reconciler.errors import ApiError, NotSentError, OutcomeUnknown, RequestNotBuilt
from reconciler.escaping import printable
from reconciler.secrets import Redactor

IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
log = logging.getLogger("campaignctl.http")
T = TypeVar("T")
#: Headers that carry no credential; every other header's value is redacted from the log.
PLAIN_HEADERS = frozenset({"accept", "content-type", "user-agent", "accept-encoding"})
_EMAIL = re.compile(r"[^/?&=#\s()<>\[\]\"',;]+(?:@|%40)[^/?&=#\s()<>\[\]\"',;]+",
                    re.IGNORECASE)
_PHONE = re.compile(r"(?:\+|%2B)\d{6,15}", re.IGNORECASE)


def mask_contacts(text: str) -> str:
    """Emails and E.164 phones (plain or percent-encoded) in a URL path, as <email> and
    <phone>."""
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else (f"{n / 1024:.1f} KiB" if n < 1 << 20
                                       else f"{n / (1 << 20):.1f} MiB")


_JSON_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}


class RequestObserver(Protocol):
    """What a run learns of each request (engine/reporting.Requests implements it)."""

    def sent(self, method: str) -> None:
        """A request left (a retry counts again)."""

    def answered(self) -> None:
        """A response came back."""


class RateLimiter:
    """Spaces request starts so that at most `per_second` begin in any one second."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)


#: The longest Retry-After obeyed: a vendor asking for more is answered with an error (the
#: request was not accepted) rather than a run that sleeps for an hour, or forever.
MAX_RETRY_AFTER = 300.0
_DELAY = re.compile(r"\d{1,10}(\.\d{1,6})?")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The wait a 429 asks for (RFC 9110 10.2.3: delay-seconds or an HTTP-date), or None
    when the header is absent or unreadable (`soon`, `-1`, `inf`, a malformed date): then
    the backoff decides. A vendor's header is input like any other: it never raises."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if _DELAY.fullmatch(value):
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # Python 3.11+ raises on what it cannot read (3.10 returned None)
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # `-0000`: UTC, no zone information
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return max(0.0, parsed.timestamp() - time.time())
    except (OverflowError, ValueError, OSError):
        return None


def error_detail(response: httpx.Response, redactor: Redactor | None = None,
                 show_contacts: bool = False) -> str:
    """The vendor's own words for an error, with `redactor`'s credentials masked (before it
    is cut short, so no part of one is left), and the emails and phone numbers a vendor
    echoes (a rejected batch quotes its recipients) masked unless contacts were asked for:
    the text is printed, logged and stored in the send ledger."""
    credentials = redactor.mask if redactor is not None else str

    def mask(text: str) -> str:
        text = credentials(text)
        return text if show_contacts else mask_contacts(text)
    # One line of at most 300 characters, whatever the vendor sent: escaped control
    # characters, no megabyte-long message, no traceback from a body nested 5,000 deep.
    try:
        body = response.json()
    except (ValueError, RecursionError):
        text = mask(response.text.strip())
        return printable(text)[:300] if text else printable(response.reason_phrase)[:300]
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "errors"):
            if key in body:
                msg = mask(str(body[key]))
                if "code" in body:
                    msg = f"{msg} (code {mask(str(body['code']))})"
                return printable(msg)[:300]
    return printable(mask(str(body)))[:300]


class ProgressBody(io.BytesIO):
    """A file body (an httpx multipart part) that reports how much of it has left: `items`
    rows in `data`, counted in proportion to the bytes the transport has read. httpx seeks
    it back to 0 before every try, so a retried upload counts again from the start."""

    def __init__(self, data: bytes, items: int, task: Task):
        super().__init__(data)
        self.size, self.items, self.task = len(data), items, task

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.task.set(self.items * self.tell() // self.size if self.size else self.items)
        return chunk


class VendorHttp:
    """An httpx.AsyncClient bound to one vendor account."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: dict[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 20.0,
        rate_limit: float | None = None,
        max_concurrency: int = 8,
        sleep: Callable[[float], Any] = asyncio.sleep,
        redact: Iterable[str] = (),
        show_contacts: bool = False,
        observer: RequestObserver | None = None,
    ):
        """`redact`: credentials that travel in paths (never logged); those in headers
        are found from `headers`. `show_contacts`: log paths with addresses unmasked.
        `observer`: told of every request sent and answered (the run's counts and progress:
        engine/reporting.py), so nobody reaches into this client for them."""
        self.vendor = vendor
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, transport=transport,
            timeout=timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.concurrency = asyncio.Semaphore(max_concurrency)
        self._sleep = sleep
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request sent
        self.observer = observer
        #: this account's credentials: its headers but the plain ones, and `redact`
        self.redactor = Redactor(redact)
        for name, value in headers.items():
            if name.lower() not in PLAIN_HEADERS:
                self.redactor.add_header(value)
        self.show_contacts = show_contacts

    def shown(self, path: str) -> str:
        """`path` as the request log prints it: no credential, contacts masked."""
        path = self.redactor.mask(path)
        return path if self.show_contacts else mask_contacts(path)

    def _api_error(self, method: str, path: str, status: int, detail: str) -> ApiError:
        mask = self.redactor.mask
        return ApiError(self.vendor, method, mask(path), status, mask(detail))

    def _outcome_unknown(self, method: str, path: str, reason: str) -> OutcomeUnknown:
        return OutcomeUnknown(self.vendor, method, self.redactor.mask(path), reason)

    def _log(self, method: str, path: str, message: str, level: int = logging.INFO,
             ) -> None:
        if log.isEnabledFor(level):
            log.log(level, "%s: %s %s %s", self.vendor, method, self.shown(path), message)

    def _answered(self, method: str, path: str, response: httpx.Response,
                  started: float) -> None:
        if self.observer is not None:
            self.observer.answered()
        if not log.isEnabledFor(logging.INFO):
            return
        took = f"{(time.monotonic() - started) * 1000:.0f} ms"
        if log.isEnabledFor(logging.DEBUG):
            sent = int(response.request.headers.get("content-length") or 0)
            try:
                received = len(response.content)
            except httpx.ResponseNotRead:  # streamed: handed on as it came
                received = response.num_bytes_downloaded
            took += f", sent {_size(sent)}, received {_size(received)}"
        self._log(method, path, f"{response.status_code} ({took})")

    async def aclose(self) -> None:
        await self.client.aclose()

    def answer(self, response: httpx.Response, path: str, kind: type | tuple[type, ...],
               *, idempotent: bool | None = None) -> Any:
        """The JSON body of a 2xx `response` to `path`, checked to be a `kind`. Else (not
        JSON, truncated, another type): for a request that is not idempotent,
        OutcomeUnknown (the vendor said yes, in words we cannot read: whether and what it
        did is not known, so it is never redone blindly); for any other, ApiError."""
        method = response.request.method
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            found = "not JSON"
        else:
            if isinstance(body, kind):
                return body
            found = f"a JSON {_JSON_NAMES.get(type(body), type(body).__name__)}"
        names = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(f"a JSON {_JSON_NAMES.get(k, k.__name__)}" for k in names)
        reason = f"unreadable answer (HTTP {response.status_code}, {found}, expected {wanted})"
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        if not safe:
            raise self._outcome_unknown(method, path, reason)
        raise self._api_error(method, path, response.status_code, reason)

    def _tries(self, attempt: int) -> str:
        return f"try {attempt + 1} of {self.max_retries + 1}"

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads retries from concurrent workers apart.
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    @property
    def write_calls(self) -> int:
        return sum(1 for m, _ in self.calls if m not in ("GET", "HEAD"))

    async def pace(self) -> None:
        """Wait for a rate-limit slot now, for a `request(..., paced=True)` made right after
        (a send-only batch is written to the ledger as in flight only once its request
        can leave, so a crash leaves unknown what was on the wire, not what was queued)."""
        if self.limiter:
            await self.limiter.wait()

    async def request(
        self, method: str, path: str, *, idempotent: bool | None = None, paced: bool = False,
        **kwargs: Any
    ) -> httpx.Response:
        return await self._request(method, path, idempotent, paced, None, kwargs)

    async def stream(self, method: str, path: str,
                     consume: Callable[[httpx.Response], Awaitable[T]], **kwargs: Any) -> T:
        """request(), with a 2xx answer's body handed to `consume` as it arrives (it reads
        `response.aiter_bytes()`) instead of read whole: what `consume` returns is returned.
        A connection dropped mid-body is retried as request() retries it (an idempotent
        request only), `consume` then called again with the new answer."""
        return await self._request(method, path, None, False, consume, kwargs)

    async def _send(self, method: str, path: str, consume: Any,
                    kwargs: dict[str, Any]) -> tuple[httpx.Response, Any]:
        if consume is None:
            return await self.client.request(method, path, **kwargs), None
        response = await self.client.send(self.client.build_request(method, path, **kwargs),
                                          stream=True)
        try:
            if 200 <= response.status_code < 300:
                return response, await consume(response)
            await response.aread()  # an error's body: the vendor's words
            return response, None
        finally:
            await response.aclose()

    async def _request(self, method: str, path: str, idempotent: bool | None, paced: bool,
                       consume: Any, kwargs: dict[str, Any]) -> Any:
        method = method.upper()
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            if self.limiter and not (paced and attempt == 0):
                await self.limiter.wait()
            started = time.monotonic()
            try:
                async with self.concurrency:
                    self.calls.append((method, path))
                    if self.observer is not None:
                        self.observer.sent(method)
                    started = time.monotonic()
                    response, consumed = await self._send(method, path, consume, kwargs)
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL,
                    UnicodeError) as exc:
                # Refused before a byte left. Its text would quote the header: not shown.
                self._log(method, path, f"not sent: the request could not be built "
                                        f"({type(exc).__name__})")
                raise RequestNotBuilt(
                    f"{self.vendor}: the request could not be built ({type(exc).__name__}); "
                    "check the account's base_url and credentials (a line break or a "
                    "non-ASCII character?). Nothing was sent") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the vendor: always safe to try again.
                if attempt >= self.max_retries:
                    self._log(method, path, f"{type(exc).__name__}, nothing sent; giving up "
                                            f"after {attempt + 1} tries")
                    raise NotSentError(
                        f"{self.vendor}: cannot reach "
                        f"{self.redactor.mask(str(self.client.base_url))} "
                        f"({type(exc).__name__}); nothing was sent") from None
                why = f"{type(exc).__name__}, nothing sent"
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError, httpx.DecodingError) as exc:
                # (DecodingError: an answer whose Content-Encoding does not decode; it came
                # back, so the request arrived, but nothing of it can be read.)
                if not safe:
                    self._log(method, path, f"{type(exc).__name__} after the request left: "
                                            "outcome unknown, not retried (not idempotent)",
                              logging.WARNING)
                    raise self._outcome_unknown(method, path, type(exc).__name__) from None
                if attempt >= self.max_retries:
                    self._log(method, path, f"{type(exc).__name__}; giving up after "
                                            f"{attempt + 1} tries")
                    raise self._api_error(method, path, 0,
                                          f"no answer after {attempt + 1} tries "
                                          f"({type(exc).__name__})") from None
                why = f"{type(exc).__name__} (idempotent)"
            else:
                self._answered(method, path, response, started)
                status = response.status_code
                if 200 <= status < 300:
                    return response if consume is None else consumed
                if status < 400:
                    # Not an answer any vendor documents (no redirect is followed: it would
                    # resend the body elsewhere): what happened is not known for a write.
                    if not safe:
                        raise self._outcome_unknown(method, path, f"HTTP {status}")
                    raise self._api_error(method, path, status,
                                          f"unexpected HTTP {status} answer")
                if status == 429:
                    if attempt >= self.max_retries:
                        self._log(method, path, f"{status}, giving up after {attempt + 1} "
                                                "tries")
                        raise self._api_error(method, path, status,
                                              "rate limited; gave up after retries")
                    wait = retry_after_seconds(response)
                    if wait is not None and wait > MAX_RETRY_AFTER:
                        self._log(method, path, f"{status}, Retry-After {wait:.0f} s: not "
                                                "waited for")
                        raise self._api_error(
                            method, path, status,
                            f"rate limited: the vendor asks to wait {wait:.0f} s (Retry-After), "
                            f"longer than the {MAX_RETRY_AFTER:.0f} s campaignctl waits; the "
                            "request was not accepted, run again later")
                    if wait is not None:
                        self._log(method, path, f"{status}, waiting {wait:.1f} s "
                                                f"(Retry-After; {self._tries(attempt + 1)})")
                    else:
                        wait = self._backoff(attempt)
                        self._log(method, path, f"{status}, waiting {wait:.1f} s (backoff, "
                                                f"no Retry-After; {self._tries(attempt + 1)})")
                    await self._sleep(wait)
                    attempt += 1
                    continue
                if status >= 500:
                    if not safe:
                        self._log(method, path, f"{status} to a request that is not "
                                                "idempotent: outcome unknown, not retried",
                                  logging.WARNING)
                        raise self._outcome_unknown(method, path, f"HTTP {status}")
                    if attempt >= self.max_retries:
                        self._log(method, path, f"{status}, giving up after {attempt + 1} "
                                                "tries")
                        raise self._api_error(method, path, status,
                                              error_detail(response, self.redactor,
                                                           self.show_contacts))
                    why = f"{status} (idempotent)"
                else:
                    raise self._api_error(method, path, status,
                                          error_detail(response, self.redactor,
                                                       self.show_contacts))
            wait = self._backoff(attempt)
            self._log(method, path, f"{why}, retrying in {wait:.1f} s (backoff; "
                                    f"{self._tries(attempt + 1)})")
            await self._sleep(wait)
            attempt += 1
