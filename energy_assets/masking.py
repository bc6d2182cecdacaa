"""Masking secrets in every message recorded from a network source or a webhook.

Error messages of HTTP libraries echo the URL they failed on, and some servers echo the request
in a 4xx body: a key passed as a query parameter, or a password in a URL's `user:password@`, would
then reach a quarantine reason, a log line, an alert or event metadata. `mask_secrets` is applied
wherever such a message is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
SECRET_NAMES = ("apikey", "api_key", "key", "token", "access_token", "password", "secret")
"""Query parameters (any case) whose value is a secret."""

_QUERY_SECRET = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_NAMES) + r")=)[^&;#\s'\"]+")
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@:\s'\"]+:)[^/@\s'\"]+@")
_MIN_KNOWN_LENGTH = 4
"""Known secret values shorter than this are not replaced (they would mask ordinary text)."""


def mask_secrets(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` with every secret masked: the `known` secret values wherever they appear (also
    URL-encoded), the values of secret-named query parameters, and URL passwords."""
    for secret in sorted({s for s in known if s and len(s) >= _MIN_KNOWN_LENGTH}, key=len)[::-1]:
        text = text.replace(secret, MASK)
        quoted = re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group()):02X}", secret)
        text = text.replace(quoted, MASK)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
