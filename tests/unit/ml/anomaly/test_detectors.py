"""Anomaly detectors on tiny inline series: each fires on its pattern and stays quiet on a normal
cold (heating) day; events merge; reasons read well; evaluation maths; feedback files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from checks.anomaly_checks import severe_share
from energy_assets.sources.anomaly_feedback import read_feedback, submit_feedback, verdicts
from ml.anomaly.evaluation import false_events, score_events
from ml.anomaly.events import Event, consolidate, event_rows, merge_flags
from ml.anomaly.expectation import slot_ranges, with_slot_range
from ml.anomaly.params import AnomalyParams
from ml.anomaly.rules import (
    dropout,
    flatline,
    model_residual,
    negative,
    spike,
    sustained_drop,
    usual_runs,
)

PARAMS = AnomalyParams()
T0 = datetime(2024, 1, 15, tzinfo=UTC)


def heating_day(n: int = 96, **overrides: list[float]) -> pl.DataFrame:
    """A cold day: consumption well above a mild day's, varying, and matching its expectation."""
    energy = [0.4 + 0.3 * ((i * 7) % 5) / 5 for i in range(n)]
    frame = {
        "meter_id": ["M1"] * n,
        "interval_start_utc": [T0 + timedelta(minutes=15 * i) for i in range(n)],
        "interval_minutes": [15] * n,
        "energy_kwh": energy,
        "expected_kwh": energy,
        "level_kwh": [0.5] * n,
        "residual_z": [0.0] * n,
        "can_export": [False] * n,
        "expected_source": ["model"] * n,
    }
    frame.update(overrides)
    return pl.DataFrame(frame)


def with_values(start: int, values: list[float], **columns: list[float]) -> pl.DataFrame:
    day = heating_day()
    energy = day["energy_kwh"].to_list()
    energy[start : start + len(values)] = values
    extra = {name: [*day[name].to_list()] for name in columns}
    for name, replacement in columns.items():
        extra[name][start : start + len(replacement)] = replacement
    return day.with_columns(
        pl.Series("energy_kwh", energy), *[pl.Series(k, v) for k, v in extra.items()]
    )


@pytest.mark.parametrize("rule", [flatline, dropout, negative, spike])
def test_each_rule_stays_quiet_on_a_normal_heating_day(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule(heating_day(), PARAMS).height == 0


def test_flatline_fires_on_a_meter_stuck_at_a_non_zero_value() -> None:
    flags = flatline(with_values(10, [0.512] * 12), PARAMS)
    assert flags.height == 12 and flags["strength"].min() == pytest.approx(1.5)


def test_dropout_fires_on_an_hour_of_exact_zeros_but_not_on_a_single_zero() -> None:
    assert dropout(with_values(20, [0.0] * 4), PARAMS).height == 4
    assert dropout(with_values(20, [0.0]), PARAMS).height == 0


def test_negative_fires_only_on_meters_that_cannot_export() -> None:
    day = with_values(5, [-0.2])
    assert negative(day, PARAMS).height == 1
    assert negative(day.with_columns(can_export=pl.lit(True)), PARAMS).height == 0


def test_spike_fires_on_a_short_burst_far_above_expectation_and_neighbours() -> None:
    day = with_values(40, [2.4, 2.4], residual_z=[9.0, 9.0])
    assert spike(day, PARAMS).height == 2


def test_a_spike_far_above_expectation_needs_only_twice_its_neighbours() -> None:
    # 2.2 kWh among readings of 1.0 where 0.4 was expected: 5.5x expected, 2.2x its neighbours.
    around = [1.0] * 4
    spiked = with_values(36, [*around, 2.2, *around], residual_z=[0.0] * 4 + [9.0])
    assert spike(spiked, PARAMS)["interval_start_utc"].to_list() == [T0 + timedelta(hours=10)]
    level = with_values(36, [*around, 1.8, *around], residual_z=[0.0] * 4 + [9.0])
    assert spike(level, PARAMS).height == 0


def test_a_spike_on_a_meter_exporting_at_noon_is_a_jump_of_times_the_export() -> None:
    exporting = heating_day(
        energy_kwh=[-0.45] * 96, expected_kwh=[-0.45] * 96, can_export=[True] * 96
    )
    kettle = exporting.with_columns(
        energy_kwh=pl.when(pl.int_range(pl.len()).is_between(40, 41)).then(0.4).otherwise(-0.45),
        residual_z=pl.when(pl.int_range(pl.len()).is_between(40, 41)).then(9.0).otherwise(0.0),
    )
    assert spike(kettle, PARAMS).height == 2
    assert spike(kettle.with_columns(can_export=pl.lit(False)), PARAMS).height == 0


def test_a_dropout_on_a_meter_expected_to_export_is_still_a_dropout() -> None:
    exporting = heating_day(energy_kwh=[-0.45] * 96, expected_kwh=[-0.45] * 96)
    zeros = exporting.with_columns(
        energy_kwh=pl.when(pl.int_range(pl.len()).is_between(40, 47)).then(0.0).otherwise(-0.45)
    )
    assert dropout(zeros, PARAMS).height == 8


def test_sustained_drop_needs_consecutive_low_days_against_the_baseline() -> None:
    days = [date(2024, 1, d) for d in range(1, 11)]
    energy = [10.0] * 7 + [4.0, 4.0, 4.0]
    baselines = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": energy,
         "baseline_kwh": [10.0] * 10, "baseline_spread": [0.05] * 10}
    )  # fmt: skip
    runs = sustained_drop(baselines, days[-1], PARAMS)
    assert runs.row(0, named=True)["run_days"] == 3
    assert runs["event_start_utc"].to_list() == [datetime(2024, 1, 8, tzinfo=UTC)]
    assert sustained_drop(baselines, days[-2], PARAMS).height == 0
    noisy = baselines.with_columns(baseline_spread=pl.lit(0.5))
    assert sustained_drop(noisy, days[-1], PARAMS).height == 0


def test_a_meter_that_cannot_export_drops_below_the_floor_however_noisy_its_history() -> None:
    days = [date(2024, 1, d) for d in range(1, 11)]
    noisy = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": [10.0] * 7 + [4.0] * 3,
         "baseline_kwh": [10.0] * 10, "baseline_spread": [0.5] * 10}
    )  # fmt: skip
    consumer = noisy.with_columns(can_export=pl.lit(False))
    prosumer = noisy.with_columns(can_export=pl.lit(True))
    assert sustained_drop(consumer, days[-1], PARAMS)["run_days"].to_list() == [3]
    assert sustained_drop(prosumer, days[-1], PARAMS).height == 0


def test_a_drop_of_a_prosumer_is_judged_on_consumption_net_of_its_panels() -> None:
    days = [date(2024, 6, d) for d in range(1, 11)]
    # Consumption 10 kWh a day, the panels export 14: net -4; at 40% consumption, net -10.
    summer = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days, "energy_kwh": [-4.0] * 7 + [-10.0] * 3,
         "baseline_kwh": [-4.0] * 10, "baseline_solar_kwh": [-14.0] * 10,
         "baseline_spread": [0.05] * 10, "can_export": [True] * 10}
    )  # fmt: skip
    assert sustained_drop(summer, days[-1], PARAMS)["run_days"].to_list() == [3]
    assert sustained_drop(summer.drop("baseline_solar_kwh"), days[-1], PARAMS).height == 0


def test_days_without_a_complete_reading_neither_confirm_nor_break_a_drop() -> None:
    days = [date(2024, 1, d) for d in range(1, 11)]
    gaps = pl.DataFrame(
        {"meter_id": ["M1"] * 10, "day": days,
         "energy_kwh": [10.0] * 5 + [4.0, None, 4.0, None, 4.0],
         "baseline_kwh": [10.0] * 10, "baseline_spread": [0.05] * 10}
    )  # fmt: skip
    runs = sustained_drop(gaps, days[-1], PARAMS)
    assert runs.select("run_days", "event_start_utc").rows() == [
        (3, datetime(2024, 1, 6, tzinfo=UTC))
    ]
    assert sustained_drop(gaps, days[-2], PARAMS).height == 0


def test_flagged_intervals_close_together_merge_into_one_event() -> None:
    flags = flatline(with_values(10, [0.512] * 12), PARAMS)
    later = flags.with_columns(pl.col("interval_start_utc") + timedelta(hours=6))
    events = merge_flags(pl.concat([flags, later]), PARAMS.merge_gap_minutes)
    assert len(events) == 2
    assert events[0].end - events[0].start == timedelta(hours=3)
    assert events[0].event_id == "M1:flatline:2024-01-15T02:30:00+00:00"


def test_a_model_residual_inside_a_rule_event_only_adds_its_detector() -> None:
    rule = Event("M1", "dropout", T0, T0 + timedelta(hours=2), 1.0, {"dropout"})
    residual = Event("M1", "model_residual", T0, T0 + timedelta(hours=3), 1.2, {"model_residual"})
    kept = consolidate([residual, rule])
    assert [(e.anomaly_type, e.detectors) for e in kept] == [
        ("dropout", {"dropout", "model_residual"})
    ]


def test_a_spike_row_explains_itself_in_words() -> None:
    day = with_values(56, [1.5], expected_kwh=[0.5]).with_columns(
        region=pl.lit("north"),
        local_minute_of_day=(pl.int_range(0, 96) * 15).cast(pl.Int16),
        is_working_day=pl.lit(True),
        observed_temperature_c=pl.lit(8.0),
        expected_low_kwh=pl.col("expected_kwh") * 0.8,
        expected_high_kwh=pl.col("expected_kwh") * 1.2,
    )
    start = T0 + timedelta(hours=14)
    event = Event("M1", "spike", start, start + timedelta(minutes=15), 1.2, {"spike"})
    table = event_rows([event], day, T0.date(), T0, {}, PARAMS)
    row = table.to_pylist()[0]
    assert row["reason"] == "consumption 3.0x expected for 14:00 on a working day at 8 °C"
    assert (row["interval_count"], row["severity"], row["expected_source"]) == (1, "low", "model")
    acknowledged = event_rows([event], day, T0.date(), T0, {event.event_id: "false_alarm"}, PARAMS)
    assert acknowledged["feedback_verdict"].to_pylist() == ["false_alarm"]


def test_evaluation_counts_events_found_by_overlap_and_false_alarms_on_clean_meters() -> None:
    ts = [T0 + timedelta(hours=h) for h in range(6)]
    labels = pl.DataFrame(
        {"event_id": ["L1", "L2"], "meter_id": ["M1", "M2"],
         "anomaly_type": ["zero_dropout", "spike"], "start_utc": [ts[0], ts[2]],
         "end_utc": [ts[2], ts[3]]}
    )  # fmt: skip
    found = pl.DataFrame(
        {"event_id": ["A", "B"], "meter_id": ["M1", "M9"], "anomaly_type": ["dropout", "spike"],
         "event_start_utc": [ts[1], ts[4]], "event_end_utc": [ts[2], ts[5]]}
    )  # fmt: skip
    scores = score_events(found, labels, {"M9"}, 30)
    overall = scores.filter(pl.col("anomaly_type") == "overall").row(0, named=True)
    assert (overall["precision"], overall["recall"]) == (0.5, 0.5)
    assert overall["f1"] == pytest.approx(0.5)
    assert overall["false_alarms_per_meter_month"] == 1.0
    dropouts = scores.filter(pl.col("anomaly_type") == "dropout").row(0, named=True)
    assert (dropouts["recall"], dropouts["precision"]) == (1.0, 1.0)
    wrong = false_events(
        found.with_columns(score=pl.lit(1.0), reason=pl.lit("consumption 3.0x expected")), labels
    )
    assert wrong.select("meter_id", "anomaly_type", "days").rows() == [("M9", "spike", 1)]


def test_feedback_keeps_the_latest_verdict_and_rejects_unknown_ones(tmp_path: Path) -> None:
    submit_feedback(str(tmp_path), "M1:spike:x", "M1", "confirmed")
    path = submit_feedback(str(tmp_path), "M1:spike:x", "M1", "false_alarm", "a kettle")
    assert Path(path).exists()
    assert verdicts(read_feedback(str(tmp_path))) == {"M1:spike:x": "false_alarm"}
    with pytest.raises(ValueError, match="verdict"):
        submit_feedback(str(tmp_path), "M1:spike:x", "M1", "maybe")


def test_severe_share_warns_only_above_the_configured_share() -> None:
    table = pa.table({"meter_id": ["M1", "M2"], "severity": ["high", "low"]})
    assert severe_share(table, 10, 0.2).passed
    assert not severe_share(table, 2, 0.2).passed


def test_a_base_load_the_meter_reads_for_hours_every_day_is_not_a_flatline() -> None:
    usual = pl.lit(150.0).alias("usual_flat_minutes")
    assert flatline(with_values(10, [0.062] * 10).with_columns(usual), PARAMS).height == 0
    assert flatline(with_values(10, [0.062] * 24).with_columns(usual), PARAMS).height == 24


def test_zeros_for_as_long_as_solar_panels_zero_the_import_every_day_are_no_dropout() -> None:
    usual = pl.lit(240.0).alias("usual_zero_minutes")
    assert dropout(with_values(40, [0.0] * 16).with_columns(usual), PARAMS).height == 0
    assert dropout(with_values(40, [0.0] * 40).with_columns(usual), PARAMS).height == 40


def test_the_usual_run_is_the_median_of_the_days_longest_runs() -> None:
    days = [
        heating_day().with_columns(
            pl.col("interval_start_utc") + timedelta(days=d), day=pl.lit(T0.date() + timedelta(d))
        )
        for d in range(3)
    ]
    stuck = [with_values(8, [0.3] * 8), with_values(8, [0.3] * 8), with_values(8, [0.3] * 40)]
    history = pl.concat(
        [d.with_columns(energy_kwh=s["energy_kwh"]) for d, s in zip(days, stuck, strict=True)]
    )
    runs = usual_runs(history)
    assert runs["usual_flat_minutes"].to_list() == [120.0]
    assert runs["usual_zero_minutes"].to_list() == [0.0]


def test_a_reading_not_well_above_what_the_meter_usually_reads_at_that_hour_is_no_spike() -> None:
    day = with_values(40, [2.4, 2.4], residual_z=[9.0, 9.0])
    assert spike(day.with_columns(slot_high_kwh=pl.lit(2.0)), PARAMS).height == 0
    assert spike(day.with_columns(slot_high_kwh=pl.lit(1.0)), PARAMS).height == 2


def test_a_reading_at_the_meters_usual_level_for_its_day_kind_is_no_model_residual() -> None:
    sundays = [date(2024, 3, 24), date(2024, 3, 31), date(2024, 4, 7)]
    hours = [
        {"meter_id": "M1", "interval_start_utc": datetime(d.year, d.month, d.day, h, tzinfo=UTC),
         "local_hour": h, "local_day_of_week": 6, "is_holiday": False, "is_bridge_day": False,
         "energy_kwh": 0.25 + 0.01 * (i % 3)}
        for i, d in enumerate(sundays) for h in range(9, 17)
    ]  # fmt: skip
    history = pl.DataFrame(hours[:16])
    judged = pl.DataFrame(hours[16:]).with_columns(
        interval_minutes=pl.lit(60), residual_z=pl.lit(-8.0), expected_source=pl.lit("model")
    )
    missed_by_the_model = with_slot_range(judged, slot_ranges(history))
    assert model_residual(judged, PARAMS).height == 8
    assert model_residual(missed_by_the_model, PARAMS).height == 0
    collapsed = missed_by_the_model.with_columns(energy_kwh=pl.lit(0.1))
    assert model_residual(collapsed, PARAMS).height == 8


def test_less_export_than_expected_is_no_model_residual_but_more_import_is() -> None:
    # Three hours at -0.27 kWh where the panels were expected to export 0.6: clouds the
    # radiation forecast missed.
    cloudy = heating_day(
        12, energy_kwh=[-0.27] * 12, expected_kwh=[-0.6] * 12, residual_z=[8.0] * 12,
        can_export=[True] * 12,
    )  # fmt: skip
    assert model_residual(cloudy, PARAMS).height == 0
    importing = cloudy.with_columns(energy_kwh=pl.lit(0.9), expected_kwh=pl.lit(0.2))
    assert model_residual(importing, PARAMS).height == 12
    exporting_less_without_panels = cloudy.with_columns(can_export=pl.lit(False))
    assert model_residual(exporting_less_without_panels, PARAMS).height == 12


def test_a_shop_open_on_a_bridge_day_is_judged_against_its_working_days_too() -> None:
    # Thursday 9 May 2024 a holiday, Friday 10 May a bridge day: this shop opens then, at its
    # Friday level (1 kWh an hour), which the model, taking the bridge day for a day off,
    # expected at its Sunday level (0.25).
    days = [(date(2024, 4, 28), 6, 0.25), (date(2024, 5, 3), 4, 1.0), (date(2024, 5, 10), 4, 1.0)]
    hours = [
        {"meter_id": "M1", "interval_start_utc": datetime(d.year, d.month, d.day, h, tzinfo=UTC),
         "local_hour": h, "local_day_of_week": weekday, "is_holiday": False,
         "is_bridge_day": d.day == 10, "energy_kwh": level + 0.01 * (h % 3)}
        for d, weekday, level in days for h in range(9, 17)
    ]  # fmt: skip
    history = pl.DataFrame(hours[:16])
    bridge = pl.DataFrame(hours[16:]).with_columns(
        interval_minutes=pl.lit(60), residual_z=pl.lit(9.0), expected_source=pl.lit("model")
    )
    judged = with_slot_range(bridge, slot_ranges(history))
    assert judged["interval_start_utc"].equals(bridge["interval_start_utc"])
    assert model_residual(judged, PARAMS).height == 0
    tripled = judged.with_columns(energy_kwh=pl.lit(3.0))
    assert model_residual(tripled, PARAMS).height == 8
