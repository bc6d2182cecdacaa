"""POSTing JSON to an alert webhook: bounded time, retries with backoff, never an exception.

An alert that cannot be delivered is still written to the `ops/alerts` table, so a down endpoint
costs at most `attempts` x `timeout_s` plus the backoff, and never the sensor that raised it.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from energy_assets.masking import mask_secrets

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
    retried after `backoff_s`, then twice that, and so on; other 4xx statuses are final. Credentials
    in the URL (`https://user:password@host/...`) are sent as HTTP basic auth; the error of an
    undelivered alert never carries them."""
    body = json.dumps(payload, default=str).encode()
    target, headers = _with_basic_auth(url)
    error = None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(target, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s):  # non-2xx raises HTTPError
                return Delivery(True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            if exc.code not in RETRIED_STATUSES:
                return Delivery(False, attempt, error)
        except (OSError, ValueError) as exc:  # refused, unreachable, timeout, bad URL
            error = mask_secrets(f"{type(exc).__name__}: {exc}", [url])
        if attempt < attempts:
            sleep(backoff_s * 2 ** (attempt - 1))
    return Delivery(False, attempts, error)


def _with_basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its `user:password@` part, and the headers to send (basic auth from it)."""
    headers = {"Content-Type": "application/json"}
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, headers
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers["Authorization"] = f"Basic {token}"
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), headers
