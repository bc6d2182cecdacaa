"""The landing folder parser: good rows land in the bronze contract, the rest in quarantine."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from checks.contracts import BRONZE_METER_READINGS, BRONZE_METERS, BRONZE_WEATHER
from checks.quarantine import quarantine_table
from energy_assets.sources.landing.files import SOURCE, ParsedFile, file_sha256, list_landing_files
from energy_assets.sources.landing.meters import parse_meters_file
from energy_assets.sources.landing.readings import parse_readings_file
from energy_assets.sources.landing.weather import parse_weather_file

INGESTED = datetime(2024, 11, 5, 8, 30, tzinfo=UTC)
BATCH = "batch-1"
PARIS = {"m1": "Europe/Paris", "m2": "Europe/Paris"}
INTERVALS = {"m1": 15, "m2": 30}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip("\n"))
    return path


def readings(
    path: Path,
    timezones: dict[str, str] | None = None,
    intervals: dict[str, int] | None = None,
    **kwargs: int,
) -> ParsedFile:
    return parse_readings_file(
        path,
        PARIS if timezones is None else timezones,
        INTERVALS if intervals is None else intervals,
        batch_id=BATCH,
        ingested_at_utc=INGESTED,
        **kwargs,
    )


def weather(path: Path, zones: dict[str, str] | None = None) -> ParsedFile:
    return parse_weather_file(
        path,
        {"paris": "Europe/Paris"} if zones is None else zones,
        batch_id=BATCH,
        ingested_at_utc=INGESTED,
    )


def meters(path: Path) -> ParsedFile:
    return parse_meters_file(path, batch_id=BATCH, ingested_at_utc=INGESTED)


def column(parsed: ParsedFile, name: str) -> list[object]:
    return parsed.rows.column(name).to_pylist()


def only_rejection(parsed: ParsedFile) -> str:
    assert len(parsed.rejections) == 1, parsed.rejections
    return parsed.rejections[0].reason


# --- files --------------------------------------------------------------------------------------


def test_list_landing_files_returns_csv_and_parquet_of_the_kind_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "readings"
    folder.mkdir()
    for name in ["b.csv", "a.parquet", "c.CSV", "notes.txt", ".partial.csv", "d.json"]:
        (folder / name).write_text("x")
    (folder / "sub.csv").mkdir()
    (tmp_path / "meters").mkdir()
    (tmp_path / "meters" / "m.csv").write_text("x")

    listed = list_landing_files(tmp_path, "readings")

    assert [p.name for p in listed] == ["a.parquet", "b.csv", "c.CSV"]
    assert list_landing_files(tmp_path, "weather") == []


def test_list_landing_files_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown landing kind"):
        list_landing_files(tmp_path, "prices")  # type: ignore[arg-type]


def test_file_sha256_is_the_hash_of_the_bytes_and_is_reported_by_the_parse(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\nm1,2024-01-01T00:00Z,1\n")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()

    assert file_sha256(path) == expected
    parsed = readings(path)
    assert parsed.content_sha256 == expected
    assert parsed.path == str(path)


# --- meters -------------------------------------------------------------------------------------


def test_meters_land_with_the_exact_contract_schema_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "meters.csv",
        """
meter_id,location_id,region,timezone,customer_type,latitude,longitude,interval_minutes,installed_on
m1,paris,IDF,Europe/Paris,prosumer,48.85,2.35,15,2021-06-01
m2,lyon,ARA,,residential,,,,
""",
    )

    parsed = meters(path)

    assert parsed.rejections == []
    assert parsed.rows.schema == BRONZE_METERS.schema
    rows = {r["meter_id"]: r for r in parsed.rows.to_pylist()}
    assert rows["m1"]["timezone"] == "Europe/Paris"
    assert rows["m1"]["can_export"] is True  # prosumers export
    assert rows["m1"]["interval_minutes"] == 15
    assert rows["m1"]["installed_on"] == date(2021, 6, 1)
    assert rows["m1"]["latitude"] == pytest.approx(48.85)
    assert rows["m2"]["timezone"] == "UTC"  # default zone
    assert rows["m2"]["can_export"] is False
    assert rows["m2"]["interval_minutes"] is None  # not given: left null
    assert rows["m2"]["installed_on"] is None
    assert set(column(parsed, "source")) == {SOURCE}
    assert set(column(parsed, "batch_id")) == {BATCH}
    assert set(column(parsed, "ingested_at_utc")) == {INGESTED}


def test_meters_explicit_can_export_wins_over_customer_type(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "meters.csv",
        "meter_id,location_id,customer_type,can_export\nm1,a,prosumer,false\nm2,b,business,yes\n",
    )

    assert column(meters(path), "can_export") == [False, True]


def test_meter_rows_missing_a_required_field_or_with_an_unknown_zone_are_rejected(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "meters.csv",
        """
meter_id,location_id,timezone,latitude
m1,paris,Europe/Paris,48.8
m2,,UTC,
,lyon,UTC,
m3,nice,Mars/Olympus,
m4,brest,UTC,north
""",
    )

    parsed = meters(path)

    assert column(parsed, "meter_id") == ["m1"]
    reasons = {r.meter_id: r.reason for r in parsed.rejections}
    assert reasons["m2"] == "missing location_id"
    assert reasons[None] == "missing meter_id"
    assert reasons["m3"] == "unknown time zone Mars/Olympus"
    assert reasons["m4"] == "latitude is not a number: north"
    lyon = next(r for r in parsed.rejections if r.meter_id is None)
    assert lyon.location_id == "lyon"
    assert lyon.record == {
        "meter_id": None,
        "location_id": "lyon",
        "timezone": "UTC",
        "latitude": None,
    }
    assert all(r.day == INGESTED.date() for r in parsed.rejections)


def test_a_meter_described_twice_differently_is_rejected_and_an_exact_repeat_lands_once(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "meters.csv",
        "meter_id,location_id\nm1,paris\nm1,lyon\nm2,nice\nm2,nice\n",
    )

    parsed = meters(path)

    assert column(parsed, "meter_id") == ["m2"]
    reasons = sorted((r.meter_id or "", r.reason) for r in parsed.rejections)
    assert reasons == [
        ("m1", "meter m1 described 2 times in this file with different values"),
        ("m1", "meter m1 described 2 times in this file with different values"),
        ("m2", "duplicate of an earlier row of this file"),
    ]


def test_meters_parquet_file_lands_like_csv(tmp_path: Path) -> None:
    path = tmp_path / "meters.parquet"
    pq.write_table(
        pa.table(
            {
                "meter_id": ["m1"],
                "location_id": ["paris"],
                "timezone": ["Europe/Paris"],
                "latitude": [48.85],
                "interval_minutes": [30],
                "installed_on": [date(2020, 1, 2)],
            }
        ),
        path,
    )

    parsed = meters(path)

    assert parsed.rejections == []
    assert parsed.rows.schema == BRONZE_METERS.schema
    row = parsed.rows.to_pylist()[0]
    assert (row["latitude"], row["interval_minutes"], row["installed_on"]) == (
        48.85,
        30,
        date(2020, 1, 2),
    )


# --- readings: units ----------------------------------------------------------------------------


def test_kwh_readings_land_with_the_exact_contract_schema(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,energy_kwh,interval_minutes,is_estimated
m1,2024-01-15T10:00:00Z,1.25,15,true
m1,2024-01-15T10:15:00Z,0.5,,
""",
    )

    parsed = readings(path)

    assert parsed.rejections == []
    assert parsed.rows.schema == BRONZE_METER_READINGS.schema
    assert parsed.rows.to_pylist() == [
        {
            "source": "landing",
            "meter_id": "m1",
            "interval_start_utc": utc(2024, 1, 15, 10, 0),
            "interval_minutes": 15,
            "energy_kwh": 1.25,
            "reported_unit": "kWh",
            "is_estimated": True,
            "ingested_at_utc": INGESTED,
            "batch_id": BATCH,
            "day": date(2024, 1, 15),
        },
        {
            "source": "landing",
            "meter_id": "m1",
            "interval_start_utc": utc(2024, 1, 15, 10, 15),
            "interval_minutes": 15,  # from the meter's description
            "energy_kwh": 0.5,
            "reported_unit": "kWh",
            "is_estimated": None,
            "ingested_at_utc": INGESTED,
            "batch_id": BATCH,
            "day": date(2024, 1, 15),
        },
    ]


def test_wh_readings_are_converted_to_kwh(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_wh\nm1,2024-01-15T10:00Z,250\n")

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [0.25]
    assert column(parsed, "reported_unit") == ["Wh"]


def test_kw_readings_become_energy_over_the_row_or_meter_interval(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,power_kw,interval_minutes
m1,2024-01-15T10:00Z,2.0,15
m1,2024-01-15T11:00Z,2.0,
m2,2024-01-15T10:00Z,2.0,
""",
    )

    parsed = readings(path, intervals={"m1": 60, "m2": 30})

    assert parsed.rejections == []
    assert column(parsed, "energy_kwh") == [0.5, 2.0, 1.0]  # 15, 60 (m1) and 30 (m2) minutes
    assert column(parsed, "interval_minutes") == [15, 60, 30]
    assert set(column(parsed, "reported_unit")) == {"kW"}


def test_readings_coarser_than_the_meters_grid_are_quarantined_not_put_into_one_slot(
    tmp_path: Path,
) -> None:
    hourly = "".join(f"m1,2024-01-15T{h:02d}:00Z,4.0\n" for h in range(6))
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\n" + hourly)

    parsed = readings(path)  # m1 declares a 15-minute grid

    assert parsed.rows.num_rows == 0
    assert len(parsed.rejections) == 6
    assert "reading covers 60 minutes, coarser than meter m1's 15-minute grid" in (
        parsed.rejections[0].reason
    )


def test_kw_readings_without_any_known_interval_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp,power_kw\nm1,2024-01-15T10:00Z,2.0\n")

    parsed = readings(path, intervals={})

    assert parsed.rows.num_rows == 0
    assert "power_kw needs the interval" in only_rejection(parsed)


def test_a_file_with_several_energy_columns_is_rejected_whole_as_mixed_units(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, "r.csv", "meter_id,timestamp,energy_kwh,energy_wh\nm1,2024-01-15T10:00Z,1,\n"
    )

    parsed = readings(path)

    assert parsed.rows.num_rows == 0
    assert parsed.rows.schema == BRONZE_METER_READINGS.schema
    reason = only_rejection(parsed)
    assert reason.startswith("mixed units: several energy columns ['energy_kwh', 'energy_wh']")
    rejection = parsed.rejections[0]
    assert rejection.record == {
        "file": str(path),
        "size_bytes": path.stat().st_size,
        "columns": ["meter_id", "timestamp", "energy_kwh", "energy_wh"],
    }
    assert rejection.source_file == str(path)
    assert rejection.day == INGESTED.date()


def test_a_readings_file_without_an_energy_column_is_rejected_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp\nm1,2024-01-15T10:00Z\n")

    assert only_rejection(readings(path)).startswith("no energy column")


# --- readings: time -----------------------------------------------------------------------------


def test_local_times_on_the_spring_forward_day_convert_with_the_right_offset(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,energy_kwh
m1,2024-03-30T23:45:00,1
m1,2024-03-31T00:00:00,1
m1,2024-03-31T01:45:00,1
m1,2024-03-31T03:00:00,1
m1,2024-03-31T23:45:00,1
""",
    )

    parsed = readings(path)

    assert parsed.rejections == []
    assert column(parsed, "interval_start_utc") == [
        utc(2024, 3, 30, 22, 45),  # CET, +01:00
        utc(2024, 3, 30, 23, 0),
        utc(2024, 3, 31, 0, 45),
        utc(2024, 3, 31, 1, 0),  # CEST, +02:00
        utc(2024, 3, 31, 21, 45),
    ]
    assert column(parsed, "day") == [date(2024, 3, 30)] * 2 + [date(2024, 3, 31)] * 3


def test_a_nonexistent_local_time_in_the_spring_forward_gap_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh\nm1,2024-03-31T01:45:00,1\nm1,2024-03-31T02:30:00,2\n",
    )

    parsed = readings(path)

    assert column(parsed, "interval_start_utc") == [utc(2024, 3, 31, 0, 45)]
    rejection = parsed.rejections[0]
    assert rejection.reason == (
        "nonexistent local timestamp 2024-03-31T02:30:00 in Europe/Paris "
        "(skipped by a daylight-saving change)"
    )
    assert rejection.meter_id == "m1"
    assert rejection.record == {
        "meter_id": "m1",
        "timestamp": "2024-03-31T02:30:00",
        "energy_kwh": "2",
    }


def test_repeated_local_times_on_the_fall_back_day_take_the_first_then_second_occurrence(
    tmp_path: Path,
) -> None:
    local = [
        "01:45",
        "02:00",
        "02:15",
        "02:30",
        "02:45",
        "02:00",
        "02:15",
        "02:30",
        "02:45",
        "03:00",
    ]
    body = "".join(f"m1,2024-10-27T{t}:00,1\n" for t in local)
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\n" + body)

    parsed = readings(path)

    assert parsed.rejections == []
    starts = column(parsed, "interval_start_utc")
    assert starts == [
        utc(2024, 10, 26, 23, 45),
        utc(2024, 10, 27, 0, 0),  # first 02:00 is CEST (+02:00)
        utc(2024, 10, 27, 0, 15),
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 27, 0, 45),
        utc(2024, 10, 27, 1, 0),  # the repeat is CET (+01:00)
        utc(2024, 10, 27, 1, 15),
        utc(2024, 10, 27, 1, 30),
        utc(2024, 10, 27, 1, 45),
        utc(2024, 10, 27, 2, 0),
    ]
    assert len(set(starts)) == len(starts)


def test_fall_back_occurrences_are_counted_per_meter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh\n"
        "m1,2024-10-27T02:00:00,1\nm2,2024-10-27T02:00:00,1\nm1,2024-10-27T02:00:00,1\n",
    )

    assert column(readings(path, intervals={"m1": 60, "m2": 60}), "interval_start_utc") == [
        utc(2024, 10, 27, 0, 0),
        utc(2024, 10, 27, 0, 0),
        utc(2024, 10, 27, 1, 0),
    ]


def test_timestamps_with_an_offset_are_instants_whatever_the_meter_zone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,energy_kwh
m1,2024-10-27T02:00:00+02:00,1
m1,2024-10-27T02:00:00+01:00,1
m1,2024-10-27 01:30:00Z,1
m1,2024-10-27T05:30+0530,1
m1,2024-10-27T00:00:00.250Z,1
""",
    )

    assert column(readings(path), "interval_start_utc") == [
        utc(2024, 10, 27, 0, 0),
        utc(2024, 10, 27, 1, 0),
        utc(2024, 10, 27, 1, 30),
        utc(2024, 10, 27, 0, 0),
        datetime(2024, 10, 27, 0, 0, 0, 250_000, tzinfo=UTC),
    ]


def test_parquet_readings_with_typed_timestamps_land_like_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(
        pa.table(
            {
                "meter_id": ["m1", "m1"],
                "timestamp": pa.array(
                    [datetime(2024, 3, 31, 1, 45), datetime(2024, 3, 31, 3, 0)],
                    pa.timestamp("us"),
                ),
                "energy_wh": [100.0, 200.0],
            }
        ),
        path,
    )
    aware = tmp_path / "aware.parquet"
    pq.write_table(
        pa.table(
            {
                "meter_id": ["m1"],
                "timestamp": pa.array([utc(2024, 3, 31, 1, 0)], pa.timestamp("ms", tz="UTC")),
                "energy_kwh": [1.5],
            }
        ),
        aware,
    )

    parsed = readings(path)
    parsed_aware = readings(aware)

    assert parsed.rejections == [] and parsed_aware.rejections == []
    assert parsed.rows.schema == BRONZE_METER_READINGS.schema
    assert column(parsed, "interval_start_utc") == [utc(2024, 3, 31, 0, 45), utc(2024, 3, 31, 1)]
    assert column(parsed, "energy_kwh") == [0.1, 0.2]
    assert column(parsed_aware, "interval_start_utc") == [utc(2024, 3, 31, 1)]


# --- readings: bad rows -------------------------------------------------------------------------


def test_rows_of_a_meter_never_described_are_quarantined_while_the_rest_lands(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,energy_kwh
m1,2024-01-15T10:00:00Z,1
ghost,2024-01-15T10:00:00Z,2
m1,2024-01-15T10:15:00Z,3
ghost,2024-01-16T10:00:00,4
""",
    )

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [1.0, 3.0]
    assert [r.reason for r in parsed.rejections] == ["meter never described: ghost"] * 2
    first, second = parsed.rejections
    assert (first.meter_id, first.source_file) == ("ghost", str(path))
    assert first.record == {
        "meter_id": "ghost",
        "timestamp": "2024-01-15T10:00:00Z",
        "energy_kwh": "2",
    }
    assert first.day == date(2024, 1, 15)  # the day the row would have landed in
    assert second.day == date(2024, 1, 16)  # local time of an unknown zone: the date written


def test_unparsable_timestamps_and_values_reject_the_row_with_its_raw_strings(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "r.csv",
        """
meter_id,timestamp,energy_kwh,is_estimated
m1,15/01/2024 10:00,1,
m1,2024-01-15T10:15:00Z,one,
m1,2024-02-30T10:00:00Z,1,
m1,2024-01-15T10:30:00Z,inf,
m1,2024-01-15T10:45:00Z,1,perhaps
m1,,1,
m1,2024-01-15T11:00:00Z, 2.5 ,no
""",
    )

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [2.5]
    assert column(parsed, "is_estimated") == [False]
    reasons = [r.reason for r in parsed.rejections]
    assert reasons[0].startswith("unparsable timestamp: 15/01/2024 10:00")
    assert reasons[1] == "energy_kwh is not a number: one"
    assert reasons[2].startswith("unparsable timestamp: 2024-02-30T10:00:00Z")
    assert reasons[3] == "energy_kwh is not finite: inf"
    assert reasons[4] == "is_estimated is not a boolean: perhaps"
    assert reasons[5] == "missing timestamp"
    assert parsed.rejections[1].record == {
        "meter_id": "m1",
        "timestamp": "2024-01-15T10:15:00Z",
        "energy_kwh": "one",
        "is_estimated": None,
    }
    assert parsed.rejections[0].day == INGESTED.date()
    assert parsed.rejections[1].day == date(2024, 1, 15)


def test_a_bad_interval_in_the_row_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh,interval_minutes\n"
        "m1,2024-01-15T10:00Z,1,7\nm1,2024-01-15T10:00Z,1,-15\nm1,2024-01-15T10:00Z,1,15.0\n",
    )

    parsed = readings(path)

    assert column(parsed, "interval_minutes") == [15]
    assert [r.reason for r in parsed.rejections] == [
        "interval_minutes is not one of 5, 10, 15, 30, 60: 7",
        "interval_minutes is not one of 5, 10, 15, 30, 60: -15",
    ]


def test_malformed_csv_rows_are_quarantined_and_the_rest_lands(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh\nm1,2024-01-15T10:00Z,1\nm1,2024-01-15T10:15Z,2,extra\n",
    )

    parsed = readings(path)

    assert column(parsed, "energy_kwh") == [1.0]
    rejection = parsed.rejections[0]
    assert rejection.reason == "malformed CSV row: 4 fields where the header has 3"
    assert rejection.record == {"line": "m1,2024-01-15T10:15Z,2,extra"}


def test_every_data_row_is_either_landed_or_rejected(tmp_path: Path) -> None:
    lines = [f"m{i % 3},2024-01-15T{i % 24:02d}:00:00,{i}" for i in range(60)]
    lines[7] = "m1,nonsense,1"
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\n" + "\n".join(lines) + "\n")

    parsed = readings(path)

    assert parsed.rows.num_rows + len(parsed.rejections) == 60
    assert parsed.rows.num_rows == 40 - 1  # m0 is never described, one timestamp is nonsense


def test_rejections_become_quarantine_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\nghost,2024-01-15T10:00Z,1\n")
    parsed = readings(path)

    table = quarantine_table(
        parsed.rejections, rejected_by="landing_readings", source=SOURCE, rejected_at_utc=INGESTED
    )

    row = table.to_pylist()[0]
    assert row["meter_id"] == "ghost"
    assert row["source_file"] == str(path)
    assert json.loads(row["record"]) == {
        "energy_kwh": "1",
        "meter_id": "ghost",
        "timestamp": "2024-01-15T10:00Z",
    }


# --- whole files --------------------------------------------------------------------------------


def test_a_file_with_an_unknown_column_is_rejected_whole_naming_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "r.csv",
        "meter_id,timestamp,energy_kwh,quality_flag\nm1,2024-01-15T10:00Z,1,A\n",
    )

    parsed = readings(path)

    assert parsed.rows.num_rows == 0
    assert only_rejection(parsed).startswith("unknown columns: ['quality_flag']")
    assert parsed.rejections[0].record["columns"] == [
        "meter_id",
        "timestamp",
        "energy_kwh",
        "quality_flag",
    ]


def test_a_file_missing_a_required_column_is_rejected_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "meter_id,region\nm1,IDF\n")

    assert only_rejection(meters(path)) == "missing required columns: ['location_id']"


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "empty file: 0 bytes"), ("meter_id,timestamp,energy_kwh\n", "empty file: no data rows")],
)
def test_an_empty_file_is_rejected_whole(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content)

    parsed = readings(path)

    assert only_rejection(parsed) == reason
    assert parsed.rows.schema == BRONZE_METER_READINGS.schema


def test_a_file_over_the_size_limit_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(b"not parquet at all, and too large anyway")

    parsed = readings(path, max_bytes=10)

    reason = only_rejection(parsed)
    assert reason == f"file too large: {path.stat().st_size} bytes > limit of 10 bytes"
    assert parsed.rejections[0].record["columns"] == []


def test_a_corrupt_parquet_file_is_rejected_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")

    assert only_rejection(readings(path)).startswith("unreadable file")


def test_a_file_that_is_not_utf8_is_rejected_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("meter_id,timestamp,énergie\n".encode("latin-1"))

    assert only_rejection(readings(path)).startswith("unreadable file: not UTF-8")


def test_a_file_with_an_unknown_extension_is_rejected_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "r.xlsx", "meter_id,timestamp,energy_kwh\nm1,2024-01-15T10:00Z,1\n")

    assert only_rejection(readings(path)) == (
        "unknown extension '.xlsx': expected one of ('.csv', '.csv.gz', '.parquet')"
    )


def test_a_naive_ingestion_time_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "meter_id,timestamp,energy_kwh\nm1,2024-01-15T10:00Z,1\n")

    with pytest.raises(ValueError, match="timezone-aware"):
        parse_readings_file(
            path, PARIS, INTERVALS, batch_id=BATCH, ingested_at_utc=datetime(2024, 1, 1)
        )


# --- weather ------------------------------------------------------------------------------------


def test_weather_observations_land_with_the_exact_contract_schema(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "w.csv",
        """
location_id,timestamp,temperature_c,relative_humidity_pct,wind_speed_ms
paris,2024-03-31T03:00:00,7.5,80,3.2
paris,2024-03-31T01:00:00Z,6.0,,
""",
    )

    parsed = weather(path)

    assert parsed.rejections == []
    assert parsed.rows.schema == BRONZE_WEATHER.schema
    first = parsed.rows.to_pylist()[0]
    assert first == {
        "source": "landing",
        "location_id": "paris",
        "valid_at_utc": utc(2024, 3, 31, 1, 0),  # local 03:00 CEST
        "issued_at_utc": None,
        "kind": "observation",
        "temperature_c": 7.5,
        "relative_humidity_pct": 80.0,
        "wind_speed_ms": 3.2,
        "cloud_cover_pct": None,
        "shortwave_radiation_wm2": None,
        "ingested_at_utc": INGESTED,
        "batch_id": BATCH,
        "day": date(2024, 3, 31),
    }


def test_weather_forecasts_need_an_issue_time_and_observations_get_none(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "w.csv",
        """
location_id,timestamp,temperature_c,kind,issued_at
paris,2024-01-02T12:00:00Z,5,forecast,2024-01-01T06:00:00
paris,2024-01-02T12:00:00Z,5,forecast,
paris,2024-01-02T12:00:00Z,4,observation,2024-01-01T06:00:00Z
paris,2024-01-02T12:00:00Z,4,,
paris,2024-01-02T12:00:00Z,4,nowcast,
""",
    )

    parsed = weather(path)

    assert column(parsed, "kind") == ["forecast", "observation", "observation"]
    assert column(parsed, "issued_at_utc") == [utc(2024, 1, 1, 5, 0), None, None]
    assert [r.reason for r in parsed.rejections] == [
        "forecast without issued_at",
        "unknown kind nowcast: expected observation or forecast",
    ]
    assert parsed.rejections[0].location_id == "paris"


def test_weather_of_an_unknown_location_needs_offsets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "w.csv",
        "location_id,timestamp,temperature_c\natlantis,2024-01-02T12:00:00+01:00,5\n"
        "atlantis,2024-01-02T12:00:00,5\n",
    )

    parsed = weather(path)

    assert column(parsed, "valid_at_utc") == [utc(2024, 1, 2, 11, 0)]
    assert only_rejection(parsed) == (
        "timestamp without offset for a location of unknown time zone"
    )
    assert parsed.rejections[0].location_id == "atlantis"


def test_weather_values_that_are_not_numbers_reject_the_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "w.csv",
        "location_id,timestamp,temperature_c,cloud_cover_pct\n"
        "paris,2024-01-02T12:00Z,warm,\nparis,2024-01-02T13:00Z,4,50\n",
    )

    parsed = weather(path)

    assert column(parsed, "cloud_cover_pct") == [50.0]
    assert only_rejection(parsed) == "temperature_c is not a number: warm"
