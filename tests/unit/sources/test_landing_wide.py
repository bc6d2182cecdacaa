"""Wide reading exports (one row per meter-day) land exactly like the long layout."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from energy_assets.sources.landing.readings import parse_readings_file
from energy_assets.sources.landing.wide import slot_starts

INGESTED = datetime(2024, 11, 5, 8, 30, tzinfo=UTC)


def parse(path: Path, zone: str = "UTC") -> object:
    return parse_readings_file(path, {"m1": zone}, {}, batch_id="b", ingested_at_utc=INGESTED)


def long_rows(parsed: object) -> list[tuple[object, ...]]:
    table = parsed.rows
    return list(
        zip(
            table["interval_start_utc"].to_pylist(),
            table["interval_minutes"].to_pylist(),
            table["energy_kwh"].to_pylist(),
            strict=True,
        )
    )


@pytest.mark.parametrize(
    ("columns", "first", "last"),
    [
        ([f"h{k}" for k in range(1, 25)], "00:00", "23:00"),
        ([f"H{k}" for k in range(24)], "00:00", "23:00"),
        ([f"{k // 2:02d}:{30 * (k % 2):02d}" for k in range(48)], "00:00", "23:30"),
        ([f"{k // 4:02d}:{15 * (k % 4):02d}" for k in range(1, 97)], "00:00", "23:45"),
    ],
)
def test_value_columns_state_where_each_interval_starts(
    columns: list[str], first: str, last: str
) -> None:
    starts = slot_starts(columns)

    assert starts is not None
    assert (starts[columns[0]], starts[columns[-1]]) == (first, last)


@pytest.mark.parametrize(
    "columns",
    [
        [f"h{k}" for k in range(1, 24)],  # 23 columns
        [f"h{k}" for k in range(2, 26)],  # neither from 0 nor from 1
        [f"{k:02d}:30" for k in range(24)],  # clock times off the grid
    ],
)
def test_value_columns_that_state_no_layout_are_not_guessed(columns: list[str]) -> None:
    assert slot_starts(columns) is None


def test_a_wide_day_lands_like_the_long_rows_it_holds(tmp_path: Path) -> None:
    hours = ",".join(f"h{k}" for k in range(1, 25))
    values = ",".join(f'"{1000 + k:,}"' for k in range(24))
    wide = tmp_path / "wide.csv"
    wide.write_text(f"meter_id,date,unit,{hours}\nm1,2024-03-04,kWh,{values}\n")
    long = tmp_path / "long.csv"
    long.write_text(
        "meter_id,timestamp,energy_kwh,interval_minutes\n"
        + "".join(f"m1,2024-03-04T{k:02d}:00,{1000 + k},60\n" for k in range(24))
    )

    assert long_rows(parse(wide)) == long_rows(parse(long))
    assert parse(wide).rejections == []


def test_a_bad_cell_of_a_wide_row_is_quarantined_alone(tmp_path: Path) -> None:
    hours = ",".join(f"{k:02d}:00" for k in range(1, 25))
    values = ",".join('"1,5"' if k == 3 else "2" for k in range(24))
    path = tmp_path / "wide.csv"
    path.write_text(f"meter_id,date,unit,{hours}\nm1,2024-03-04,kW,{values}\n")

    parsed = parse(path)

    assert parsed.rows.num_rows == 23
    (rejection,) = parsed.rejections
    assert rejection.reason == "power_kw is not a number: 1,5"
    assert rejection.record["timestamp"] == "2024-03-04T03:00"  # the column 04:00 ends


def test_a_wide_file_without_one_stated_unit_is_rejected_whole(tmp_path: Path) -> None:
    hours = ",".join(f"h{k}" for k in range(1, 25))
    path = tmp_path / "wide.csv"
    path.write_text(
        f"meter_id,date,unit,{hours}\n"
        f"m1,2024-03-04,kWh,{','.join(['1'] * 24)}\nm1,2024-03-05,Wh,{','.join(['1'] * 24)}\n"
    )

    rejections = parse(path).rejections

    assert len(rejections) == 2  # filed on each of the two days the file concerns
    assert all(
        r.reason.startswith("wide file: unit must be one of kWh, Wh, kW") for r in rejections
    )


def test_a_local_wide_day_skips_the_spring_forward_hour_left_empty(tmp_path: Path) -> None:
    hours = ",".join(f"h{k}" for k in range(1, 25))
    values = ",".join("" if k == 2 else "1" for k in range(24))
    path = tmp_path / "wide.csv"
    path.write_text(f"meter_id,date,unit,{hours}\nm1,2024-03-31,kWh,{values}\n")

    parsed = parse(path, zone="Europe/Paris")

    assert parsed.rows.num_rows == 23 and parsed.rejections == []
