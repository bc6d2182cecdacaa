"""POSTing JSON to an alert webhook: bounded time, retries with backoff, never an exception.

An alert that cannot be delivered is still written to the `ops/alerts` table, so a down endpoint
costs at most `attempts` x `timeout_s` plus the backoff, and never the sensor that raised it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Delivery:
    is_delivered: bool
    attempts: int
    error: str | None = None


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout_s: float = 5.0,
    attempts: int = 3,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST `payload` as JSON. Connection errors, timeouts and retryable statuses (429, 5xx) are
    retried after `backoff_s`, then twice that, and so on; other 4xx statuses are final."""
    body = json.dumps(payload, default=str).encode()
    error = None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s):  # non-2xx raises HTTPError
                return Delivery(True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            if exc.code not in RETRIED_STATUSES:
                return Delivery(False, attempt, error)
        except (OSError, ValueError) as exc:  # refused, unreachable, timeout, bad URL
            error = f"{type(exc).__name__}: {exc}"
        if attempt < attempts:
            sleep(backoff_s * 2 ** (attempt - 1))
    return Delivery(False, attempts, error)
