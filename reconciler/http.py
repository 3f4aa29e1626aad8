"""The one HTTP layer every vendor client uses: retries, backoff, rate limiting, and the
line between "safe to retry" and "outcome unknown".

Rules (see PRODUCT.md, "Never send twice"):
- A connection that failed before the request was sent (connect error/timeout) is retried.
- 429 means nothing was accepted: wait (Retry-After, else backoff with jitter) and retry.
- 5xx, read timeouts and dropped connections are retried only for idempotent requests
  (GET, PUT, DELETE, or a POST the caller marks idempotent). For any other write they
  raise OutcomeUnknown and the caller decides (read back, or record in the ledger).
- Other 4xx raise ApiError with the vendor's own message.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from reconciler.errors import ApiError, NotSentError, OutcomeUnknown, RequestNotBuilt

IDEMPOTENT_METHODS = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


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


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def error_detail(response: httpx.Response) -> str:
    """The vendor's own words for an error, without echoing request data."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "errors"):
            if key in body:
                msg = str(body[key])
                return f"{msg} (code {body['code']})" if "code" in body else msg
    return str(body)[:300]


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
    ):
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

    async def aclose(self) -> None:
        await self.client.aclose()

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
        method = method.upper()
        safe = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            if self.limiter and not (paced and attempt == 0):
                await self.limiter.wait()
            try:
                async with self.concurrency:
                    self.calls.append((method, path))
                    response = await self.client.request(method, path, **kwargs)
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL,
                    UnicodeEncodeError) as exc:
                # Refused before a byte left. Its text would quote the header: not shown.
                raise RequestNotBuilt(
                    f"{self.vendor}: the request could not be built ({type(exc).__name__}); "
                    "check the account's base_url and credentials (a line break or a "
                    "non-ASCII character?). Nothing was sent") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the vendor: always safe to try again.
                if attempt >= self.max_retries:
                    raise NotSentError(
                        f"{self.vendor}: cannot reach {self.client.base_url} "
                        f"({type(exc).__name__}); nothing was sent") from None
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError) as exc:
                if not safe:
                    raise OutcomeUnknown(self.vendor, method, path,
                                         type(exc).__name__) from None
                if attempt >= self.max_retries:
                    raise ApiError(self.vendor, method, path, 0,
                                   f"no answer after {attempt + 1} tries "
                                   f"({type(exc).__name__})") from None
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 429:
                    if attempt >= self.max_retries:
                        raise ApiError(self.vendor, method, path, status,
                                       "rate limited; gave up after retries")
                    wait = retry_after_seconds(response)
                    await self._sleep(wait if wait is not None else self._backoff(attempt))
                    attempt += 1
                    continue
                if status >= 500:
                    if not safe:
                        raise OutcomeUnknown(self.vendor, method, path, f"HTTP {status}")
                    if attempt >= self.max_retries:
                        raise ApiError(self.vendor, method, path, status,
                                       error_detail(response))
                else:
                    raise ApiError(self.vendor, method, path, status, error_detail(response))
            await self._sleep(self._backoff(attempt))
            attempt += 1
