"""Domain checks and the shared CheckOutcome: each check passes on good data and fails on bad."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from checks.contracts import SILVER_METER_READINGS
from checks.domain.alignment import dst_day_lengths, interval_alignment
from checks.domain.completeness import completeness, duplicate_keys
from checks.domain.flatlines import flatline_mask, flatlines
from checks.domain.frames import meter_key
from checks.domain.freshness import freshness, latest_instant
from checks.domain.units import unit_jumps
from checks.domain.weather import holiday_calendars, weather_coverage
from checks.result import MAX_EXAMPLES, CheckOutcome

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def readings(
    meter_id: str,
    start: datetime,
    end: datetime,
    *,
    minutes: int = 15,
    energy: float | list[float | None] | None = 1.0,
) -> pl.DataFrame:
    """Silver-shaped readings of one meter on a regular grid [start, end)."""
    instants = pl.datetime_range(
        start,
        end,
        timedelta(minutes=minutes),
        closed="left",
        time_unit="us",
        time_zone="UTC",
        eager=True,
    )
    values = energy if isinstance(energy, list) else [energy] * instants.len()
    frame = pl.DataFrame(
        {
            "meter_id": [meter_id] * instants.len(),
            "interval_start_utc": instants,
            "interval_minutes": pl.Series([minutes] * instants.len(), dtype=pl.Int16),
            "energy_kwh": pl.Series(values, dtype=pl.Float64),
        }
    )
    return frame.with_columns(
        is_missing=pl.col("energy_kwh").is_null(), day=pl.col("interval_start_utc").dt.date()
    )


def one_day(meter_id: str, energy: float | list[float | None] | None = 1.0) -> pl.DataFrame:
    return readings(meter_id, T0, T0 + timedelta(days=1), energy=energy)


def varied(n: int, seed: int = 0) -> list[float | None]:
    return [round(float(v), 3) for v in np.random.default_rng(seed).uniform(0.2, 0.8, n)]


def meters(*rows: tuple[str, str]) -> pa.Table:
    return pa.table(
        {
            "meter_id": [m for m, _ in rows],
            "timezone": [tz for _, tz in rows],
            "interval_minutes": pa.array([15] * len(rows), pa.int16()),
        }
    )


def assert_json_friendly(outcome: CheckOutcome) -> None:
    json.dumps(outcome.metadata)
    assert len(outcome.metadata.get("examples", [])) <= MAX_EXAMPLES
    for example in outcome.metadata.get("examples", []):
        assert all(isinstance(v, str) for v in example.values())


# ---------------------------------------------------------------- CheckOutcome


def test_from_mask_counts_failures_and_keeps_five_stringified_examples() -> None:
    frame = pl.DataFrame({"meter_id": [f"m{i}" for i in range(8)], "v": [1.5] * 7 + [None]})
    outcome = CheckOutcome.from_mask(
        "demo",
        frame,
        pl.Series([True] * 7 + [None]),
        passed_description="ok",
        failed_description="{failing} of {rows} bad {braces}",
    )
    assert not outcome.passed
    assert outcome.failing_rows == 7
    assert outcome.description == "7 of 8 bad {braces}"
    assert outcome.metadata["examples"][0] == {"meter_id": "m0", "v": "1.5"}
    assert_json_friendly(outcome)


@pytest.mark.parametrize(
    "frame",
    [
        pa.table({"x": [1, 2]}),
        pd.DataFrame({"x": [1, 2]}),
        pl.DataFrame({"x": [1, 2]}),
    ],
)
def test_from_mask_accepts_arrow_pandas_and_polars(frame: pa.Table) -> None:
    outcome = CheckOutcome.from_mask(
        "demo", frame, np.array([False, True]), passed_description="", failed_description="bad"
    )
    assert outcome.failing_rows == 1
    assert outcome.metadata["examples"] == [{"x": "2"}]


def test_from_mask_passes_on_an_all_false_mask() -> None:
    outcome = CheckOutcome.from_mask(
        "demo", pl.DataFrame({"x": [1]}), [False], passed_description="fine", failed_description=""
    )
    assert outcome.passed and outcome.description == "fine" and outcome.failing_rows == 0


def test_from_mask_rejects_a_mask_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="shape"):
        CheckOutcome.from_mask(
            "demo",
            pl.DataFrame({"x": [1]}),
            [True, False],
            passed_description="",
            failed_description="",
        )


def test_outcome_rejects_metadata_that_is_not_json_friendly() -> None:
    with pytest.raises(TypeError, match="JSON"):
        CheckOutcome("demo", True, "", 0, {"when": datetime(2024, 1, 1)})


# ---------------------------------------------------------------- completeness


def test_completeness_passes_when_every_meter_day_is_complete() -> None:
    outcome = completeness(pl.concat([one_day("a"), one_day("b")]).to_arrow())
    assert outcome.passed, outcome.description
    assert outcome.metadata["rows"] == 2  # meter-days judged
    assert outcome.metadata["worst_pct"] == 100.0


def test_completeness_fails_naming_the_meter_under_the_threshold() -> None:
    gappy = [None] * 20 + [1.0] * 76  # 79.17 % present
    outcome = completeness(pl.concat([one_day("good"), one_day("gappy", gappy)]).to_arrow())
    assert not outcome.passed
    assert outcome.failing_rows == 1
    assert outcome.metadata["meters"] == "gappy"
    assert outcome.metadata["examples"] == [
        {
            "meter_id": "gappy",
            "day": "2024-01-01",
            "expected_intervals": "96",
            "present_intervals": "76",
            "completeness_pct": "79.17",
        }
    ]
    assert "gappy" in outcome.description
    assert_json_friendly(outcome)


def test_completeness_counts_absent_grid_rows_as_missing_unless_told_otherwise() -> None:
    half_day = readings("a", T0, T0 + timedelta(hours=12)).to_arrow()  # no gap rows at all
    assert not completeness(half_day).passed
    assert completeness(half_day, expected_from_grid=False).passed


# ---------------------------------------------------------------- duplicate keys


def test_duplicate_keys_passes_on_a_unique_key() -> None:
    outcome = duplicate_keys(one_day("a").to_arrow(), SILVER_METER_READINGS.key)
    assert outcome.passed and outcome.metadata["duplicated_keys"] == 0


def test_duplicate_keys_fails_with_every_copy_and_the_key_values() -> None:
    day = one_day("a")
    outcome = duplicate_keys(
        pl.concat([day, day.slice(10, 1)]).to_arrow(), ["meter_id", "interval_start_utc"]
    )
    assert not outcome.passed
    assert outcome.failing_rows == 2
    assert outcome.metadata["duplicated_keys"] == 1
    assert outcome.metadata["examples"][0] == {
        "meter_id": "a",
        "interval_start_utc": "2024-01-01T02:30:00+00:00",
        "copies": "2",
    }


def test_duplicate_keys_treats_null_key_parts_as_equal() -> None:
    weather = pa.table(
        {
            "location_id": ["l", "l"],
            "valid_at_utc": pa.array([T0, T0], pa.timestamp("us", tz="UTC")),
            "issued_at_utc": pa.array([None, None], pa.timestamp("us", tz="UTC")),
        }
    )
    assert not duplicate_keys(weather, ["location_id", "valid_at_utc", "issued_at_utc"]).passed


def test_duplicate_keys_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        duplicate_keys(one_day("a").to_arrow(), [])


# ---------------------------------------------------------------- DST day lengths


def local_span(first: date, last: date, zone: ZoneInfo = PARIS) -> tuple[datetime, datetime]:
    """UTC instants of local midnight starting `first` and local midnight ending `last`."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end.astimezone(UTC)


@pytest.mark.parametrize(("dst_day", "hours"), [(date(2024, 3, 31), 23), (date(2024, 10, 27), 25)])
def test_dst_day_lengths_passes_on_a_true_grid_around_paris_dst(dst_day: date, hours: int) -> None:
    start, end = local_span(dst_day - timedelta(days=1), dst_day + timedelta(days=1))
    outcome = dst_day_lengths(readings("p", start, end).to_arrow(), meters(("p", "Europe/Paris")))
    assert outcome.passed, outcome.description
    assert outcome.metadata["judged_local_days"] == 3
    assert outcome.metadata["judged_dst_days"] == 1
    local_day_rows = readings("p", *local_span(dst_day, dst_day)).height
    assert local_day_rows == hours * 4


def test_dst_day_lengths_fails_on_a_naive_24_hour_spring_forward_day() -> None:
    start, end = local_span(date(2024, 3, 30), date(2024, 4, 1))
    grid = readings("p", start, end)
    # A grid built on local wall-clock time emits 02:00-02:45 (which does not exist) and maps it
    # onto 03:00-03:45: four extra rows, 24 h of intervals on a 23 h day.
    doubled = grid.filter(
        pl.col("interval_start_utc").dt.convert_time_zone("Europe/Paris").dt.strftime("%F %H")
        == "2024-03-31 03"
    )
    outcome = dst_day_lengths(pl.concat([grid, doubled]).to_arrow(), meters(("p", "Europe/Paris")))
    assert not outcome.passed
    assert outcome.failing_rows == 1
    assert outcome.metadata["failing_days"] == "p@2024-03-31"
    example = outcome.metadata["examples"][0]
    assert example["covered_hours"] == "24.0" and example["expected_hours"] == "23.0"
    assert example["intervals"] == "96"
    assert_json_friendly(outcome)


def test_dst_day_lengths_fails_on_a_fall_back_day_missing_its_repeated_hour() -> None:
    start, end = local_span(date(2024, 10, 26), date(2024, 10, 28))
    grid = readings("p", start, end)
    # The second 02:00-02:59 (UTC 01:00-01:45) dropped as "duplicates" of the first.
    second_pass = (pl.col("interval_start_utc") >= datetime(2024, 10, 27, 1, tzinfo=UTC)) & (
        pl.col("interval_start_utc") < datetime(2024, 10, 27, 2, tzinfo=UTC)
    )
    outcome = dst_day_lengths(grid.filter(~second_pass).to_arrow(), meters(("p", "Europe/Paris")))
    assert not outcome.passed
    assert outcome.metadata["failing_days"] == "p@2024-10-27"
    assert outcome.metadata["examples"][0]["expected_hours"] == "25.0"
    assert outcome.metadata["examples"][0]["covered_hours"] == "24.0"


def test_dst_day_lengths_judges_only_local_days_fully_inside_the_window() -> None:
    # UTC days 30 and 31 March: local 30 March starts at 29 March 23:00 UTC (outside), local
    # 1 April is cut at 22:00 local; only local 31 March (23 h) is whole.
    utc_window = readings("p", datetime(2024, 3, 30, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    outcome = dst_day_lengths(utc_window.to_arrow(), meters(("p", "Europe/Paris")))
    assert outcome.passed
    assert outcome.metadata["judged_local_days"] == 1
    assert outcome.metadata["judged_dst_days"] == 1
    one_utc_day = readings("p", datetime(2024, 3, 31, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    assert (
        dst_day_lengths(one_utc_day.to_arrow(), meters(("p", "Europe/Paris"))).metadata[
            "judged_local_days"
        ]
        == 0
    )


def test_dst_day_lengths_uses_each_meters_own_time_zone() -> None:
    # New York springs forward on 10 March 2024, Paris three weeks later. The New York grid is
    # given 96 intervals on its 23 h day; the Paris meter is fine.
    paris = readings("p", *local_span(date(2024, 3, 9), date(2024, 3, 11)))
    ny_zone = ZoneInfo("America/New_York")
    ny = readings("n", *local_span(date(2024, 3, 9), date(2024, 3, 11), ny_zone))
    doubled = ny.filter(
        pl.col("interval_start_utc").dt.convert_time_zone("America/New_York").dt.strftime("%F %H")
        == "2024-03-10 03"
    )
    tzs = meters(("p", "Europe/Paris"), ("n", "America/New_York"))
    assert dst_day_lengths(pl.concat([paris, ny]).to_arrow(), tzs).passed
    outcome = dst_day_lengths(pl.concat([paris, ny, doubled]).to_arrow(), tzs)
    assert not outcome.passed
    assert outcome.metadata["judged_local_days"] == 6
    assert outcome.metadata["judged_dst_days"] == 1
    assert outcome.metadata["failing_days"] == "n@2024-03-10"


def test_dst_day_lengths_fails_on_meters_without_a_known_time_zone() -> None:
    grid = readings("x", *local_span(date(2024, 3, 30), date(2024, 4, 1)))
    no_registry = dst_day_lengths(grid.to_arrow(), pa.table({}))
    assert not no_registry.passed and no_registry.metadata["unknown_meters"] == "x"
    outcome = dst_day_lengths(grid.to_arrow(), meters(("other", "Europe/Paris")))
    assert not outcome.passed
    assert outcome.metadata["unknown_meters"] == "x"
    bad_zone = dst_day_lengths(grid.to_arrow(), meters(("x", "Mars/Olympus")))
    assert not bad_zone.passed and bad_zone.metadata["unknown_meters"] == "x"


# ---------------------------------------------------------------- interval alignment


def test_interval_alignment_passes_on_grid_instants() -> None:
    grid = pl.concat([one_day("a"), readings("b", T0, T0 + timedelta(days=1), minutes=60)])
    assert interval_alignment(grid.to_arrow()).passed


def test_interval_alignment_fails_on_off_grid_starts_with_their_offset() -> None:
    off = one_day("a").with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.col("interval_start_utc") + timedelta(minutes=7))
        .otherwise(pl.col("interval_start_utc"))
        .alias("interval_start_utc")
    )
    half_hourly_at_quarter = readings(
        "b", T0 + timedelta(minutes=15), T0 + timedelta(hours=1), minutes=30
    )
    outcome = interval_alignment(pl.concat([off, half_hourly_at_quarter]).to_arrow())
    assert not outcome.passed
    assert outcome.failing_rows == 3
    first = outcome.metadata["examples"][0]
    assert first["meter_id"] == "a" and first["offset_seconds"] == "420"
    assert {e["meter_id"] for e in outcome.metadata["examples"]} == {"a", "b"}


def test_interval_alignment_counts_rows_without_interval_as_unjudged() -> None:
    frame = one_day("a").with_columns(pl.lit(None, pl.Int16).alias("interval_minutes"))
    outcome = interval_alignment(frame.to_arrow())
    assert outcome.passed and outcome.metadata["unjudged_rows"] == 96


# ---------------------------------------------------------------- unit jumps


def test_unit_jumps_passes_on_ordinary_variation_and_zeros() -> None:
    values: list[float | None] = varied(96)
    values[10:14] = [0.0, 0.0, None, 0.0]  # zeros and a gap between positive neighbours
    values[20] = 0.004  # x0.01 of neighbours: low, but within the default ratio
    assert unit_jumps(one_day("a", values).to_arrow()).passed


def test_unit_jumps_fails_naming_meter_and_both_edges_of_a_wh_stretch() -> None:
    values: list[float | None] = varied(96)
    for i in range(40, 48):
        values[i] = values[i] * 1000  # type: ignore[operator]  # Wh labelled kWh
    outcome = unit_jumps(
        pl.concat([one_day("ok", varied(96, 1)), one_day("wh", values)]).to_arrow()
    )
    assert not outcome.passed
    assert outcome.failing_rows == 2
    assert outcome.metadata["meters"] == "wh"
    assert outcome.metadata["jumps"] == (
        "wh@2024-01-01T10:00:00+00:00, wh@2024-01-01T12:00:00+00:00"
    )
    ratios = [float(e["jump_ratio"]) for e in outcome.metadata["examples"]]
    assert ratios[0] > 200 and ratios[1] < 1 / 200


def test_unit_jumps_does_not_compare_readings_of_different_meters() -> None:
    small = one_day("a", 0.001)
    large = one_day("b", 5.0)
    assert unit_jumps(pl.concat([small, large]).to_arrow()).passed


# ---------------------------------------------------------------- flatlines


def test_flatline_mask_flags_runs_of_at_least_min_run_identical_values() -> None:
    energy = [0.3] * 8 + [0.5] + [0.7] * 7 + [0.0] * 8
    mask = flatline_mask(np.array(energy))
    assert mask.tolist() == [True] * 8 + [False] + [False] * 7 + [True] * 8


def test_flatline_mask_ignores_runs_of_nulls_and_nan_and_breaks_runs_at_them() -> None:
    energy = pl.Series([None] * 10 + [float("nan")] * 10 + [1.0] * 4 + [None] + [1.0] * 4)
    assert not flatline_mask(energy).any()


def test_flatline_mask_breaks_runs_between_meters() -> None:
    energy = [2.0] * 12
    meter = ["a"] * 6 + ["b"] * 6
    assert not flatline_mask(energy, meter).any()
    assert flatline_mask(energy).all()


def test_flatline_mask_honours_min_run_and_rejects_a_run_of_one() -> None:
    assert flatline_mask([1.0, 1.0, 2.0], min_run=2).tolist() == [True, True, False]
    with pytest.raises(ValueError, match="min_run"):
        flatline_mask([1.0], min_run=1)


def test_flatlines_passes_on_varied_meters() -> None:
    outcome = flatlines(
        pl.concat([one_day("a", varied(96)), one_day("b", varied(96, 2))]).to_arrow()
    )
    assert outcome.passed, outcome.description


def test_flatlines_fails_naming_a_stuck_meter_with_its_longest_run() -> None:
    stuck: list[float | None] = varied(96)
    stuck[20:60] = [0.0] * 40
    outcome = flatlines(pl.concat([one_day("a", varied(96)), one_day("stuck", stuck)]).to_arrow())
    assert not outcome.passed
    assert outcome.metadata["meters"] == "stuck"
    example = outcome.metadata["examples"][0]
    assert example["flatline_intervals"] == "40" and example["longest_run"] == "40"
    assert example["flatline_share"] == str(round(40 / 96, 4))


# ---------------------------------------------------------------- weather coverage


def features(sources: list[str], temperatures: list[float | None]) -> pa.Table:
    n = len(sources)
    return pa.table(
        {
            "meter_id": ["a"] * n,
            "interval_start_utc": pa.array(
                [T0 + timedelta(minutes=15 * i) for i in range(n)], pa.timestamp("us", tz="UTC")
            ),
            "weather_source": sources,
            "temperature_c": pa.array(temperatures, pa.float64()),
        }
    )


def test_weather_coverage_passes_when_forecast_or_observation_covers_every_row() -> None:
    outcome = weather_coverage(features(["forecast", "observation"], [3.0, 4.0]))
    assert outcome.passed
    assert outcome.metadata["forecast_rows"] == 1 and outcome.metadata["observation_rows"] == 1


def test_weather_coverage_fails_on_missing_weather_or_a_missing_temperature() -> None:
    outcome = weather_coverage(features(["forecast", "missing", "forecast"], [3.0, None, None]))
    assert not outcome.passed
    assert outcome.failing_rows == 2
    assert outcome.metadata["missing_rows"] == 1
    assert [e["weather_source"] for e in outcome.metadata["examples"]] == ["missing", "forecast"]


# ---------------------------------------------------------------- freshness


def test_freshness_passes_for_recent_data_and_fails_for_stale_or_no_data() -> None:
    now = datetime(2024, 1, 2, 6, tzinfo=UTC)
    fresh = freshness(now - timedelta(hours=2), now, timedelta(hours=6))
    assert fresh.passed and fresh.metadata["age_seconds"] == 7200.0
    stale = freshness(now - timedelta(days=2), now, timedelta(hours=6))
    assert not stale.passed and "more than" in stale.description
    assert stale.metadata["latest_instant_utc"] == "2023-12-31T06:00:00+00:00"
    empty = freshness(None, now, timedelta(hours=6))
    assert not empty.passed and empty.metadata["age_seconds"] is None
    json.dumps(stale.metadata)


def test_freshness_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        freshness(datetime(2024, 1, 1), datetime(2024, 1, 2, tzinfo=UTC), timedelta(hours=1))


def test_latest_instant_finds_the_newest_instant() -> None:
    assert latest_instant(one_day("a").to_arrow()) == T0 + timedelta(hours=23, minutes=45)
    assert latest_instant(one_day("a").head(0).to_arrow()) is None


# ---------------------------------------------------------------- scale


def test_every_check_passes_on_a_hundred_thousand_clean_rows() -> None:
    days = 26  # 40 meters x 26 days x 96 intervals = 99 840 rows
    frame = pl.concat(
        [
            readings(f"m{i}", T0, T0 + timedelta(days=days), energy=varied(96 * days, i))
            for i in range(40)
        ]
    )
    table = frame.to_arrow()
    tzs = meters(*[(f"m{i}", "Europe/Paris") for i in range(40)])
    checks = {
        "completeness": lambda: completeness(table),
        "duplicate_keys": lambda: duplicate_keys(table, ["meter_id", "interval_start_utc"]),
        "dst_day_lengths": lambda: dst_day_lengths(table, tzs),
        "interval_alignment": lambda: interval_alignment(table),
        "unit_jumps": lambda: unit_jumps(table),
        "flatlines": lambda: flatlines(table),
        "flatline_mask": lambda: flatline_mask(frame["energy_kwh"], frame["meter_id"]),
    }
    for name, check in checks.items():
        outcome = check()
        if isinstance(outcome, CheckOutcome):
            assert outcome.passed, (name, outcome.description)
        else:
            assert not outcome.any(), name


def test_dst_day_lengths_judges_the_local_dates_the_rows_carry() -> None:
    start = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)  # local midnight, Paris, before spring DST
    instants = [start + timedelta(minutes=15 * i) for i in range(92)]  # the 23-hour local day
    good_dates = [date(2024, 3, 31)] * 92
    wrong_dates = [date(2024, 3, 31)] * 88 + [date(2024, 4, 1)] * 4  # a calendar off by an hour
    meters = pl.DataFrame(
        {"meter_id": ["P"], "timezone": ["Europe/Paris"], "interval_minutes": [15]}
    )

    def rows(local_dates: list[date]) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "meter_id": ["P"] * 92,
                "interval_start_utc": instants,
                "interval_minutes": [15] * 92,
                "local_date": local_dates,
            },
            schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
        )

    assert dst_day_lengths(rows(good_dates), meters).passed
    outcome = dst_day_lengths(rows(wrong_dates), meters)
    assert not outcome.passed
    assert "P@2024-03-31" in outcome.description


def test_holiday_calendars_names_meters_whose_country_has_none() -> None:
    meters = pl.DataFrame(
        {
            "meter_id": ["FR-1", "DE-1", "XX-1", "FR-2"],
            "country": ["FR", "DE", "XX", "FR"],
            "subdivision": [None, "BY", None, "ZZ"],
        }
    )
    outcome = holiday_calendars(meters)
    assert not outcome.passed and outcome.failing_rows == 2
    assert "XX-1" in outcome.description and "FR-2" in outcome.description
    assert holiday_calendars(meters.head(2)).passed


def test_meter_keys_are_registry_positions_and_unknown_meters_get_none() -> None:
    registry = pl.Series(["B", "A", "C"])
    ids = pl.DataFrame({"meter_id": ["A", "C", "X", "B"]})

    plain = ids.select(meter_key(registry)).to_series().to_list()
    categorical = ids.select(pl.col("meter_id").cast(pl.Categorical)).select(meter_key(registry))

    assert plain == [1, 2, None, 0]
    assert categorical.to_series().to_list() == plain
