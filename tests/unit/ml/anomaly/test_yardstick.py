"""The harder yardstick: label types without a detector get recall, and false events after a
true event are counted per meter-month of the days after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from ml.anomaly.evaluation import score_events

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_false_events_after_a_true_event_are_counted_per_meter_month_after_it() -> None:
    labels = pl.DataFrame(
        {"event_id": ["L1", "L2"], "meter_id": ["M1", "M1"],
         "anomaly_type": ["level_shift", "spike"], "start_utc": [T0, T0 + timedelta(days=20)],
         "end_utc": [T0 + timedelta(days=5), T0 + timedelta(days=20, hours=1)]}
    )  # fmt: skip
    found = pl.DataFrame(
        {"event_id": ["A", "B", "C"], "meter_id": ["M1"] * 3,
         "anomaly_type": ["sustained_drop", "model_residual", "spike"],
         "event_start_utc": [T0 + timedelta(days=1), T0 + timedelta(days=10),
                             T0 + timedelta(days=20)],
         "event_end_utc": [T0 + timedelta(days=4), T0 + timedelta(days=10, hours=3),
                           T0 + timedelta(days=20, hours=1)]}
    )  # fmt: skip
    judged = pl.DataFrame(
        {"meter_id": ["M1"] * 35, "day": [date(2024, 1, 1) + timedelta(days=d) for d in range(35)]}
    )
    scores = score_events(found, labels, set(), 0, judged)
    by_type = {row["anomaly_type"]: row for row in scores.iter_rows(named=True)}
    assert by_type["level_shift"]["recall"] == 1.0
    assert by_type["level_shift"]["precision"] is None
    # 30 judged days from the end of the first true event (Jan 6): one false event in them.
    assert by_type["overall"]["false_alarms_after_event_per_meter_month"] == 1.0
    assert by_type["model_residual"]["false_alarms_after_event_per_meter_month"] == 1.0
    assert by_type["spike"]["false_alarms_after_event_per_meter_month"] == 0.0
    assert by_type["overall"]["false_alarms_per_meter_month"] is None
