"""The simulator's harder shapes: off by default; when on, partial-day 1000x bursts, drops that
recover, level shifts that persist (labelled while they are news), never on clean meters."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from energy_assets.sources.simulator import SimulatorConfig, clean_meter_ids, simulate_readings
from energy_assets.sources.simulator.shapes import LEVEL_SHIFT_NEWS_DAYS, day_shapes

SEED = 42
METERS = np.arange(20)
CLEAN = METERS % 7 == 3
FIRST = date(2024, 1, 1).toordinal()
DAYS = 240


def shapes_by_day() -> list:  # type: ignore[type-arg]
    return [day_shapes(SEED, METERS, CLEAN, FIRST + d, 96) for d in range(DAYS)]


def test_every_shape_occurs_never_on_clean_meters_and_is_deterministic() -> None:
    days = shapes_by_day()
    kinds = {e.kind for shapes in days for e in shapes.events}
    assert kinds == {"unit_error", "sustained_drop", "level_shift"}
    assert not any(CLEAN[e.row] for shapes in days for e in shapes.events)
    again = day_shapes(SEED, METERS, CLEAN, FIRST + 100, 96)
    assert np.array_equal(again.factor, days[100].factor)


def test_bursts_last_part_of_one_day() -> None:
    bursts = [e for shapes in shapes_by_day() for e in shapes.events if e.kind == "unit_error"]
    assert bursts
    assert all(1 <= e.stop_col - e.first_col <= 40 for e in bursts)
    assert all(e.first_day == FIRST + i for i, shapes in enumerate(shapes_by_day())
               for e in shapes.events if e.kind == "unit_error")  # fmt: skip


def test_a_drop_lasts_10_to_20_days_then_consumption_returns_to_its_level() -> None:
    days = shapes_by_day()
    events = [(d, e) for d in range(DAYS) for e in days[d].events]
    shift_days = {(e.row, e.first_day - FIRST) for _, e in events if e.kind == "level_shift"}
    drops: dict[tuple[int, int], list[int]] = {}
    for d, e in events:
        if e.kind == "sustained_drop":
            drops.setdefault((e.row, e.first_day), []).append(d)
    checked = 0
    for (row, _), span in drops.items():
        first, last = span[0], span[-1]
        shifted = any(r == row and first - 1 <= d <= last + 1 for r, d in shift_days)
        if first == 0 or last == DAYS - 1 or shifted:
            continue  # cut by the window, or a level shift moved the level meanwhile
        assert 10 <= len(span) <= 20
        before, during, after = (days[d].factor[row, 0] for d in (first - 1, first, last + 1))
        assert during < 0.61 * before
        assert after == before
        checked += 1
    assert checked


def test_a_level_shift_persists_and_is_labelled_only_while_it_is_news() -> None:
    days = shapes_by_day()
    shifts = [(d, e) for d in range(DAYS) for e in days[d].events if e.kind == "level_shift"]
    assert shifts
    row, first = shifts[0][1].row, shifts[0][1].first_day
    labelled = [d for d, e in shifts if e.row == row and e.first_day == first]
    assert len(labelled) <= LEVEL_SHIFT_NEWS_DAYS
    start = first - FIRST
    if start > 0 and start + 30 < DAYS:
        assert days[start + 30].factor[row, 0] == days[start].factor[row, 0]
        assert days[start].factor[row, 0] != days[start - 1].factor[row, 0]


def test_the_default_simulation_has_none_of_the_new_shapes() -> None:
    day = date(2024, 2, 5)
    plain = simulate_readings(SimulatorConfig(n_meters=20), day)
    assert "level_shift" not in set(plain.labels["anomaly_type"].to_pylist())


def test_a_burst_day_reads_1000x_the_counterfactual_during_the_burst_only() -> None:
    config = SimulatorConfig(n_meters=20, hard_shapes=True)
    day = next(
        FIRST_DAY + timedelta(days=d)
        for d in range(60)
        for e in day_shapes(
            SEED, METERS, CLEAN, (FIRST_DAY + timedelta(days=d)).toordinal(), 96
        ).events
        if e.kind == "unit_error"
    )
    readings = simulate_readings(config, day)
    burst = (
        pl.from_arrow(readings.labels)
        .filter(  # type: ignore[union-attr]
            (pl.col("anomaly_type") == "unit_error")
            & (pl.col("day") == day)
            & (pl.col("end_utc") - pl.col("start_utc") < timedelta(days=1))
        )
        .row(0, named=True)
    )
    counterfactual = simulate_readings(config, day, inject_anomalies=False)

    def meter_rows(table) -> pl.DataFrame:  # type: ignore[no-untyped-def]
        frame = pl.from_arrow(table).filter(  # type: ignore[union-attr]
            (pl.col("meter_id") == burst["meter_id"])
            & (pl.col("batch_id").str.contains("resend").not_())
        )
        return frame.unique("interval_start_utc").sort("interval_start_utc")

    joined = meter_rows(readings.readings).join(
        meter_rows(counterfactual.readings), on="interval_start_utc", suffix="_plain"
    )
    inside = pl.col("interval_start_utc").is_between(
        burst["start_utc"], burst["end_utc"], closed="left"
    )
    ratio = (pl.col("energy_kwh") / pl.col("energy_kwh_plain")).filter(
        pl.col("energy_kwh_plain") > 0.01
    )
    assert joined.select(ratio.filter(inside).min()).item() > 500
    assert joined.select(ratio.filter(~inside).max()).item() < 2
    assert burst["meter_id"] not in clean_meter_ids(config)


FIRST_DAY = date(2024, 1, 1)
