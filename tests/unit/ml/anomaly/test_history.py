"""Clean history: what rules would flag, what silver flagged and bad days never teach a meter's
expectations, on small inline series of one meter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ml.anomaly.expectation import baseline_fits, daily_baseline
from ml.anomaly.history import (
    clean_history,
    excluded_intervals,
    expectation_from_clean_history,
    left_out,
    mark_excluded,
    suspect_intervals,
)
from ml.anomaly.params import AnomalyParams
from ml.anomaly.rules import sustained_rise
from ml.anomaly.unusual_day import SHAPE_FEATURES, unusual_days, week_forest
from ml.anomaly.week_history import monday_of, week_history

PARAMS = AnomalyParams()
FIRST = date(2024, 1, 1)
HOURS = 24


def hourly_days(days: int, daily_kwh: list[float] | None = None) -> pl.DataFrame:
    """`days` of hourly gold-feature rows for meter M1: a daily shape (more in the evening)
    around 1 kWh an hour, scaled per day by `daily_kwh` / 24 when given."""
    rows = []
    for d in range(days):
        day = FIRST + timedelta(days=d)
        scale = 1.0 if daily_kwh is None else daily_kwh[d] / HOURS
        for h in range(HOURS):
            energy = scale * (0.8 + 0.4 * (h >= 17) + 0.01 * ((d * 7 + h) % 5))
            start = datetime(day.year, day.month, day.day, h, tzinfo=UTC)
            rows.append(
                {
                    "meter_id": "M1",
                    "interval_start_utc": start,
                    "interval_minutes": 60,
                    "energy_kwh": energy,
                    "region": "north",
                    "local_hour": h,
                    "local_minute_of_day": 60 * h,
                    "local_day_of_week": day.weekday(),
                    "is_weekend": False,
                    "is_holiday": False,
                    "is_bridge_day": False,
                    "is_end_of_year": False,
                    "month": day.month,
                    "observed_temperature_c": 8.0,
                    "weather_source": "forecast",
                    "shortwave_radiation_wm2": 100.0,
                    "temperature_c": 8.0,
                    "relative_humidity_pct": 80.0,
                    "wind_speed_ms": 3.0,
                    "cloud_cover_pct": 50.0,
                    "heating_degree_c": 7.5,
                    "cooling_degree_c": 0.0,
                    "day": day,
                    "lag_1d_kwh": energy,
                    "lag_2d_kwh": energy,
                    "lag_7d_kwh": energy,
                }
            )
    return pl.DataFrame(rows).with_columns(
        pl.col("interval_minutes", "local_minute_of_day").cast(pl.Int16),
        pl.col("local_hour", "local_day_of_week", "month").cast(pl.Int8),
    )


def with_energy(frame: pl.DataFrame, day: int, hours: range, factor: float) -> pl.DataFrame:
    start = datetime(2024, 1, 1 + day, tzinfo=UTC)
    chosen = pl.col("interval_start_utc").is_between(
        start + timedelta(hours=hours.start), start + timedelta(hours=hours.stop), closed="left"
    )
    return frame.with_columns(
        energy_kwh=pl.when(chosen).then(pl.col("energy_kwh") * factor).otherwise("energy_kwh")
    )


def test_a_partial_day_burst_of_1000x_readings_is_suspect_and_normal_hours_are_not() -> None:
    frame = with_energy(hourly_days(20), 12, range(9, 14), 1000.0)
    suspects = suspect_intervals(frame, PARAMS)
    hours = suspects["interval_start_utc"].dt.hour().sort().to_list()
    assert suspects["interval_start_utc"].dt.day().unique().to_list() == [13]
    assert hours == [9, 10, 11, 12, 13]


def test_a_run_of_low_days_is_suspect_but_a_single_low_day_is_not() -> None:
    daily = [24.0] * 30
    daily[10] = 10.0
    daily[20:25] = [10.0] * 5
    suspects = suspect_intervals(hourly_days(30, daily), PARAMS)
    days = suspects["interval_start_utc"].dt.date().unique().sort().to_list()
    assert days == [FIRST + timedelta(days=d) for d in range(20, 25)]


def test_a_stuck_meter_and_an_hour_of_zeros_are_suspect() -> None:
    frame = hourly_days(15)
    stuck = datetime(2024, 1, 11, 2, tzinfo=UTC)
    frame = frame.with_columns(
        energy_kwh=pl.when(
            pl.col("interval_start_utc").is_between(stuck, stuck + timedelta(hours=3))
        )
        .then(0.777)
        .when(pl.col("interval_start_utc") == datetime(2024, 1, 12, 5, tzinfo=UTC))
        .then(0.0)
        .when(pl.col("interval_start_utc") == datetime(2024, 1, 12, 6, tzinfo=UTC))
        .then(0.0)
        .otherwise("energy_kwh")
    )
    suspects = suspect_intervals(frame, PARAMS)["interval_start_utc"].sort().to_list()
    assert suspects == [stuck + timedelta(hours=h) for h in range(4)] + [
        datetime(2024, 1, 12, 5, tzinfo=UTC),
        datetime(2024, 1, 12, 6, tzinfo=UTC),
    ]


def test_silver_flags_and_bad_scorecard_days_are_excluded() -> None:
    starts = [datetime(2024, 1, d, 0, tzinfo=UTC) for d in (1, 2, 3)] + [
        datetime(2024, 1, 3, 1, tzinfo=UTC)
    ]
    silver = pl.DataFrame(
        {"meter_id": ["M1"] * 4, "interval_start_utc": starts,
         "day": [date(2024, 1, d) for d in (1, 2, 3, 3)],
         "is_estimated": [True, False, False, False], "is_unit_corrected": [False] * 4,
         "is_flatline": [False] * 4}
    )  # fmt: skip
    scorecard = pl.DataFrame(
        {"meter_id": ["M1"] * 3, "day": [date(2024, 1, d) for d in (1, 2, 3)],
         "status": ["good", "degraded", "bad"]}
    )  # fmt: skip
    excluded = excluded_intervals(silver, scorecard)
    assert excluded["interval_start_utc"].sort().to_list() == [starts[0], starts[2], starts[3]]


def test_clean_history_blanks_excluded_energy_and_the_lags_that_read_it() -> None:
    frame = hourly_days(10)
    burst = datetime(2024, 1, 3, 9, tzinfo=UTC)
    cleaned = clean_history(
        frame, pl.DataFrame({"meter_id": ["M1"], "interval_start_utc": [burst]})
    )
    at = cleaned.filter(pl.col("interval_start_utc") == burst).row(0, named=True)
    assert (at["energy_kwh"], at["is_excluded"]) == (None, True)
    lags = {
        days: cleaned.filter(pl.col("interval_start_utc") == burst + timedelta(days=days)).row(
            0, named=True
        )
        for days in (1, 2, 7)
    }
    assert lags[1]["lag_1d_kwh"] is None and lags[1]["lag_2d_kwh"] is not None
    assert lags[2]["lag_2d_kwh"] is None and lags[2]["lag_1d_kwh"] is not None
    assert lags[7]["lag_7d_kwh"] is None
    assert cleaned["energy_kwh"].null_count() == 1


def test_a_burst_in_the_history_does_not_inflate_the_expectation_of_a_later_day() -> None:
    normal = hourly_days(20)
    burst = with_energy(normal, 15, range(9, 14), 1000.0)
    judged = FIRST + timedelta(days=19)

    def expected(frame: pl.DataFrame) -> float:
        leave_out = left_out(frame, frame.clear().select("meter_id", "interval_start_utc"), PARAMS)
        rows = expectation_from_clean_history(None, frame, judged, 12, "model", leave_out)
        return float(rows["expected_kwh"].sum())

    assert expected(burst) == expected(normal)


def test_marked_history_keeps_the_energy_and_says_what_is_excluded() -> None:
    frame = hourly_days(2)
    burst = datetime(2024, 1, 2, 9, tzinfo=UTC)
    marked = mark_excluded(frame, pl.DataFrame({"meter_id": ["M1"], "interval_start_utc": [burst]}))
    assert marked["is_excluded"].sum() == 1
    assert marked["energy_kwh"].equals(frame["energy_kwh"])


def test_the_daily_baseline_learns_from_the_reference_days_it_is_given() -> None:
    days = [FIRST + timedelta(days=d) for d in range(30)]
    daily = pl.DataFrame(
        {"meter_id": ["M1"] * 30, "day": days, "energy_kwh": [20.0] * 20 + [5.0] * 10,
         "heating_degree_c": [5.0] * 30, "cooling_degree_c": [0.0] * 30,
         "radiation_wm2": [100.0] * 30, "is_working_day": [True] * 30,
         "is_saturday": [False] * 30, "is_bridge_day": [False] * 30}
    )  # fmt: skip
    clean = daily.with_columns(
        energy_kwh=pl.when(pl.col("day") >= days[20]).then(None).otherwise("energy_kwh")
    )
    learnt = daily_baseline(daily, days[-1], baseline_fits(clean, days[-1], 56, 3), 10)
    raw = daily_baseline(daily, days[-1], baseline_fits(daily, days[-1], 56, 3), 10)
    assert learnt["baseline_kwh"][-1] == pytest.approx(20.0)
    assert learnt["energy_kwh"][-1] == 5.0
    assert raw["baseline_kwh"][-1] < learnt["baseline_kwh"][-1]


def test_weather_moves_a_shops_closed_sunday_in_proportion_to_its_sunday_level() -> None:
    # A shop: 100 kWh on working days, 60 on Saturdays, 20 on Sundays, each 4% more per
    # heating degree, within a percent. A working day's slope (4 kWh a degree) would expect a
    # cold Sunday at 80.
    n = 63
    days = [FIRST + timedelta(days=d) for d in range(n)]
    levels = [100.0 if day.weekday() < 5 else 60.0 if day.weekday() == 5 else 20.0 for day in days]
    heating = [float((7 * d) % 15) for d in range(n - 1)] + [15.0]
    daily = pl.DataFrame(
        {"meter_id": ["M1"] * n, "day": days,
         "energy_kwh": [v * (1 + 0.04 * h) * (1 + 0.01 * (-1) ** (d // 2))
                        for d, (v, h) in enumerate(zip(levels, heating, strict=True))],
         "heating_degree_c": heating, "cooling_degree_c": [0.0] * n,
         "radiation_wm2": [100.0] * n, "is_working_day": [d.weekday() < 5 for d in days],
         "is_saturday": [d.weekday() == 5 for d in days], "is_bridge_day": [False] * n}
    )  # fmt: skip
    assert days[-1].weekday() == 6
    baselines = daily_baseline(daily, days[-1], baseline_fits(daily, days[-1], 56, 1), 10)
    assert baselines["baseline_kwh"][-1] == pytest.approx(20.0 * 1.6, rel=0.03)
    assert baselines["baseline_spread"][-1] < 0.02


def test_a_level_that_moved_up_and_stays_is_a_level_shift_after_three_days() -> None:
    days = [FIRST + timedelta(days=d) for d in range(10)]
    baselines = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": [10.0] * 7 + [20.0] * 3,
         "baseline_kwh": [10.0] * 10, "baseline_spread": [0.05] * 10}
    )  # fmt: skip
    runs = sustained_rise(baselines, days[-1], PARAMS)
    assert runs.select("anomaly_type", "run_days").row(0) == ("level_shift", 3)
    assert sustained_rise(baselines, days[-2], PARAMS).height == 0


def test_coming_back_to_a_level_held_for_days_before_a_drop_is_not_a_second_shift() -> None:
    days = [FIRST + timedelta(days=d) for d in range(10)]
    baselines = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": [10.0] * 7 + [19.0] * 3,
         "baseline_kwh": [10.0] * 10, "baseline_spread": [0.05] * 10,
         "baseline_held_ratio": [1.9] * 10}
    )  # fmt: skip
    assert sustained_rise(baselines, days[-1], PARAMS).height == 0
    higher = baselines.with_columns(energy_kwh=pl.Series([10.0] * 7 + [30.0] * 3))
    assert sustained_rise(higher, days[-1], PARAMS)["run_days"].to_list() == [3]


def test_a_prosumer_rise_in_the_net_figures_only_is_no_level_shift() -> None:
    days = [FIRST + timedelta(days=d) for d in range(10)]
    # A net baseline of 2 kWh is 12 of consumption less 10 from the panels: a cloudier week
    # than forecast reads 4 net (2x) but only 14/12 of consumption.
    autumn = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": [2.0] * 7 + [4.0] * 3,
         "baseline_kwh": [2.0] * 10, "baseline_solar_kwh": [-10.0] * 10,
         "baseline_spread": [0.05] * 10}
    )  # fmt: skip
    assert sustained_rise(autumn, days[-1], PARAMS).height == 0
    assert sustained_rise(autumn.drop("baseline_solar_kwh"), days[-1], PARAMS).height == 1


def test_the_daily_baseline_reports_the_highest_level_its_reference_held_for_days() -> None:
    days = [FIRST + timedelta(days=d) for d in range(40)]
    usual = [10.0 + 0.3 * (-1) ** d for d in range(40)]
    energy = usual[:20] + [19.0] * 5 + usual[25:]
    daily = pl.DataFrame(
        {"meter_id": ["M1"] * 40, "day": days, "energy_kwh": energy,
         "heating_degree_c": [5.0] * 40, "cooling_degree_c": [0.0] * 40,
         "radiation_wm2": [100.0] * 40, "is_working_day": [True] * 40,
         "is_saturday": [False] * 40, "is_bridge_day": [False] * 40}
    )  # fmt: skip
    baselines = daily_baseline(daily, days[-1], baseline_fits(daily, days[-1], 56, 3), 10)
    assert baselines["baseline_kwh"][-1] == pytest.approx(10.0, rel=0.02)
    assert baselines["baseline_held_ratio"][-1] == pytest.approx(1.9, rel=0.02)


def test_a_day_of_another_shape_is_unusual_unless_the_meter_can_export() -> None:
    rng = np.random.default_rng(0)
    days = [FIRST + timedelta(days=d) for d in range(40)]
    rows = [
        {"meter_id": f"M{m}", "day": day,
         **{f: 1 / 6 + 0.01 * rng.standard_normal() for f in SHAPE_FEATURES},
         "baseline_log_ratio": 0.02 * rng.standard_normal()}
        for m in range(4) for day in days
    ]  # fmt: skip
    odd = (pl.col("meter_id") == "M1") & (pl.col("day") == days[-1])
    profiles = pl.DataFrame(rows).with_columns(
        *[pl.when(odd).then(0.02).otherwise(f).alias(f) for f in SHAPE_FEATURES[:-1]],
        pl.when(odd).then(0.9).otherwise(SHAPE_FEATURES[-1]).alias(SHAPE_FEATURES[-1]),
        pl.when(odd).then(1.0).otherwise("baseline_log_ratio").alias("baseline_log_ratio"),
    )
    monday = days[-5]
    week = week_forest(profiles.filter(pl.col("day") < monday), 10)
    recent = profiles.filter(pl.col("day") >= monday)
    for day in days[-5:-1]:
        assert unusual_days(recent.filter(pl.col("day") <= day), day, 0.72, week).height == 0
    found = unusual_days(recent, days[-1], 0.72, week)
    assert found["meter_id"].to_list() == ["M1"]
    assert found["isolation_score"][0] > 0.72
    with_panels = recent.with_columns(can_export=pl.col("meter_id") == "M1")
    assert unusual_days(with_panels, days[-1], 0.72, week).height == 0


def test_what_is_usual_for_a_day_is_learnt_from_the_days_before_its_monday_only() -> None:
    frame = hourly_days(40).with_columns(
        expected_kwh=pl.col("energy_kwh"), expected_source=pl.lit("model"), is_excluded=False
    )
    monday = FIRST + timedelta(days=35)
    later = frame.with_columns(
        energy_kwh=pl.when(pl.col("day") > monday)
        .then(pl.col("energy_kwh") * 3)
        .otherwise(pl.col("energy_kwh"))
    )
    week, same_week = (week_history(f, monday, PARAMS, frozenset()) for f in (frame, later))
    assert monday_of(monday + timedelta(days=3)) == monday
    assert week.levels.equals(same_week.levels)
    for learnt in ("scales", "ranges"):
        rows = [getattr(w, learnt).sort(pl.all()) for w in (week, same_week)]
        assert rows[0].equals(rows[1])
    assert week.daily["day"].max() == monday - timedelta(days=1)
