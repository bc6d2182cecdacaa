"""Checks on what the network sources returned: schema drift and failed requests.

Both judge the rejections a source's parser produced (each also lands in `bronze/quarantine`), so
a renamed field fails a check that names the field, and the rows it affected are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from checks.quarantine import Rejection
from checks.result import CheckOutcome

FETCH_FAILED = "fetch failed"
"""Reason prefix of a request that got no usable answer after its retries."""
_FIELD = re.compile(r"'([^']+)'")


def _table(rejections: Sequence[Rejection]) -> pa.Table:
    return pa.table(
        {
            "day": pa.array([r.day for r in rejections], pa.date32()),
            "reason": pa.array([r.reason for r in rejections], pa.string()),
        }
    )


def schema_drift(source: str, responses: int, rejections: Sequence[Rejection]) -> CheckOutcome:
    """Fails when a response or record did not have the documented shape (a missing or renamed
    field, or a body that is not valid JSON), naming the fields."""
    judged = [r for r in rejections if not r.reason.startswith(FETCH_FAILED)]
    fields = sorted(
        {
            name
            for r in judged
            if r.reason.startswith("schema drift")
            for name in _FIELD.findall(r.reason.split(" missing")[0])
        }
    )
    table = _table(judged)
    return CheckOutcome.from_mask(
        "api_schema",
        table,
        [True] * table.num_rows,
        passed_description=f"{responses} {source} responses had the documented fields",
        failed_description=(
            f"{{failing}} {source} records or responses rejected to quarantine; "
            + (f"missing fields: {', '.join(fields)}" if fields else "malformed bodies")
        ),
        metadata={"responses": responses, "missing_fields": ", ".join(fields)},
    )


def fetch_failures(source: str, requests: int, rejections: Sequence[Rejection]) -> CheckOutcome:
    """Fails when requests still failed after their retries (timeouts, 429, 5xx, 4xx)."""
    failed = [r for r in rejections if r.reason.startswith(FETCH_FAILED)]
    table = _table(failed)
    return CheckOutcome.from_mask(
        "api_fetch",
        table,
        [True] * table.num_rows,
        passed_description=f"all {requests} {source} requests answered",
        failed_description=f"{{failing}} of {requests} {source} requests failed after retries",
        metadata={"requests": requests},
    )
