"""The shortcuts of the detection's speed work give what the long way gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal
from sklearn.ensemble import IsolationForest

from ml.anomaly.consequences import CONSEQUENCE_DAYS
from ml.anomaly.detection import detect_day, detect_days
from ml.anomaly.params import AnomalyParams
from ml.anomaly.sliding_read import SlidingRead
from ml.anomaly.unusual_day import _fitted, _scores
from ml.anomaly.week_history import WeekHistory

FIRST = date(2024, 1, 1)
PARAMS = AnomalyParams()
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


@pytest.mark.parametrize("history_days", [1100, 120])
def test_the_forest_and_its_scores_are_scikit_learns(history_days: int) -> None:
    rng = np.random.default_rng(history_days)
    train = rng.normal(size=(history_days, 7))
    rows = np.vstack([train[:20], rng.normal(size=(40, 7)) * 2])
    ours = _fitted(5, train)
    theirs = IsolationForest(n_estimators=100, random_state=5).fit(train)
    assert all(
        np.array_equal(a.tree_.threshold, b.tree_.threshold)
        and np.array_equal(a.tree_.feature, b.tree_.feature)
        for a, b in zip(ours.trees, theirs.estimators_, strict=True)
    )
    assert np.array_equal(_scores(ours, rows), -theirs.score_samples(rows))


def _fleet(days: int, first: date) -> pl.DataFrame:
    """Detector inputs (`with_expectation` rows, `is_excluded`) of three hourly meters over
    `days` days: a household, a shop (closed on weekends) and a prosumer, each with noise and a
    model that expects them closely; a spike, a four-day drop and a flatline in the last days."""
    rng = np.random.default_rng(3)
    frames = []
    for meter, shape, exports in (("M1", 0.5, False), ("M2", 2.0, False), ("M3", 0.8, True)):
        for d in range(days):
            day = first + timedelta(days=d)
            hours = np.arange(24)
            weekend = day.weekday() >= 5
            base = shape * (1.0 + 0.6 * np.sin((hours - 6) / 24 * 2 * np.pi).clip(0))
            if meter == "M2" and weekend:
                base = base * 0.2
            if exports:
                base = base - 1.2 * np.sin((hours - 6) / 12 * np.pi).clip(0)
            energy = base * (1.0 + 0.05 * rng.normal(size=24))
            expected = base * (1.0 + 0.03 * rng.normal(size=24))
            if meter == "M1" and d == days - 5:
                energy[18:20] = 9.0
            if meter == "M2" and days - 9 <= d < days - 5:
                energy = energy * 0.3
            if meter == "M3" and d == days - 2:
                energy[1:6] = 0.777
            frames.append(
                pl.DataFrame(
                    {
                        "meter_id": meter,
                        "interval_start_utc": [
                            datetime.combine(day, datetime.min.time(), UTC)
                            + timedelta(hours=int(h))
                            for h in hours
                        ],
                        "interval_minutes": 60,
                        "energy_kwh": energy,
                        "region": "R1",
                        "local_hour": hours,
                        "local_minute_of_day": hours * 60,
                        "local_day_of_week": day.isoweekday(),
                        "is_weekend": weekend,
                        "is_holiday": False,
                        "is_bridge_day": False,
                        "observed_temperature_c": 8.0 + 4.0 * np.sin(d / 9) + hours / 6,
                        "shortwave_radiation_wm2": 300.0 * np.sin((hours - 6) / 12 * np.pi).clip(0),
                        "day": day,
                        "expected_kwh": expected,
                        "expected_low_kwh": expected * 0.8,
                        "expected_high_kwh": expected * 1.2,
                        "expected_source": "model",
                        "is_excluded": False,
                    },
                    schema_overrides={
                        "local_hour": pl.Int32,
                        "local_minute_of_day": pl.Int32,
                        "local_day_of_week": pl.Int32,
                    },
                )
            )
    return pl.concat(frames)


def _polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_a_chunk_of_days_detected_in_one_call_gives_what_day_by_day_gives() -> None:
    first = date(2024, 1, 1)
    features = _fleet(90, first)
    meters = pl.DataFrame({"meter_id": ["M1", "M2", "M3"], "can_export": [False, False, True]})
    unit_days = pl.DataFrame({"meter_id": ["M1"], "day": [first], "is_unit_corrected": [False]})
    judged = [first + timedelta(days=d) for d in range(72, 90)]
    at = datetime(2024, 4, 1, tzinfo=UTC)

    one_by_one: list[pa.Table] = []
    weeks: dict[date, WeekHistory] = {}
    for day in judged:
        recent = [t for t in one_by_one[-CONSEQUENCE_DAYS:] if t.num_rows]
        raised = pl.from_arrow(pa.concat_tables(recent)) if recent else None
        assert not isinstance(raised, pl.Series)
        one_by_one.append(
            detect_day(features, meters, unit_days, day, PARAMS, at, raised=raised, weeks=weeks)
            .table
        )  # fmt: skip
    chunked = detect_days(features, meters, unit_days, judged, PARAMS, at, weeks={})

    # Daily sums over a week's rows or a day's add in another order: the last bits may differ.
    for detection, alone in zip(chunked, one_by_one, strict=True):
        assert_frame_equal(_polars(detection.table), _polars(alone), rel_tol=1e-12)
    found = pa.concat_tables(one_by_one)
    assert {"spike", "sustained_drop", "flatline"} <= set(found["anomaly_type"].to_pylist())


def test_the_day_notes_name_the_meters_the_unusual_day_forest_does_not_judge() -> None:
    first = date(2024, 1, 1)
    meters = pl.DataFrame({"meter_id": ["M1", "M2", "M3"], "can_export": [False, False, True]})
    unit_days = pl.DataFrame({"meter_id": ["M1"], "day": [first], "is_unit_corrected": [False]})
    at = datetime(2024, 4, 1, tzinfo=UTC)

    detection = detect_day(_fleet(80, first), meters, unit_days, date(2024, 3, 15), PARAMS, at)

    assert detection.notes["unusual_day_not_judged_can_export"] == ["M3"]
