"""What every domain check shares: accepted table types, meter keys, naming failing meters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from checks.result import stringify

TableLike: TypeAlias = pa.Table | pl.DataFrame | pd.DataFrame
ArrayLike: TypeAlias = (
    pl.Series | np.ndarray | pa.Array | pa.ChunkedArray | pd.Series | Sequence[Any]
)

MAX_NAMED = 50
"""How many meters (or meter@instant pairs) a failure names before `... and N more`."""

_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000


def meter_key(meter_ids: pl.Series) -> pl.Expr:
    """Each row's `meter_id` (String or Categorical) as its position in `meter_ids`, a registry's
    row order, or null for a meter not in it: an Enum cast maps ids to integers without a hash
    join, and the meter's attributes are then a gather away."""
    return pl.col("meter_id").cast(pl.Enum(meter_ids), strict=False).to_physical().cast(pl.UInt32)


def _frame(data: TableLike) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pd.DataFrame):
        return pl.from_pandas(data)
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _require(frame: pl.DataFrame, columns: Iterable[str], check: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{check}: input lacks columns {missing}")


def _names(values: Iterable[object]) -> str:
    """Distinct values, sorted, comma-separated, cut after `MAX_NAMED`."""
    distinct = sorted({stringify(v) for v in values})
    shown = ", ".join(distinct[:MAX_NAMED])
    if len(distinct) > MAX_NAMED:
        shown += f", ... and {len(distinct) - MAX_NAMED} more"
    return shown


def _observed(frame: pl.DataFrame) -> pl.Expr:
    """Rows carrying a real reading: not a gap row, energy present and finite."""
    present = pl.col("energy_kwh").is_not_null() & pl.col("energy_kwh").is_finite()
    if "is_missing" in frame.columns:
        present = present & ~pl.col("is_missing").fill_null(False)
    return present
