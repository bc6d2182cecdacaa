"""Event-level scores of the anomaly detectors against labelled anomalies (the simulator's key).

Both sides are compared as events, not intervals: a labelled event (all its day rows, one
`event_id`) is found when a flagged event of the same meter overlaps it in time, whatever type the
detector gave it (recall); a flagged event is true when it overlaps a labelled event of its meter
(precision). Per type, recall is over the labelled events of that type and precision over the
flagged events of that type. False alarms are counted on meters that carry no label by design
(the simulator's clean meters), per 30 meter-days.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pyarrow as pa

from checks.contracts import GOLD_ANOMALY_EVALUATION
from checks.contracts.vocabularies import ANOMALY_TYPES

LABEL_TYPES = {"zero_dropout": "dropout"}
"""Label type names that differ from the detectors' type names."""
OVERALL = "overall"
METER_MONTH_DAYS = 30


def _events(frame: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
    return frame.group_by("event_id").agg(
        pl.col("meter_id").first(),
        pl.col("anomaly_type").first(),
        start=pl.col(start).min(),
        end=pl.col(end).max(),
    )


def _overlapping(left: pl.DataFrame, right: pl.DataFrame) -> pl.Series:
    """For each event of `left`: does an event of `right` on the same meter overlap it?"""
    pairs = left.join(right, on="meter_id", suffix="_other").filter(
        (pl.col("start") < pl.col("end_other")) & (pl.col("start_other") < pl.col("end"))
    )
    return left["event_id"].is_in(pairs["event_id"].unique().implode())


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _after_event(
    flagged: pl.DataFrame, truth: pl.DataFrame, judged: pl.DataFrame
) -> tuple[pl.DataFrame, int]:
    """False flagged events starting after the end of their meter's first labelled event, and
    the judged meter-days from that end on (`judged`: `meter_id`, `day`)."""
    first_end = truth.group_by("meter_id").agg(after=pl.col("end").min())
    days = judged.join(first_end, on="meter_id").filter(pl.col("day") >= pl.col("after").dt.date())
    false_after = flagged.join(first_end, on="meter_id").filter(
        ~pl.col("is_true") & (pl.col("start") >= pl.col("after"))
    )
    return false_after, days.height


def started_in_window(
    anomalies: pl.DataFrame, labels: pl.DataFrame, start: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`anomalies` and `labels` without what began before `start`: labelled events with a day
    before it (found or missed before the window) and the flagged events overlapping only them.
    `labels` must hold the day before `start` too."""
    begun = labels.filter(pl.col("day") < start)["event_id"].unique()
    kept_labels = labels.filter(
        (pl.col("day") >= start) & ~pl.col("event_id").is_in(begun.implode())
    )
    early = _events(
        labels.filter(pl.col("event_id").is_in(begun.implode())), "start_utc", "end_utc"
    )
    flagged = _events(anomalies, "event_start_utc", "event_end_utc")
    in_window = _events(kept_labels, "start_utc", "end_utc")
    only_early = flagged.filter(_overlapping(flagged, early) & ~_overlapping(flagged, in_window))
    return anomalies.filter(
        ~pl.col("event_id").is_in(only_early["event_id"].implode())
    ), kept_labels


def score_events(
    anomalies: pl.DataFrame,
    labels: pl.DataFrame,
    clean_meters: set[str],
    clean_meter_days: int,
    judged: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per anomaly type and `overall`: `labelled_events`, `found_events`, `flagged_events`,
    `true_flagged_events`, `precision`, `recall`, `f1`, `false_alarms_per_meter_month` (clean
    meters) and `false_alarms_after_event_per_meter_month` (null without `judged`).

    `anomalies`: gold `anomalies` rows; `labels`: `bronze/anomaly_labels` rows of the same days;
    `clean_meter_days`: days x meters without labels judged, the false-alarm denominator;
    `judged`: the meter-days judged (`meter_id`, `day`), for the after-event rate."""
    flagged = _events(anomalies, "event_start_utc", "event_end_utc")
    truth = _events(
        labels.with_columns(pl.col("anomaly_type").replace(LABEL_TYPES)), "start_utc", "end_utc"
    )
    flagged = flagged.with_columns(is_true=_overlapping(flagged, truth))
    truth = truth.with_columns(is_found=_overlapping(truth, flagged))
    months = clean_meter_days / METER_MONTH_DAYS
    false_after, after_days = (
        _after_event(flagged, truth, judged) if judged is not None else (flagged.clear(), 0)
    )
    after_months = after_days / METER_MONTH_DAYS
    label_only = sorted(set(truth["anomaly_type"].to_list()) - set(ANOMALY_TYPES))
    rows = []
    for kind in (*ANOMALY_TYPES, *label_only, OVERALL):
        mine_f = flagged if kind == OVERALL else flagged.filter(pl.col("anomaly_type") == kind)
        mine_t = truth if kind == OVERALL else truth.filter(pl.col("anomaly_type") == kind)
        labelled, found = mine_t.height, int(mine_t["is_found"].sum())
        flagged_n, true_n = mine_f.height, int(mine_f["is_true"].sum())
        if kind != OVERALL and labelled == 0 and flagged_n == 0:
            continue
        precision, recall = _ratio(true_n, flagged_n), _ratio(found, labelled)
        false_alarms = mine_f.filter(pl.col("meter_id").is_in(list(clean_meters))).height
        after = (
            false_after if kind == OVERALL else false_after.filter(pl.col("anomaly_type") == kind)
        )
        rows.append(
            {
                "anomaly_type": kind,
                "labelled_events": labelled,
                "found_events": found,
                "flagged_events": flagged_n,
                "true_flagged_events": true_n,
                "precision": precision,
                "recall": recall,
                "f1": _f1(precision, recall),
                "false_alarms_per_meter_month": false_alarms / months if months else None,
                "false_alarms_after_event_per_meter_month": (
                    after.height / after_months if after_months else None
                ),
            }
        )
    return pl.DataFrame(rows)


def false_events(anomalies: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """The flagged events of `anomalies` (gold rows) no labelled event of their meter overlaps:
    `event_id`, `meter_id`, `anomaly_type`, `start`, `end`, `days` and the `reason` of their
    strongest day, the list to read when precision falls short."""
    flagged = _events(anomalies, "event_start_utc", "event_end_utc")
    truth = _events(labels, "start_utc", "end_utc")
    wrong = flagged.filter(~_overlapping(flagged, truth))["event_id"].implode()
    return (
        anomalies.filter(pl.col("event_id").is_in(wrong))
        .sort("score", descending=True)
        .group_by("event_id", maintain_order=True)
        .agg(
            pl.col("meter_id").first(),
            pl.col("anomaly_type").first(),
            start=pl.col("event_start_utc").min(),
            end=pl.col("event_end_utc").max(),
            days=pl.len(),
            reason=pl.col("reason").first(),
        )
        .sort("anomaly_type", "meter_id", "start")
    )


def evaluation_rows(
    scores: pl.DataFrame,
    first_day: date,
    last_day: date,
    run_id: str | None,
    evaluated_at: datetime,
) -> pa.Table:
    """`score_events` as rows of gold `anomaly_evaluation`."""
    return pa.Table.from_pylist(
        [
            {
                **row,
                "first_day": first_day,
                "last_day": last_day,
                "mlflow_run_id": run_id,
                "evaluated_at_utc": evaluated_at,
            }
            for row in scores.iter_rows(named=True)
        ],
        schema=GOLD_ANOMALY_EVALUATION.schema,
    )


def metrics(scores: pl.DataFrame) -> dict[str, float]:
    """Flat metric names for MLflow (`overall_f1`, `spike_recall`, ...), defined values only."""
    names = (
        "precision",
        "recall",
        "f1",
        "false_alarms_per_meter_month",
        "false_alarms_after_event_per_meter_month",
    )
    return {
        f"{row['anomaly_type']}_{name}": float(row[name])
        for row in scores.iter_rows(named=True)
        for name in names
        if row[name] is not None
    }
