"""Reading a table's trailing window chunk after chunk, each day read once.

The anomaly detection of a chunk of days reads the days it judges and the history behind them
(`history_days` plus the model's level window: about 80 days behind each chunk). Reading that
whole window again for every chunk was most of the time of a year's detection; consecutive
chunks share all but their newest days, so only those are read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl


class SlidingRead:
    """The rows of `[first, high)` of one day-partitioned table (a `day` column), from
    `read(start, end)`: a window that moves forward keeps what it held and reads only its new
    days; any other window is read whole."""

    def __init__(self, read: Callable[[date, date], pl.DataFrame]) -> None:
        self._read = read
        self._held: pl.DataFrame | None = None
        self._first = self._high = date.min

    def window(self, first: date, high: date) -> pl.DataFrame:
        held = self._held
        if held is None or not (self._first <= first <= self._high <= high):
            held = self._read(first, high)
        else:
            held = pl.concat([held.filter(pl.col("day") >= first), self._read(self._high, high)])
        self._held, self._first, self._high = held, first, high
        return held
