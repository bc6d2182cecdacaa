"""From flagged intervals to explained events: merging, cross-detector agreement, the reason in
words, severity, and the rows of gold `anomalies`.

An event is one meter, one anomaly type and one extent `[start, end)`: flagged intervals of a type
closer than the merge gap are one event, so a six-hour flatline is one row per day, not 24.
Confirming detectors (the model residual, the unusual-day forest) that fire inside a rule's event
add their name to that event's `detectors` instead of raising a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_ANOMALIES
from checks.contracts.vocabularies import ANOMALY_SEVERITIES
from ml.anomaly.params import AnomalyParams

CONFIRMERS = ("model_residual", "unusual_day")
"""Types raised only where no rule explains the same stretch."""
DETECTOR_NAMES = {"unusual_day": "isolation_forest"}
"""Detector name per anomaly type where they differ (the rest are named as their type)."""
BASE_SEVERITY = {
    "unit_error": 2,
    "dropout": 1,
    "flatline": 1,
    "negative": 1,
    "sustained_drop": 1,
    "level_shift": 0,
    "spike": 0,
    "model_residual": 0,
    "unusual_day": 0,
}


@dataclass
class Event:
    """One anomaly event of one meter, as detected up to the day being judged."""

    meter_id: str
    anomaly_type: str
    start: datetime
    end: datetime
    strength: float
    detectors: set[str] = field(default_factory=set)
    info: dict[str, Any] = field(default_factory=dict)
    """What the reason needs beyond the day's intervals (days running, baseline, ...)."""

    @property
    def event_id(self) -> str:
        return f"{self.meter_id}:{self.anomaly_type}:{self.start.isoformat()}"

    def overlaps(self, other: Event) -> bool:
        return self.meter_id == other.meter_id and self.start < other.end and other.start < self.end


def merge_flags(flags: pl.DataFrame, merge_gap_minutes: int) -> list[Event]:
    """Flagged intervals (`ml.anomaly.rules.FLAG_COLUMNS`) as events: per meter and type,
    intervals closer than `merge_gap_minutes` join one event; its strength is their maximum."""
    if flags.height == 0:
        return []
    end = pl.col("interval_start_utc") + pl.duration(minutes=pl.col("interval_minutes"))
    grouped = (
        flags.group_by("meter_id", "anomaly_type", "interval_start_utc")
        .agg(pl.col("interval_minutes").first(), pl.col("strength").max())
        .sort("meter_id", "anomaly_type", "interval_start_utc")
        .with_columns(end=end)
        .with_columns(
            is_new=(
                pl.col("interval_start_utc")
                - pl.col("end").shift(1).over("meter_id", "anomaly_type")
                > timedelta(minutes=merge_gap_minutes)
            ).fill_null(True)
        )
        .with_columns(event=pl.col("is_new").cum_sum())
        .group_by("meter_id", "anomaly_type", "event")
        .agg(
            start=pl.col("interval_start_utc").min(),
            end=pl.col("end").max(),
            strength=pl.col("strength").max(),
        )
        .sort("meter_id", "start", "anomaly_type")
    )
    return [
        Event(
            r["meter_id"],
            r["anomaly_type"],
            r["start"],
            r["end"],
            float(r["strength"]),
            {DETECTOR_NAMES.get(r["anomaly_type"], r["anomaly_type"])},
        )
        for r in grouped.iter_rows(named=True)
    ]


def consolidate(events: list[Event]) -> list[Event]:
    """Drop events another event explains, naming their detector on it: a confirmer inside a
    rule's event, or an event inside a longer one of the same type (a uncorrected unit jump
    within a corrected unit-error day)."""
    kept: list[Event] = []
    ordered = sorted(events, key=lambda e: (e.anomaly_type in CONFIRMERS, e.start - e.end))
    for event in ordered:
        hosts = [
            k
            for k in kept
            if k.overlaps(event)
            and (
                (event.anomaly_type in CONFIRMERS and k.anomaly_type not in CONFIRMERS)
                or (k.anomaly_type == event.anomaly_type)
            )
        ]
        if not hosts:
            kept.append(event)
        for host in hosts:
            host.detectors |= event.detectors
            if host.anomaly_type == event.anomaly_type:
                host.strength = max(host.strength, event.strength)
    return sorted(kept, key=lambda e: (e.meter_id, e.start, e.anomaly_type))


def severity(anomaly_type: str, score: float, verdict: str | None) -> str:
    """The type's base severity, raised one step at twice the threshold and again at four
    times; `low` once the event was acknowledged as a false alarm."""
    if verdict == "false_alarm":
        return "low"
    level = BASE_SEVERITY[anomaly_type] + (score >= 2.0) + (score >= 4.0)
    return ANOMALY_SEVERITIES[min(level, len(ANOMALY_SEVERITIES) - 1)]


def _day_kind(is_working: bool | None) -> str:
    return "working day" if is_working else "non-working day"


def _at(peak: dict[str, Any]) -> str:
    minute = int(peak["local_minute_of_day"])
    text = f"{minute // 60:02d}:{minute % 60:02d} on a {_day_kind(peak['is_working_day'])}"
    temperature = peak.get("observed_temperature_c")
    return text if temperature is None else f"{text} at {temperature:.0f} °C"


def _hours(minutes: float) -> str:
    return f"{minutes / 60:.3g} h"


def _minutes(event: Event) -> float:
    return (event.end - event.start).total_seconds() / 60


def _ratio_text(event: Event, stats: dict[str, Any], params: AnomalyParams) -> str:
    peak = stats["peak"]
    actual, expected = peak["energy_kwh"], peak["expected_kwh"]
    if expected and expected > 0:
        text = f"consumption {actual / expected:.1f}x expected for {_at(peak)}"
    elif expected:
        text = f"{actual:.3f} kWh where the panels were expected to export {-expected:.3f}"
        text += f", {_at(peak)}"
    else:
        text = f"consumption {actual:.3f} kWh where about none was expected, {_at(peak)}"
    if event.anomaly_type == "model_residual":
        text += (
            f", for {_minutes(event) / 60:.3g} h beyond {params.residual_z:g} robust deviations "
            "of the meter's usual model error"
        )
    return text


def _flatline_text(event: Event, stats: dict[str, Any], _params: AnomalyParams) -> str:
    expected = stats["expected_kwh"]
    text = (
        f"meter stuck at {stats['first']['energy_kwh']:.3f} kWh per interval for "
        f"{_hours(_minutes(event))} from {_at(stats['first'])}"
    )
    if expected is None:
        return text
    return f"{text} (expected {expected:.2f} kWh over it, got {stats['energy_kwh']:.2f})"


def _dropout_text(event: Event, stats: dict[str, Any], _params: AnomalyParams) -> str:
    expected = stats["expected_kwh"]
    tail = f" while {expected:.2f} kWh was expected" if expected is not None else ""
    return f"exact zeros for {_hours(_minutes(event))} from {_at(stats['first'])}{tail}"


def _negative_text(_event: Event, stats: dict[str, Any], _params: AnomalyParams) -> str:
    return (
        f"{stats['intervals']} negative reading(s) down to {stats['min_kwh']:.3f} kWh on a "
        "meter that cannot export"
    )


def _unit_text(event: Event, _stats: dict[str, Any], params: AnomalyParams) -> str:
    if event.info.get("corrected"):
        return (
            f"readings arrived 1000x too large (Wh sent as kWh) for {event.info['run_days']} "
            "day(s) running; silver divided them by 1000, the sender's export needs fixing"
        )
    ratio = event.strength * params.unit_error_ratio
    return f"readings {ratio:.0f}x the meter's level: Wh sent as kWh, left uncorrected"


def _consumption_share(event: Event, stats: dict[str, Any]) -> float:
    """The day's consumption over its baseline's (`ml.anomaly.rules.consumption_ratio`: net of
    a prosumer's panels), else the day's energy over the expected."""
    if event.info.get("consumption_share") is not None:
        return float(event.info["consumption_share"])
    expected = stats["expected_kwh"]
    return stats["energy_kwh"] / expected if expected else 0.0


def _drop_text(event: Event, stats: dict[str, Any], _params: AnomalyParams) -> str:
    share = _consumption_share(event, stats)
    return (
        f"consumption {share:.0%} of the meter's own baseline ({event.info['baseline_note']}) "
        f"for {event.info['run_days']} days running: possible theft, bypass or lost load"
    )


def _shift_text(event: Event, stats: dict[str, Any], _params: AnomalyParams) -> str:
    share = _consumption_share(event, stats)
    return (
        f"consumption {share:.1f}x the meter's own baseline ({event.info['baseline_note']}) "
        f"for {event.info['run_days']} days running: the level moved up (new load or tenant?)"
    )


def _unusual_text(event: Event, _stats: dict[str, Any], _params: AnomalyParams) -> str:
    return (
        f"the day's shape is unlike the meter's history (isolation score "
        f"{event.info['isolation_score']:.2f}); most unusual: {event.info['most_unusual']}"
    )


EXPLAINERS = {
    "spike": _ratio_text,
    "model_residual": _ratio_text,
    "flatline": _flatline_text,
    "dropout": _dropout_text,
    "negative": _negative_text,
    "unit_error": _unit_text,
    "sustained_drop": _drop_text,
    "level_shift": _shift_text,
    "unusual_day": _unusual_text,
}


def explain(event: Event, stats: dict[str, Any], params: AnomalyParams) -> str:
    """The event in one sentence, with the numbers a person checks first (`stats` from the
    day's intervals of the event: sums, the first and the most deviating interval); for a
    consequence of an earlier event (`ml.anomaly.consequences`), what was seen and whose
    after-effect it is."""
    host = event.info.get("consequence_of")
    if host is not None:
        seen = EXPLAINERS[event.info["explained"]](event, stats, params)
        return f"after-effect of {host} (the meter's expectations still carry it): {seen}"
    return EXPLAINERS[event.anomaly_type](event, stats, params)


def _stats(event: Event, rows: pl.DataFrame) -> dict[str, Any]:
    ordered = rows.sort("interval_start_utc")
    deviation = (pl.col("energy_kwh") - pl.col("expected_kwh").fill_null(0.0)).abs()
    peak = ordered.with_columns(deviation=deviation).sort(
        "deviation", descending=True, nulls_last=True
    )
    return {
        "intervals": rows.height,
        "energy_kwh": rows["energy_kwh"].sum()
        if rows["energy_kwh"].null_count() < rows.height
        else None,
        "expected_kwh": rows["expected_kwh"].sum()
        if rows["expected_kwh"].null_count() == 0
        else None,
        "expected_low_kwh": rows["expected_low_kwh"].sum()
        if rows["expected_low_kwh"].null_count() == 0
        else None,
        "expected_high_kwh": rows["expected_high_kwh"].sum()
        if rows["expected_high_kwh"].null_count() == 0
        else None,
        "min_kwh": rows["energy_kwh"].min(),
        "peak": peak.row(0, named=True),
        "first": ordered.row(0, named=True),
        "sources": set(rows["expected_source"].to_list()),
    }


def event_rows(
    events: list[Event],
    intervals: pl.DataFrame,
    day: date,
    detected_at: datetime,
    verdicts: dict[str, str],
    params: AnomalyParams,
) -> pa.Table:
    """Rows of gold `anomalies` for `day`: one per event touching it, summed over the event's
    intervals of that day. `intervals` are the day's rows (gold features with `expected_kwh`,
    `expected_low_kwh`, `expected_high_kwh`, `expected_source`, `is_working_day`, `region`);
    `verdicts` maps event ids to acknowledged verdicts."""
    rows = []
    for event in events:
        mine = intervals.filter(
            (pl.col("meter_id") == event.meter_id)
            & (pl.col("interval_start_utc") >= event.start)
            & (pl.col("interval_start_utc") < event.end)
        )
        if mine.height == 0:
            continue
        if "baseline_kwh" in event.info:
            baseline = event.info["baseline_kwh"]
            mine = mine.with_columns(
                expected_kwh=pl.lit(baseline / mine.height),
                expected_low_kwh=pl.lit(params.drop_ratio * baseline / mine.height),
                expected_high_kwh=pl.lit(params.rise_ratio * baseline / mine.height),
                expected_source=pl.lit("profile"),
            )
        stats = _stats(event, mine)
        sources = stats["sources"]
        source = "model" if sources == {"model"} else "none" if sources == {"none"} else "profile"
        verdict = verdicts.get(event.event_id)
        rows.append(
            {
                "meter_id": event.meter_id,
                "region": mine["region"][0],
                "event_id": event.event_id,
                "anomaly_type": event.anomaly_type,
                "event_start_utc": event.start,
                "event_end_utc": event.end,
                "interval_count": mine.height,
                "energy_kwh": stats["energy_kwh"],
                "expected_kwh": stats["expected_kwh"],
                "expected_low_kwh": stats["expected_low_kwh"],
                "expected_high_kwh": stats["expected_high_kwh"],
                "expected_source": source,
                "score": round(event.strength, 4),
                "severity": "low"
                if "consequence_of" in event.info
                else severity(event.anomaly_type, event.strength, verdict),
                "detectors": ",".join(sorted(event.detectors)),
                "reason": explain(event, stats, params),
                "feedback_verdict": verdict,
                "detected_at_utc": detected_at,
                "day": day,
            }
        )
    return pa.Table.from_pylist(rows, schema=GOLD_ANOMALIES.schema)
