from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from checks.unit_corrections import unit_corrections
from energy_assets.transforms.cleaning import clean_readings, unit_context
from energy_assets.transforms.unit_evidence import wh_stretches
from tests.unit.transforms.test_cleaning import bronze, meter, meters_table, reading

START = datetime(2024, 1, 10, tzinfo=UTC)


def days_of(meter_id: str, days: int, kw: float, step: int = 60) -> list[dict]:
    """`days` days of hourly-ish readings from START at a mean power of about `kw`."""
    return [
        reading(
            meter_id,
            m,
            kw * step / 60 * (1 + 0.1 * ((m // step) % 5)),
            interval_minutes=step,
            day=(START + timedelta(minutes=m)).date(),
        )
        for m in range(0, days * 1440, step)
    ]


def times_thousand(rows: list[dict], first: datetime, last: datetime) -> list[dict]:
    return [
        r | {"energy_kwh": r["energy_kwh"] * 1000} if first <= r["interval_start_utc"] < last else r
        for r in rows
    ]


def cleaned(rows: list[dict], registry: pa.Table, days: int) -> pl.DataFrame:
    table = clean_readings(
        bronze(*rows), registry, START.date(), START.date() + timedelta(days=days)
    ).table
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_a_whole_day_sent_in_wh_between_normal_days_is_divided_by_1000_and_flagged() -> None:
    registry = meters_table(meter("M1", interval_minutes=60))
    sent = days_of("M1", 3, 0.4)
    bad_day = START + timedelta(days=1)
    frame = cleaned(times_thousand(sent, bad_day, bad_day + timedelta(days=1)), registry, 3)
    corrected = frame.filter(pl.col("is_unit_corrected"))
    assert corrected.height == 24
    assert corrected["interval_start_utc"].dt.date().unique().to_list() == [bad_day.date()]
    assert frame["energy_kwh"].to_list() == pytest.approx([r["energy_kwh"] for r in sent])


def test_a_burst_of_eight_hours_sent_in_wh_is_corrected_and_nothing_else() -> None:
    registry = meters_table(meter("M1", interval_minutes=15))
    sent = days_of("M1", 3, 2.0, step=15)
    first = START + timedelta(days=1, hours=9)
    frame = cleaned(times_thousand(sent, first, first + timedelta(hours=8)), registry, 3)
    corrected = frame.filter(pl.col("is_unit_corrected"))["interval_start_utc"]
    assert corrected.len() == 32
    assert corrected.min() == first and corrected.max() == first + timedelta(hours=7, minutes=45)
    assert frame["energy_kwh"].to_list() == pytest.approx([r["energy_kwh"] for r in sent])


def test_a_national_grid_of_tens_of_gigawatts_with_its_unit_stated_is_never_divided() -> None:
    for customer_type in ("grid_zone", "substation", "typo", None):
        registry = meters_table(
            meter("GB", interval_minutes=30, customer_type=customer_type, can_export=False)
        )
        frame = cleaned(days_of("GB", 3, 3.5e7, step=30), registry, 3)
        assert not frame["is_unit_corrected"].any()
        assert (frame["energy_kwh"] > 1e7).all()


def test_a_series_that_starts_in_wh_or_changes_unit_for_good_is_left_as_sent() -> None:
    registry = meters_table(meter("M1", interval_minutes=60))
    sent = days_of("M1", 3, 0.4)
    from_start = times_thousand(sent, START, START + timedelta(days=1))
    for_good = times_thousand(sent, START + timedelta(days=1), START + timedelta(days=9))
    for rows in (from_start, for_good):
        frame = cleaned(rows, registry, 3)
        assert not frame["is_unit_corrected"].any()
        assert frame["energy_kwh"].to_list() == [r["energy_kwh"] for r in rows]


def test_a_real_rise_from_near_zero_is_not_a_unit_error() -> None:
    registry = meters_table(meter("M1", interval_minutes=60))
    sent = days_of("M1", 3, 4.0)
    idle = START + timedelta(days=1)
    rows = [
        r | {"energy_kwh": 0.003}
        if idle <= r["interval_start_utc"] < idle + timedelta(hours=6)
        else r
        for r in sent
    ]
    assert not cleaned(rows, registry, 3)["is_unit_corrected"].any()


def test_a_stretch_is_judged_the_same_from_a_window_inside_it_given_the_context() -> None:
    registry = meters_table(meter("M1", interval_minutes=60))
    first = START + timedelta(days=2)
    rows = times_thousand(days_of("M1", 7, 0.4), first, first + timedelta(days=3))
    whole = cleaned(rows, registry, 7)
    day = first.date() + timedelta(days=1)
    inside = [r for r in rows if r["day"] == day]
    around = [r for r in rows if r["day"] != day]
    alone = clean_readings(
        bronze(*inside),
        registry,
        day,
        day + timedelta(days=1),
        context=unit_context(bronze(*around), registry),
    ).table
    assert alone.column("is_unit_corrected").to_pylist() == [True] * 24
    assert pa.Table.from_pandas(
        whole.filter(pl.col("day") == day).to_pandas(), schema=alone.schema
    ).equals(alone)


def test_stretches_need_the_meters_level_on_both_sides() -> None:
    at = [START + timedelta(hours=h) for h in range(72)]
    power = [1.0] * 24 + [1000.0] * 24 + [1.0] * 24
    series = pl.DataFrame(
        {"meter_key": [0] * 72, "at_utc": at, "power_kw": power, "ingested_at_utc": at},
        schema={
            "meter_key": pl.UInt32,
            "at_utc": pl.Datetime("us", "UTC"),
            "power_kw": pl.Float64,
            "ingested_at_utc": pl.Datetime("us", "UTC"),
        },
    )
    assert wh_stretches(series).rows() == [(0, at[24], at[48])]
    assert wh_stretches(series.head(48)).height == 0
    assert wh_stretches(series.tail(48)).height == 0


def test_every_unit_correction_is_reported_by_a_warning_naming_the_meter_and_stretch() -> None:
    registry = meters_table(meter("M1", interval_minutes=60), meter("M2", interval_minutes=60))
    bad_day = START + timedelta(days=1)
    rows = [*times_thousand(days_of("M1", 3, 0.4), bad_day, bad_day + timedelta(days=1))]
    rows += days_of("M2", 3, 0.4)
    table = clean_readings(
        bronze(*rows), registry, START.date(), START.date() + timedelta(days=3)
    ).table
    outcome = unit_corrections(table)
    assert not outcome.passed
    assert outcome.metadata["meters"] == "M1"
    assert "M1 (24 intervals, 2024-01-11T00:00:00+00:00 .. 2024-01-11T23:00:00+00:00)" in (
        outcome.description
    )
    assert unit_corrections(table.filter(pc.equal(table["meter_id"], "M2"))).passed
