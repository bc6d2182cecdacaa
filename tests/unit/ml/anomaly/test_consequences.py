"""One event, one alarm: after-effects of an event already raised join it, runs that break and
resume continue it, and what is unrelated stays a new event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ml.anomaly.consequences import CONSEQUENCE_DAYS, explained_by_earlier, raised_events
from ml.anomaly.events import Event

DROP_START = datetime(2024, 3, 1, tzinfo=UTC)
DROP_END = datetime(2024, 3, 15, tzinfo=UTC)


def raised(anomaly_type: str = "sustained_drop", start: datetime = DROP_START) -> pl.DataFrame:
    """Gold rows of an event raised over several days, on meter M1."""
    days = (DROP_END - start).days
    return pl.DataFrame(
        {
            "meter_id": ["M1"] * days,
            "event_id": [f"M1:{anomaly_type}:{start.isoformat()}"] * days,
            "anomaly_type": [anomaly_type] * days,
            "event_start_utc": [start] * days,
            "event_end_utc": [start + timedelta(days=d + 1) for d in range(days)],
        }
    )


def residual(start: datetime, meter: str = "M1") -> Event:
    return Event(meter, "model_residual", start, start + timedelta(hours=3), 1.4,
                 {"model_residual"})  # fmt: skip


def test_a_residual_after_a_drop_is_a_consequence_of_the_drop_not_a_new_event() -> None:
    after = residual(DROP_END + timedelta(days=3))
    (event,) = explained_by_earlier([after], raised_events(raised()))
    assert event.event_id == f"M1:sustained_drop:{DROP_START.isoformat()}"
    assert event.info["consequence_of"] == event.event_id
    assert event.end == after.end
    assert event.detectors == {"model_residual"}


def test_a_residual_long_after_the_event_or_on_another_meter_is_a_new_event() -> None:
    late = residual(DROP_END + timedelta(days=CONSEQUENCE_DAYS + 1))
    elsewhere = residual(DROP_END + timedelta(days=1), meter="M2")
    kept = explained_by_earlier([late, elsewhere], raised_events(raised()))
    assert [e.anomaly_type for e in kept] == ["model_residual", "model_residual"]
    assert all("consequence_of" not in e.info for e in kept)


def test_a_drop_run_that_resumes_after_a_normal_day_continues_the_raised_event() -> None:
    resumed = Event(
        "M1", "sustained_drop", DROP_END + timedelta(days=2), DROP_END + timedelta(days=5), 1.2,
        {"sustained_drop"}, {"run_days": 3},
    )  # fmt: skip
    (event,) = explained_by_earlier([resumed], raised_events(raised()))
    assert event.event_id == f"M1:sustained_drop:{DROP_START.isoformat()}"
    assert event.info == {"run_days": 3}


def test_an_event_continuing_its_own_raised_rows_keeps_its_id_and_a_rule_is_never_merged() -> None:
    own_start = DROP_END - timedelta(days=1)
    own = residual(own_start)
    spike = Event("M1", "spike", DROP_END, DROP_END + timedelta(minutes=15), 2.0, {"spike"})
    earlier = pl.concat([raised(), raised("model_residual", own_start)])
    kept = explained_by_earlier([own, spike], raised_events(earlier))
    assert [(e.anomaly_type, e.start) for e in kept] == [
        ("model_residual", own_start),
        ("spike", DROP_END),
    ]


def test_two_after_effects_of_one_event_on_the_same_day_are_one_row() -> None:
    first = residual(DROP_END + timedelta(days=1))
    second = residual(DROP_END + timedelta(days=1, hours=8))
    second.detectors = {"isolation_forest"}
    (event,) = explained_by_earlier([first, second], raised_events(raised()))
    assert event.detectors == {"model_residual", "isolation_forest"}
    assert event.end == second.end


def test_a_rise_right_after_a_drop_is_the_return_to_normal_not_a_level_shift() -> None:
    rise = Event(
        "M1", "level_shift", DROP_END, DROP_END + timedelta(days=3), 1.3, {"level_shift"},
        {"run_days": 3, "baseline_kwh": 10.0, "baseline_note": "weather-adjusted on 40 days"},
    )  # fmt: skip
    (event,) = explained_by_earlier([rise], raised_events(raised()))
    assert event.anomaly_type == "sustained_drop"
    assert event.info["explained"] == "level_shift"
    late = DROP_END + timedelta(days=CONSEQUENCE_DAYS + 1)
    later = Event("M1", "level_shift", late, late + timedelta(days=3), 1.3, {"level_shift"})
    assert explained_by_earlier([later], raised_events(raised()))[0].anomaly_type == "level_shift"
