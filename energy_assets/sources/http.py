"""The one HTTP client of the network sources: timeouts, retries, a polite rate limit, and every
response kept raw so a parse can be replayed without fetching again.

Retried: timeouts, connection errors, 429 and 5xx, with exponential backoff; a `Retry-After`
header (seconds) is honoured when it asks for a longer pause. Anything else (4xx) fails at once.
A failure's message never carries the key or headers sent (`mask_secrets`).
The body is never parsed here: a truncated or invalid body is still a response, kept raw, and the
source's parser turns it into a quarantine row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from energy_assets.masking import SECRET_NAMES, mask_secrets

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """A request that still failed after every retry (or failed with a non-retryable status)."""


class MalformedResponseError(ValueError):
    """A response whose body is not the JSON the source documents."""


@dataclass(frozen=True)
class ApiResponse:
    """One HTTP response as received: what was asked, when, and the raw body."""

    source: str
    endpoint: str
    params: dict[str, Any]
    fetched_at_utc: datetime
    status: int
    body: str
    attempts: int

    def json(self) -> Any:
        """The body as JSON, or `MalformedResponseError` naming the endpoint and the error."""
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as error:
            raise MalformedResponseError(
                f"{self.source} {self.endpoint}: body is not valid JSON ({error.msg} at "
                f"character {error.pos} of {len(self.body)})"
            ) from error


@dataclass
class HttpClient:
    """A polite client for one source.

    `min_interval_s` is the least time between two requests (the rate limit); `backoff_s` doubles
    at each retry. `sleep` and `clock` are injectable so tests never wait for real.
    """

    source: str
    timeout_s: float = 30.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    min_interval_s: float = 0.2
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    session: requests.Session = field(default_factory=requests.Session)
    _last_request_at: float | None = field(default=None, init=False, repr=False)

    def _wait_turn(self) -> None:
        if self._last_request_at is not None:
            remaining = self.min_interval_s - (self.clock() - self._last_request_at)
            if remaining > 0:
                self.sleep(remaining)
        self._last_request_at = self.clock()

    def get(self, endpoint: str, params: Mapping[str, Any]) -> ApiResponse:
        """GET `endpoint` with `params`, retrying what may succeed later; raise `FetchError`
        when every attempt failed."""
        last_error = ""
        secrets = [str(v) for k, v in params.items() if k.lower() in SECRET_NAMES]
        secrets += list(self.headers.values())
        for attempt in range(1, self.max_attempts + 1):
            self._wait_turn()
            pause = self.backoff_s * 2 ** (attempt - 1)
            try:
                response = self.session.get(
                    endpoint, params=dict(params), timeout=self.timeout_s, headers=self.headers
                )
            except (requests.Timeout, requests.ConnectionError) as error:
                last_error = f"{type(error).__name__}: {error}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise FetchError(
                            mask_secrets(
                                f"{self.source} {endpoint}: HTTP {response.status_code}: "
                                f"{response.text[:300]}",
                                secrets,
                            )
                        )
                    return ApiResponse(
                        source=self.source,
                        endpoint=endpoint,
                        params=dict(params),
                        fetched_at_utc=datetime.now(UTC),
                        status=response.status_code,
                        body=response.text,
                        attempts=attempt,
                    )
                last_error = f"HTTP {response.status_code}"
                pause = max(pause, _retry_after_s(response))
            if attempt < self.max_attempts:
                self.sleep(pause)
        raise FetchError(
            mask_secrets(
                f"{self.source} {endpoint}: failed after {self.max_attempts} attempts "
                f"({last_error})",
                secrets,
            )
        )

    def pages(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        *,
        page_size: int,
        rows_in: Callable[[ApiResponse], int],
    ) -> Iterator[ApiResponse]:
        """Offset/limit pagination: pages until one comes back short (or empty).

        `rows_in` counts the records of a page; a page that cannot be parsed counts as zero, so
        it ends the pagination and is left for the parser to quarantine.
        """
        offset = 0
        while True:
            page = self.get(endpoint, {**params, "limit": page_size, "offset": offset})
            yield page
            try:
                count = rows_in(page)
            except MalformedResponseError:
                return
            if count < page_size:
                return
            offset += page_size


def _retry_after_s(response: requests.Response) -> float:
    """The pause a 429/503 asks for in its `Retry-After` header (seconds form), else 0."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0
