"""The expanding training window's recency-weighted sample."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from ml.forecasting.training_window import keep_probabilities, recency_sample


def test_probabilities_sum_to_the_budget_and_favour_recent_rows() -> None:
    age = np.arange(1000, dtype=np.float64)
    keep = keep_probabilities(age, 200, half_life_days=365.0)
    assert keep.sum() == pytest.approx(200, rel=1e-6)
    assert (np.diff(keep) <= 0).all()
    assert keep[0] / keep[365] == pytest.approx(2.0, rel=1e-6)
    assert keep.max() <= 1.0


def test_a_window_within_the_budget_is_kept_whole() -> None:
    rows = pl.DataFrame({"day": [date(2024, 1, 1) + timedelta(days=d) for d in range(10)]})
    assert recency_sample(rows, date(2024, 1, 11), 10, seed=1).equals(rows)


def test_the_sample_keeps_every_season_but_more_of_the_last_year() -> None:
    first = date(2021, 1, 1)
    rows = pl.DataFrame(
        {"day": [first + timedelta(days=d) for d in range(3 * 365) for _ in range(10)]}
    )
    end = first + timedelta(days=3 * 365)
    sample = recency_sample(rows, end, 3000, seed=7)
    assert 2800 < sample.height < 3200
    per_year = sample.group_by(pl.col("day").dt.year()).len().sort("day")["len"].to_list()
    assert per_year[0] > 0 and per_year[0] < per_year[1] < per_year[2]
    assert sample.select(pl.col("day").dt.month().n_unique()).item() == 12
    assert recency_sample(rows, end, 3000, seed=7).equals(sample)
