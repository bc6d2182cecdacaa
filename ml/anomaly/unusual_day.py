"""The unusual-day detector: an Isolation Forest over per-meter daily profile features.

A day can be wrong in shape while every interval looks plausible (the evening peak at noon, a
shop open on a Sunday). Each meter-day is described by the share of its energy in six 4-hour
blocks of the local day and by its total against the meter's baseline; each feature is
standardised against the meter's own history (median and MAD), so one forest over the fleet's
history days judges every meter against itself. A day is unusual when its isolation score
passes the threshold and every score of the meter's own history days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from ml.anomaly.expectation import MAD_TO_SD

BLOCK_HOURS = 4
SHAPE_FEATURES = tuple(f"share_{h:02d}h" for h in range(0, 24, BLOCK_HOURS))
FEATURES = (*SHAPE_FEATURES, "baseline_log_ratio")
MIN_SPREAD = 0.02
EXPORTS = "can_export"
"""The profiles' column naming meters whose panels can export: their days are not judged."""


def day_profiles(features: pl.DataFrame, baselines: pl.DataFrame) -> pl.DataFrame:
    """Per complete meter-day: the energy share of each local 4-hour block and the log ratio of
    the day's energy to its baseline (`ml.anomaly.expectation.daily_baseline`), with the
    baselines' `can_export` when they have it (`unusual_days` reads it)."""
    complete = (
        features.group_by("meter_id", "day")
        .agg(missing=pl.col("energy_kwh").null_count(), total=pl.col("energy_kwh").abs().sum())
        .filter((pl.col("missing") == 0) & (pl.col("total") > 0))
    )
    shares = (
        features.join(complete, on=["meter_id", "day"])
        .with_columns(
            block=pl.format(
                "share_{}h",
                (pl.col("local_hour") // BLOCK_HOURS * BLOCK_HOURS).cast(pl.String).str.zfill(2),
            )
        )
        .group_by("meter_id", "day", "block")
        .agg(share=(pl.col("energy_kwh").abs().sum() / pl.col("total").first()))
        .pivot(on="block", index=["meter_id", "day"], values="share")
    )
    for name in SHAPE_FEATURES:
        if name not in shares.columns:
            shares = shares.with_columns(pl.lit(0.0).alias(name))
    ratio = (pl.col("energy_kwh") / pl.col("baseline_kwh")).log()
    exports = [EXPORTS] if EXPORTS in baselines.columns else []
    return (
        shares.join(
            baselines.select("meter_id", "day", *exports, baseline_log_ratio=ratio),
            on=["meter_id", "day"],
            how="left",
        )
        .with_columns(
            pl.col(list(SHAPE_FEATURES)).fill_null(0.0),
            pl.col("baseline_log_ratio").fill_nan(None).fill_null(0.0),
        )
        .select("meter_id", "day", *exports, *FEATURES)
        .sort("meter_id", "day")
    )


def _profile_scales(history: pl.DataFrame) -> pl.DataFrame:
    """Per meter of `history` (`day_profiles`): each feature's median and MAD, and its number
    of history days."""
    return history.group_by("meter_id").agg(
        *[pl.col(f).median().alias(f"{f}_median") for f in FEATURES],
        *[(pl.col(f) - pl.col(f).median()).abs().median().alias(f"{f}_mad") for f in FEATURES],
        history_days=pl.len(),
    )


def _standardised(profiles: pl.DataFrame, scales: pl.DataFrame) -> pl.DataFrame:
    return profiles.join(scales, on="meter_id").with_columns(
        (pl.col(f) - pl.col(f"{f}_median"))
        / (MAD_TO_SD * pl.col(f"{f}_mad")).clip(lower_bound=MIN_SPREAD)
        for f in FEATURES
    )


TREES = 100
MAX_SAMPLES = 256
"""Rows each tree is grown on (scikit-learn's `max_samples="auto"`)."""
MAX_SEED = np.iinfo(np.int32).max


@dataclass(frozen=True)
class Forest:
    """An Isolation Forest: each tree, the feature columns it reads, and what scoring needs of
    it (each node's depth and the average path length of its samples, `_average_path_length`),
    with the rows each tree was grown on."""

    trees: list[Any]
    features: list[np.ndarray]
    depths: list[np.ndarray]
    averages: list[np.ndarray]
    max_samples: int


@dataclass(frozen=True)
class WeekForest:
    """What the unusual-day detector learns from the history before a Monday: each meter's
    profile scales, a forest fitted on the standardised history days of the meters with at
    least `min_days` of them, and each such meter's highest score there."""

    scales: pl.DataFrame
    forest: Forest
    history_max: pl.DataFrame


def _fitted(seed: int, train: np.ndarray) -> Forest:
    """The forest scikit-learn's `IsolationForest(n_estimators=TREES, random_state=seed)` fits
    on `train`, grown without its per-tree cloning and input checks (a third of its time on a
    thousand rows, once a week): the same draws in the same order (the regression target, each
    tree's seed, its features, its rows), each tree grown on its rows alone, which is what
    scikit-learn's 0/1 weights on every row grow; a test compares trees and scores with it."""
    import sklearn
    from sklearn.ensemble._iforest import _average_path_length
    from sklearn.tree import ExtraTreeRegressor
    from sklearn.utils.random import sample_without_replacement

    x = np.ascontiguousarray(train, dtype=np.float32)
    rows, columns = x.shape
    target = np.asarray(np.random.RandomState(seed).uniform(size=rows))
    samples = min(MAX_SAMPLES, rows)
    depth = int(np.ceil(np.log2(max(samples, 2))))
    trees, features, depths, averages = [], [], [], []
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        for tree_seed in np.random.RandomState(seed).randint(MAX_SEED, size=TREES):
            tree = ExtraTreeRegressor(
                max_depth=depth,
                max_features=1,
                splitter="random",
                random_state=np.random.RandomState(tree_seed).randint(MAX_SEED),
            )
            draws = np.random.RandomState(tree_seed)
            features.append(sample_without_replacement(columns, columns, random_state=draws))
            grown_on = np.sort(sample_without_replacement(rows, samples, random_state=draws))
            tree._fit(x[grown_on], target[grown_on], check_input=False)
            trees.append(tree)
            depths.append(tree.tree_.compute_node_depths())
            averages.append(_average_path_length(tree.tree_.n_node_samples))
    return Forest(trees, features, depths, averages, samples)


def _scores(forest: Forest, x: np.ndarray) -> np.ndarray:
    """scikit-learn's `score_samples(x)` negated (0.5 ordinary, near 1 isolated at once),
    computed as it does but in one loop over the trees' arrays: its per-tree dispatch was most
    of the detector's time on a few dozen rows."""
    from sklearn.ensemble._iforest import _average_path_length

    rows = np.ascontiguousarray(x, dtype=np.float32)
    depths = np.zeros(len(rows))
    for tree, features, path, average in zip(
        forest.trees, forest.features, forest.depths, forest.averages, strict=True
    ):
        leaves = tree.tree_.apply(np.ascontiguousarray(rows[:, features]))
        depths += path[leaves] + average[leaves] - 1.0
    denominator = len(forest.trees) * _average_path_length([forest.max_samples])
    return np.asarray(
        2 ** (-np.divide(depths, denominator, out=np.ones_like(depths), where=denominator != 0))
    ).ravel()


def _scored(forest: Forest, rows: pl.DataFrame) -> pl.DataFrame:
    scores = _scores(forest, rows.select(FEATURES).to_numpy()) if rows.height else np.zeros(0)
    return rows.with_columns(isolation_score=pl.Series(scores, dtype=pl.Float64))


def _max_by_meter(scored: pl.DataFrame) -> pl.DataFrame:
    return scored.group_by("meter_id").agg(history_max=pl.col("isolation_score").max())


def week_forest(history: pl.DataFrame, min_days: int, seed: int = 0) -> WeekForest | None:
    """The `WeekForest` of the profiles (`day_profiles`) of the days before a Monday, or none
    when fewer than `min_days` of them can train it. Fitting and scoring the history are most of
    the detector's time, and a week more of history hardly moves what is unusual."""
    scales = _profile_scales(history).filter(pl.col("history_days") >= min_days)
    train = _standardised(history, scales)
    if train.height < min_days:
        return None
    forest = _fitted(seed, train.select(FEATURES).to_numpy())
    return WeekForest(scales, forest, _max_by_meter(_scored(forest, train)))


def unusual_days(
    recent: pl.DataFrame, day: date, threshold: float, week: WeekForest | None
) -> pl.DataFrame:
    """Meters whose profile of `day` is unusual: `meter_id`, `isolation_score` (0.5 ordinary,
    near 1 isolated at once) and `most_unusual` (the feature furthest from the meter's median).
    `recent`: the profiles (`day_profiles`) of the days from the week's Monday to `day`, judged
    by the `week_forest` of the history before it; a day is unusual when its score passes
    `threshold` and every score of the meter's days before it. Meters the week's forest does
    not know are not judged, nor meters that can export (`can_export`, when `recent` has it):
    a net day's shares and its ratio to a net baseline are mostly the weather's (the sun on the
    panels), and judged on them a prosumer's ordinary cloudy or sunny day was its most unusual
    (judged net of the panels' estimated output, the false day only moved)."""
    if EXPORTS in recent.columns:
        recent = recent.filter(~pl.col(EXPORTS).fill_null(False))
    frame = _standardised(recent, week.scales) if week is not None else recent.clear()
    if week is None or frame.filter(pl.col("day") == day).height == 0:
        return pl.DataFrame(
            schema={"meter_id": pl.String, "isolation_score": pl.Float64, "most_unusual": pl.String}
        )
    scored = _scored(week.forest, frame)
    history_max = (
        pl.concat([week.history_max, _max_by_meter(scored.filter(pl.col("day") < day))])
        .group_by("meter_id")
        .agg(pl.col("history_max").max())
    )
    today = scored.filter(pl.col("day") == day).join(history_max, on="meter_id")
    values = np.abs(today.select(FEATURES).to_numpy())
    return (
        today.with_columns(
            most_unusual=pl.Series([FEATURES[i] for i in values.argmax(axis=1)], dtype=pl.String)
        )
        .filter(
            (pl.col("isolation_score") > threshold)
            & (pl.col("isolation_score") > pl.col("history_max"))
        )
        .select("meter_id", "isolation_score", "most_unusual")
    )
