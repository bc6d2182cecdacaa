"""Anomaly detection of UTC days: every detector, events, explanations, gold rows.

`detect_days` is what the `gold/anomalies` asset calls per chunk of days (`detect_day` judges
one). Its inputs are gold consumption features with the model's expectation already attached
(`with_expectation`), so the Dagster side only reads, loads the week's model and writes.
Whatever a meter lacks (no model, missing weather, a day of history) only stands down the
detectors that need it; each day's `notes` say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pyarrow as pa

from ml.anomaly.consequences import CONSEQUENCE_DAYS, explained_by_earlier, raised_events
from ml.anomaly.events import Event, consolidate, event_rows, merge_flags
from ml.anomaly.expectation import daily_baseline, daily_consumption
from ml.anomaly.params import AnomalyParams
from ml.anomaly.rules import (
    consumption_ratio,
    corrected_units,
    interval_flags,
    sustained_drop,
    sustained_rise,
)
from ml.anomaly.unusual_day import day_profiles, unusual_days
from ml.anomaly.week_history import WeekHistory, monday_of, week_history, without_excluded

MIN_DROP_RATIO = 0.05
"""Floor of a day's share of its baseline in the drop score (zero or below scores as 5%)."""
UNIT_LOOKBACK_DAYS = 14
"""Days of silver unit flags read to find where a unit-error run started."""
INPUT_COLUMNS = (
    "meter_id",
    "interval_start_utc",
    "interval_minutes",
    "energy_kwh",
    "region",
    "local_hour",
    "local_minute_of_day",
    "local_day_of_week",
    "is_weekend",
    "is_holiday",
    "is_bridge_day",
    "observed_temperature_c",
    "shortwave_radiation_wm2",
    "day",
)
"""Gold feature columns the detectors read (besides the expectation)."""


WEEK_DAYS = 7
CHUNK_DAYS = 28
"""Days detected per chunk of a range (read, expected, written together). Each chunk reads the
history behind it again (about 80 days), expects its days with the model and finds the
intervals no expectation learns from: the lake layers' 7-day chunks made that most of a
year's detection."""


def history_days(params: AnomalyParams) -> int:
    """Days before the judged day the detectors read: the `baseline_days + 1` before the Monday
    of its week, what is usual is learnt from (`ml.anomaly.week_history`)."""
    return params.baseline_days + WEEK_DAYS


def with_expectation(rows: pl.DataFrame, model_name: str) -> pl.DataFrame:
    """Rows of `ml.forecasting.model.expected_consumption` reduced to what the detectors read, with
    `expected_source`: `model` where the named model ran, `none` where nothing was known to
    expect, `profile` for the fallbacks built on the meter's history."""
    used = pl.col("model_used")
    return rows.select(
        *INPUT_COLUMNS,
        "expected_kwh",
        "expected_low_kwh",
        "expected_high_kwh",
        expected_source=pl.when(pl.col("expected_kwh").is_null() | used.str.ends_with("no_history"))
        .then(pl.lit("none"))
        .when(used == model_name)
        .then(pl.lit("model"))
        .otherwise(pl.lit("profile")),
    )


@dataclass(frozen=True)
class DayDetection:
    table: pa.Table
    notes: dict[str, Any]


def _day_events(
    day: date, baselines: pl.DataFrame, unit_days: pl.DataFrame, params: AnomalyParams
) -> list[Event]:
    events = []
    today = baselines.filter(pl.col("day") == day).with_columns(
        consumption_share=consumption_ratio(baselines)
    )
    for run in sustained_drop(baselines, day, params).iter_rows(named=True):
        row = today.filter(pl.col("meter_id") == run["meter_id"]).row(0, named=True)
        ratio = max(row["consumption_share"], MIN_DROP_RATIO)
        events.append(
            Event(
                run["meter_id"], "sustained_drop", run["event_start_utc"], run["event_end_utc"],
                params.drop_ratio / ratio, {"sustained_drop"},
                {"run_days": run["run_days"], "baseline_kwh": row["baseline_kwh"],
                 "baseline_note": row["baseline_note"],
                 "consumption_share": row["consumption_share"]},
            )
        )  # fmt: skip
    for run in sustained_rise(baselines, day, params).iter_rows(named=True):
        row = today.filter(pl.col("meter_id") == run["meter_id"]).row(0, named=True)
        events.append(
            Event(
                run["meter_id"], "level_shift", run["event_start_utc"], run["event_end_utc"],
                row["energy_kwh"] / row["baseline_kwh"] / params.rise_ratio, {"level_shift"},
                {"run_days": run["run_days"], "baseline_kwh": row["baseline_kwh"],
                 "baseline_note": row["baseline_note"]},
            )
        )  # fmt: skip
    for run in corrected_units(unit_days, day).iter_rows(named=True):
        events.append(
            Event(
                run["meter_id"], "unit_error", run["event_start_utc"], run["event_end_utc"],
                1000.0 / params.unit_error_ratio, {"unit_error"},
                {"run_days": run["run_days"], "corrected": True},
            )
        )  # fmt: skip
    return events


def _unusual_events(
    day: date,
    recent: pl.DataFrame,
    baselines: pl.DataFrame,
    week: WeekHistory,
    params: AnomalyParams,
) -> list[Event]:
    """`recent`: the interval rows of the week up to `day`, its days before `day` clean."""
    profiles = day_profiles(recent, baselines)
    found = unusual_days(profiles, day, params.unusual_day_score, week.forest)
    midnight = datetime.combine(day, datetime.min.time()).replace(tzinfo=UTC)
    return [
        Event(
            r["meter_id"], "unusual_day", midnight, midnight + timedelta(days=1),
            r["isolation_score"] / params.unusual_day_score, {"isolation_forest"},
            {"isolation_score": r["isolation_score"], "most_unusual": r["most_unusual"]},
        )
        for r in found.iter_rows(named=True)
    ]  # fmt: skip


def detect_day(
    features: pl.DataFrame,
    meters: pl.DataFrame,
    unit_days: pl.DataFrame,
    day: date,
    params: AnomalyParams,
    detected_at: datetime,
    verdicts: dict[str, str] | None = None,
    raised: pl.DataFrame | None = None,
    weeks: dict[date, WeekHistory] | None = None,
) -> DayDetection:
    """Gold `anomalies` rows of `day`: `detect_days` of that one day."""
    return detect_days(
        features, meters, unit_days, [day], params, detected_at, verdicts, raised, weeks
    )[0]


@dataclass(frozen=True)
class _WeekFrames:
    """What every judged day of one week reads, computed once for the week's judged days up to
    `last`: the meters' `can_export`; the interval rows of the Monday's eve to `last` scored by
    the week's history, with `can_export`; those of the Monday to `last` as sent and clean
    (`without_excluded`), and their `daily_consumption`. A day's slice of each is what a pass
    over that day alone computes: every column is per interval or per meter-day."""

    week: WeekHistory
    exports: pl.DataFrame
    scored: pl.DataFrame
    sent: pl.DataFrame
    clean: pl.DataFrame
    daily: pl.DataFrame


def _week_frames(
    features: pl.DataFrame, meters: pl.DataFrame, week: WeekHistory, last: date
) -> _WeekFrames:
    monday = week.monday
    window = features.filter(pl.col("day").is_between(monday - timedelta(days=1), last))
    exports = meters.select("meter_id", "can_export")
    scored = week.scored(window.sort("meter_id", "interval_start_utc")).join(
        exports, on="meter_id", how="left"
    )
    sent = features.filter(pl.col("day").is_between(monday, last))
    return _WeekFrames(week, exports, scored, sent, without_excluded(sent), daily_consumption(sent))


def detect_days(
    features: pl.DataFrame,
    meters: pl.DataFrame,
    unit_days: pl.DataFrame,
    days: list[date],
    params: AnomalyParams,
    detected_at: datetime,
    verdicts: dict[str, str] | None = None,
    raised: pl.DataFrame | None = None,
    weeks: dict[date, WeekHistory] | None = None,
) -> list[DayDetection]:
    """Gold `anomalies` rows of each of `days` (ascending), equal to judging them one after
    the other: what a week's days share (`_WeekFrames`) is computed once per week, not per day.

    `features`: `ml.anomaly.history.expectation_from_clean_history` rows of `days` and the
    `history_days(params)` days before the first, or of a range holding them (the other days
    are not read; `is_excluded` marks what no expectation learns from);
    `meters`: `meter_id`, `can_export`; `unit_days`: per meter-day `is_unit_corrected` (silver)
    over the `UNIT_LOOKBACK_DAYS` up to the last day; `verdicts`: acknowledged event ids
    (feedback); `raised`: gold `anomalies` rows of the `CONSEQUENCE_DAYS` before the first day,
    whose after-effects are not raised again (each day's rows join them for the days after it);
    `weeks`: the `WeekHistory` of the week being judged, kept by the caller over a run of days
    (learnt from `features` when missing).
    """
    solar = frozenset(meters.filter(pl.col("can_export"))["meter_id"].to_list())
    earlier = [] if raised is None else [raised]
    found: list[DayDetection] = []
    frames: _WeekFrames | None = None
    for day in days:
        monday = monday_of(day)
        if frames is None or frames.week.monday != monday:
            frames = _week_frames(
                features, meters, _week(features, monday, params, solar, weeks),
                max(d for d in days if monday_of(d) == monday),
            )  # fmt: skip
        recent = (
            pl.concat(earlier, how="vertical_relaxed").filter(
                pl.col("day") >= day - timedelta(days=CONSEQUENCE_DAYS)
            )
            if earlier
            else None
        )
        found.append(
            _detect(frames, day, solar, unit_days, params, detected_at, verdicts or {}, recent)
        )
        rows = pl.from_arrow(found[-1].table)
        assert isinstance(rows, pl.DataFrame)
        earlier.append(rows)
    return found


def _week(
    features: pl.DataFrame,
    monday: date,
    params: AnomalyParams,
    solar: frozenset[str],
    weeks: dict[date, WeekHistory] | None,
) -> WeekHistory:
    """The `WeekHistory` of `monday`: the one `weeks` keeps, else learnt from `features`
    (and kept in `weeks` instead of the previous week's)."""
    week = (weeks or {}).get(monday) or week_history(
        features.filter(
            pl.col("day").is_between(monday - timedelta(days=params.baseline_days + 1), monday)
        ),
        monday, params, solar,
    )  # fmt: skip
    if weeks is not None:
        weeks.clear()
        weeks[monday] = week
    return week


def _detect(
    frames: _WeekFrames,
    day: date,
    solar: frozenset[str],
    unit_days: pl.DataFrame,
    params: AnomalyParams,
    detected_at: datetime,
    verdicts: dict[str, str],
    raised: pl.DataFrame | None,
) -> DayDetection:
    """Gold `anomalies` rows of `day`, a day of the week of `frames`."""
    week = frames.week
    scored = frames.scored.filter(pl.col("day").is_between(day - timedelta(days=1), day))
    midnight = datetime.combine(day, datetime.min.time()).replace(tzinfo=UTC)
    events = [
        e
        for e in merge_flags(interval_flags(scored, params), params.merge_gap_minutes)
        if e.end > midnight
    ]
    daily = pl.concat([week.daily, frames.daily.filter(pl.col("day") <= day)]).filter(
        pl.col("day") >= day - timedelta(days=params.baseline_days + 1)
    )
    baselines = daily_baseline(daily, day, week.fits, params.min_baseline_days, solar).join(
        frames.exports, on="meter_id", how="left"
    )
    events += _day_events(day, baselines, unit_days, params)
    recent = pl.concat(
        [
            frames.clean.filter(pl.col("day") < day),
            frames.sent.filter(pl.col("day") == day),
        ]
    )
    events += _unusual_events(day, recent, baselines, week, params)
    today = scored.filter(pl.col("day") == day)
    kept = consolidate(events)
    if raised is not None:
        kept = explained_by_earlier(kept, raised_events(raised))
    table = event_rows(kept, today, day, detected_at, verdicts, params)
    return DayDetection(table, _notes(today, baselines.filter(pl.col("day") == day)))


def _notes(today: pl.DataFrame, baselines: pl.DataFrame) -> dict[str, Any]:
    """Which meters had which expectation, and which detectors stood down for whom and why
    (the unusual-day forest does not judge meters that can export: `unusual_days`)."""
    sources = today.group_by("meter_id").agg(pl.col("expected_source").mode().first())
    counts = sources.group_by("expected_source").len().sort("expected_source")
    notes: dict[str, Any] = {
        f"meters_expected_by_{r['expected_source']}": r["len"] for r in counts.iter_rows(named=True)
    }
    without = baselines.filter(pl.col("baseline_kwh").is_null())
    no_weather = baselines.filter(pl.col("baseline_note").str.contains("weather missing"))
    if without.height:
        notes["no_daily_baseline"] = {
            r["meter_id"]: r["baseline_note"] for r in without.iter_rows(named=True)
        }
    if no_weather.height:
        notes["baseline_without_weather"] = sorted(no_weather["meter_id"].to_list())
    no_scale = today.filter(pl.col("residual_z").is_null())["meter_id"].unique().sort()
    if no_scale.len():
        notes["no_residual_scale"] = no_scale.to_list()
    exporting = baselines.filter(pl.col("can_export").fill_null(False))["meter_id"].unique().sort()
    if exporting.len():
        notes["unusual_day_not_judged_can_export"] = exporting.to_list()
    return notes
