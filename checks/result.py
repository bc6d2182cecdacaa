"""The plain result of a data check, which the Dagster layer turns into an `AssetCheckResult`.

Checks in `checks/` return a `CheckOutcome` rather than a Dagster object so they stay plain Python,
testable on inline data and usable from notebooks. Every check that judges rows builds its outcome
with `CheckOutcome.from_mask`, so counts and examples are computed, truncated and stringified the
same way everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

MAX_EXAMPLES = 5
"""How many example failing rows an outcome carries: enough to debug, small enough for the UI."""

Frame: TypeAlias = pl.DataFrame | pd.DataFrame | pa.Table
Mask: TypeAlias = pl.Series | pd.Series | np.ndarray | pa.Array | pa.ChunkedArray | Sequence[bool]

_SCALARS = (str, int, float, bool)


def _is_json_friendly(value: object) -> bool:
    if value is None or isinstance(value, _SCALARS):
        return True
    if isinstance(value, list):
        return all(
            isinstance(item, dict)
            and all(
                isinstance(k, str) and (v is None or isinstance(v, _SCALARS))
                for k, v in item.items()
            )
            for item in value
        )
    return False


def stringify(value: object) -> str:
    """A value as example text: ISO instants and dates, `null` for missing, `nan`/`inf` kept."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, np.generic):
        return stringify(value.item())
    return str(value)


def _mask_array(mask: Mask, rows: int) -> np.ndarray:
    """The mask as a numpy bool array; a null entry means "not judged", i.e. not failing."""
    if isinstance(mask, pl.Series):
        array = mask.cast(pl.Boolean).fill_null(False).to_numpy()
    elif isinstance(mask, pa.Array | pa.ChunkedArray):
        array = pl.Series(mask).cast(pl.Boolean).fill_null(False).to_numpy()
    elif isinstance(mask, pd.Series):
        array = mask.astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        array = np.asarray(mask, dtype=bool)
    if array.shape != (rows,):
        raise ValueError(f"mask has shape {array.shape}, frame has {rows} rows")
    return array


def _example_rows(frame: Frame, positions: np.ndarray) -> list[dict[str, Any]]:
    if isinstance(frame, pl.DataFrame):
        records = frame[positions.tolist()].to_dicts()
    elif isinstance(frame, pd.DataFrame):
        records = frame.iloc[positions].to_dict("records")
    else:
        records = frame.take(pa.array(positions, pa.int64())).to_pylist()
    return [{str(k): stringify(v) for k, v in record.items()} for record in records]


@dataclass(frozen=True)
class CheckOutcome:
    """What a check found: pass or fail, why, how many rows failed, and JSON-friendly metadata.

    `metadata` values are restricted to str/int/float/bool/None or lists of flat dicts of those, so
    the Dagster layer can pass them on unchanged and they serialise anywhere. `examples` (when
    present) is a list of up to `MAX_EXAMPLES` failing rows with every value stringified.
    """

    name: str
    passed: bool
    description: str
    failing_rows: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = [key for key, value in self.metadata.items() if not _is_json_friendly(value)]
        if bad:
            raise TypeError(f"check {self.name!r}: metadata values not JSON-friendly: {bad}")

    @classmethod
    def from_mask(
        cls,
        name: str,
        frame: Frame,
        mask: Mask,
        *,
        passed_description: str,
        failed_description: str,
        columns: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CheckOutcome:
        """An outcome from a boolean "bad row" mask over `frame` (pandas, polars or Arrow).

        Null mask entries count as not failing. `columns` restricts the example rows to the
        columns that explain the failure. Metadata always carries `rows` (rows judged),
        `failing_rows` and `examples` (the first `MAX_EXAMPLES` bad rows, values stringified),
        after any extra `metadata` given. `failed_description` may contain the placeholders
        `{failing}` and `{rows}` (plain replacement, not `str.format`: other braces are safe).
        """
        rows = frame.num_rows if isinstance(frame, pa.Table) else len(frame)
        bad = _mask_array(mask, rows)
        failing = int(bad.sum())
        shown: Frame = frame
        if columns is not None:
            if isinstance(frame, pd.DataFrame):
                shown = frame[list(columns)]
            else:
                shown = frame.select(list(columns))
        examples = _example_rows(shown, np.flatnonzero(bad)[:MAX_EXAMPLES]) if failing else []
        description = (
            failed_description.replace("{failing}", str(failing)).replace("{rows}", str(rows))
            if failing
            else passed_description
        )
        return cls(
            name=name,
            passed=failing == 0,
            description=description,
            failing_rows=failing,
            metadata={
                **(metadata or {}),
                "rows": rows,
                "failing_rows": failing,
                "examples": examples,
            },
        )
