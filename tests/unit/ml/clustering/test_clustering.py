from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from checks.contracts import GOLD_CLUSTER_CENTROIDS, GOLD_METER_CLUSTERS
from checks.contracts.vocabularies import CLUSTER_STATUSES
from checks.schemas.validation import validate_table
from ml.clustering.monthly import CLUSTERED, OUTLIER, cluster_month, previous_centroids
from ml.clustering.profiles import (
    REASON_NO_LEVEL,
    REASON_TOO_FEW_DAYS,
    hourly_energy,
    meter_profiles,
)
from ml.clustering.segmentation import agreement, segment
from ml.clustering.stable_ids import stable_ids

MONDAY = date(2024, 1, 1)
HOUR = np.arange(24)
Shape = Callable[[np.ndarray, bool], np.ndarray]


def home(hour: np.ndarray, working: bool) -> np.ndarray:
    return 0.3 + np.exp(-0.5 * ((hour - (19 if working else 12)) / 2.0) ** 2)


def office(hour: np.ndarray, working: bool) -> np.ndarray:
    return 0.2 + (((hour >= 8) & (hour < 18)) if working else np.zeros(24))


def factory(hour: np.ndarray, working: bool) -> np.ndarray:
    return np.full(24, 1.0) if working else np.full(24, 0.6)


def features(
    shapes: Mapping[str, tuple[Shape, float]],
    days: int = 14,
    first: date = MONDAY,
    seed: int = 1,
    interval_minutes: int = 30,
) -> pl.DataFrame:
    """Interval rows as in gold/consumption_features: each meter follows its shape function at
    its own scale (kWh per hour) with a little noise; Saturdays and Sundays are not working."""
    rng = np.random.default_rng(seed)
    per_hour = 60 // interval_minutes
    frames = []
    for meter, (shape, scale) in shapes.items():
        for d in range(days):
            day = first + timedelta(days=d)
            weekend = day.weekday() >= 5
            hourly = shape(HOUR, not weekend) * scale * rng.lognormal(0.0, 0.05, 24)
            frames.append(
                pl.DataFrame(
                    {
                        "meter_id": meter,
                        "customer_type": meter.split("-")[0],
                        "local_date": day,
                        "local_hour": np.repeat(HOUR, per_hour).astype(np.int8),
                        "interval_minutes": interval_minutes,
                        "energy_kwh": np.repeat(hourly / per_hour, per_hour),
                        "is_weekend": weekend,
                        "is_holiday": False,
                    }
                )
            )
    return pl.concat(frames)


FLEET: dict[str, tuple[Shape, float]] = {
    **{f"residential-{i}": (home, 0.5 + 0.1 * i) for i in range(6)},
    **{f"commercial-{i}": (office, 5.0 + i) for i in range(5)},
    **{f"industrial-{i}": (factory, 40.0 + 5 * i) for i in range(4)},
}


def test_profile_is_mean_hourly_energy_scaled_by_the_meters_level() -> None:
    profiles = meter_profiles(hourly_energy(features({"industrial-0": (factory, 10.0)})))
    shape = profiles.shapes[0]
    assert shape.mean() == pytest.approx(1.0)
    assert profiles.level_kwh[0] == pytest.approx(10.0 * (1.0 * 24 + 0.6 * 24) / 48, rel=0.05)
    assert shape[:24].mean() / shape[24:].mean() == pytest.approx(1.0 / 0.6, rel=0.05)
    assert (profiles.working_days[0], profiles.non_working_days[0]) == (10, 4)


def test_same_habits_at_any_size_give_the_same_profile() -> None:
    profiles = meter_profiles(
        hourly_energy(features({"a": (office, 1.0), "b": (office, 100.0)}, seed=3))
    )
    assert np.abs(profiles.shapes[0] - profiles.shapes[1]).max() < 0.2


def test_an_hour_with_a_missing_interval_does_not_count() -> None:
    rows = features({"a": (factory, 1.0)}, days=7)
    gap = (pl.col("local_date") == MONDAY) & (pl.col("local_hour") == 3)
    rows = rows.with_columns(energy_kwh=pl.when(gap).then(None).otherwise(pl.col("energy_kwh")))
    hours = hourly_energy(rows)
    assert len(hours) == 7 * 24 - 1
    assert hours.filter((pl.col("local_date") == MONDAY) & (pl.col("local_hour") == 3)).is_empty()


def test_meters_without_enough_days_or_consumption_are_named_with_the_reason() -> None:
    rows = pl.concat(
        [
            features({"short": (home, 1.0)}, days=4),
            features({"off": (home, 0.0), "ok": (home, 1.0)}, days=14),
        ]
    )
    profiles = meter_profiles(hourly_energy(rows))
    assert profiles.meter_ids == ["ok"]
    assert profiles.without_profile == {"short": REASON_TOO_FEW_DAYS, "off": REASON_NO_LEVEL}


def test_kmeans_recovers_the_customer_types_and_picks_k_by_silhouette() -> None:
    profiles = meter_profiles(hourly_energy(features(FLEET)))
    fit = segment(profiles.shapes)
    assert fit.k == 3
    assert fit.silhouette == max(fit.silhouettes.values())
    types = [m.split("-")[0] for m in profiles.meter_ids]
    assert agreement(fit.labels, types) == pytest.approx(1.0)


def test_a_meter_that_fits_no_cluster_is_an_outlier() -> None:
    def night(hour: np.ndarray, working: bool) -> np.ndarray:
        return 0.1 + 3.0 * ((hour < 5) | (hour >= 23))

    profiles = meter_profiles(hourly_energy(features({**FLEET, "odd-0": (night, 2.0)})))
    fit = segment(profiles.shapes)
    outliers = [m for m, label in zip(profiles.meter_ids, fit.labels, strict=True) if label < 0]
    assert outliers == ["odd-0"]
    assert fit.k == 3


def test_matched_centroids_keep_their_ids_and_new_ones_get_unused_ids() -> None:
    previous = {4: np.array([0.0, 0.0]), 7: np.array([10.0, 0.0])}
    assert stable_ids(np.array([[9.0, 1.0], [1.0, 0.0]]), previous) == [7, 4]
    grown = np.array([[9.0, 1.0], [1.0, 0.0], [5.0, 5.0]])
    assert stable_ids(grown, previous, next_free=12) == [7, 4, 12]
    assert stable_ids(grown, {}) == [0, 1, 2]


def test_a_cluster_that_barely_moved_keeps_its_id_when_another_changes_shape() -> None:
    # The least total distance would swap the ids (4.5 + 3.1 < 0.5 + 8.0).
    previous = {0: np.array([0.0, 0.0]), 1: np.array([5.0, 0.0])}
    now = np.array([[0.5, 0.0], [-3.0, -8.0 + np.sqrt(55.0)]])
    assert stable_ids(now, previous) == [0, 1]
    assert stable_ids(now[1:], previous) == [0]


def test_month_rows_keep_cluster_ids_and_show_a_meter_that_changed_habits() -> None:
    january = cluster_month(features(FLEET), MONTH_1, EMPTY_PREVIOUS, {})
    changed = {**FLEET, "commercial-0": (factory, 50.0)}
    february = cluster_month(
        features(changed, first=date(2024, 2, 5), seed=2),
        MONTH_2,
        pl.from_arrow(january.meters),  # type: ignore[arg-type]
        previous_centroids(pl.from_arrow(january.centroids)),  # type: ignore[arg-type]
    )
    jan = pl.from_arrow(january.meters)
    feb = pl.from_arrow(february.meters)
    assert isinstance(jan, pl.DataFrame) and isinstance(feb, pl.DataFrame)
    cluster_of = dict(zip(jan["meter_id"], jan["cluster_id"], strict=True))
    moved = feb.filter(pl.col("is_cluster_change"))
    assert moved["meter_id"].to_list() == ["commercial-0"]
    assert moved["previous_cluster_id"][0] == cluster_of["commercial-0"]
    assert moved["cluster_id"][0] == cluster_of["industrial-0"]
    assert set(january.cluster_ids) == set(february.cluster_ids)
    assert february.type_agreement is not None and february.type_agreement < 1.0
    for result in (january, february):
        assert validate_table(GOLD_METER_CLUSTERS, result.meters).passed
        assert validate_table(GOLD_CLUSTER_CENTROIDS, result.centroids).passed


def test_every_meter_of_the_month_has_a_row_even_without_a_profile() -> None:
    rows = pl.concat([features(FLEET), features({"short-0": (home, 1.0)}, days=2)])
    result = cluster_month(rows, MONTH_1, EMPTY_PREVIOUS, {})
    meters = pl.from_arrow(result.meters)
    assert isinstance(meters, pl.DataFrame)
    assert len(meters) == len(FLEET) + 1
    short = meters.filter(pl.col("meter_id") == "short-0")
    assert short["status"].to_list() == [REASON_TOO_FEW_DAYS]
    assert short["cluster_id"].to_list() == [None]
    assert result.type_agreement == pytest.approx(1.0)


MONTH_1 = date(2024, 1, 1)
MONTH_2 = date(2024, 2, 1)
EMPTY_PREVIOUS = pl.DataFrame(
    schema={"meter_id": pl.String, "cluster_id": pl.Int32, "status": pl.String}
)


def test_the_clustering_writes_only_the_cluster_statuses_of_the_vocabulary() -> None:
    # dbt's lists are compared with the vocabulary in tests/unit/marts/test_dbt_definitions.py.
    assert {CLUSTERED, OUTLIER, REASON_TOO_FEW_DAYS, REASON_NO_LEVEL} == set(CLUSTER_STATUSES)
