"""The shortcuts of the detection's speed work give what the long way gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl

from ml.anomaly.sliding_read import SlidingRead
from ml.anomaly.unusual_day import _fitted, _scores

FIRST = date(2024, 1, 1)
TABLE = pl.DataFrame(
    {"day": [FIRST + timedelta(days=d) for d in range(30)], "energy_kwh": list(range(30))}
)


def _reader(reads: list[tuple[date, date]]) -> Callable[[date, date], pl.DataFrame]:
    def read(start: date, end: date) -> pl.DataFrame:
        reads.append((start, end))
        return TABLE.filter(pl.col("day").is_between(start, end, closed="left"))

    return read


def test_a_window_moving_forward_reads_only_its_new_days_and_holds_the_same_rows() -> None:
    reads: list[tuple[date, date]] = []
    sliding = SlidingRead(_reader(reads))
    sliding.window(FIRST, FIRST + timedelta(days=10))
    moved = sliding.window(FIRST + timedelta(days=7), FIRST + timedelta(days=17))
    assert reads[-1] == (FIRST + timedelta(days=10), FIRST + timedelta(days=17))
    expected = TABLE.filter(
        pl.col("day").is_between(FIRST + timedelta(days=7), FIRST + timedelta(days=17), "left")
    )
    assert moved.equals(expected)


def test_a_window_that_jumps_back_is_read_whole() -> None:
    reads: list[tuple[date, date]] = []
    sliding = SlidingRead(_reader(reads))
    sliding.window(FIRST + timedelta(days=10), FIRST + timedelta(days=20))
    again = sliding.window(FIRST, FIRST + timedelta(days=5))
    assert reads[-1] == (FIRST, FIRST + timedelta(days=5))
    assert again.height == 5


def test_isolation_scores_are_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    forest = _fitted(0, rng.normal(size=(500, 7)))
    rows = rng.normal(size=(40, 7)) * 2
    assert np.array_equal(_scores(forest, rows), -forest.score_samples(rows))
