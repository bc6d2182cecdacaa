"""Forecast metrics on hand-computed inline values."""

from __future__ import annotations

import math

import pytest

from ml.forecasting.evaluation import (
    compare_with_baselines,
    coverage,
    mae,
    mape,
    pinball,
    rmse,
    skill,
)


def test_point_errors_match_hand_computation() -> None:
    actual, forecast = [1.0, 2.0, 4.0], [2.0, 2.0, 1.0]
    assert mae(actual, forecast) == pytest.approx(4 / 3)
    assert rmse(actual, forecast) == pytest.approx(math.sqrt(10 / 3))
    assert mape(actual, forecast) == pytest.approx(100 * (1.0 + 0.0 + 0.75) / 3)


def test_mape_leaves_out_near_zero_actuals() -> None:
    assert mape([0.0, 2.0], [5.0, 1.0]) == pytest.approx(50.0)
    assert math.isnan(mape([0.0], [1.0]))


def test_pinball_penalises_the_side_the_quantile_protects() -> None:
    # P90 below the actual costs 0.9 per kWh, above it 0.1 per kWh.
    assert pinball([10.0], [9.0], 0.9) == pytest.approx(0.9)
    assert pinball([10.0], [11.0], 0.9) == pytest.approx(0.1)


def test_coverage_counts_actuals_inside_the_band_inclusive() -> None:
    assert coverage([1.0, 2.0, 3.0, 4.0], [1.0] * 4, [3.0] * 4) == pytest.approx(75.0)


def test_skill_is_positive_when_the_model_beats_the_baseline() -> None:
    assert skill(1.0, 2.0) == pytest.approx(0.5)
    assert skill(3.0, 2.0) < 0
    assert math.isnan(skill(1.0, 0.0))


def test_comparison_names_the_best_baseline_and_scores_against_it() -> None:
    actual = [1.0, 2.0, 3.0]
    metrics = compare_with_baselines(
        actual,
        [1.0, 2.0, 2.0],
        [0.5, 1.5, 1.5],
        [1.5, 2.5, 3.5],
        {"yesterday": [2.0, 3.0, 4.0], "last_week": [1.0, 1.0, 3.0]},
    )
    assert metrics["yesterday_mae"] == pytest.approx(1.0)
    assert metrics["best_baseline_mae"] == metrics["last_week_mae"] == pytest.approx(1 / 3)
    assert metrics["skill_vs_best_baseline"] == pytest.approx(0.0)
    assert metrics["coverage_p10_p90"] == pytest.approx(100.0)
