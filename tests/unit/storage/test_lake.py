from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from checks.contracts import BRONZE_ANOMALY_LABELS, BRONZE_METERS
from energy_assets.storage.lake import Chunk, Lake, window_predicate

DAY1, DAY2, DAY3, DAY4 = (date(2024, 1, d) for d in (1, 2, 3, 4))


def labels(day: date, n: int, magnitude: float = 1.0) -> pa.Table:
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return pa.Table.from_pylist(
        [
            {
                "event_id": f"{day}-{i}",
                "meter_id": "MTR-1",
                "anomaly_type": "spike",
                "start_utc": at,
                "end_utc": at + timedelta(minutes=15),
                "magnitude": magnitude,
                "description": None,
                "day": day,
            }
            for i in range(n)
        ],
        schema=BRONZE_ANOMALY_LABELS.schema,
    )


def counts_by_day(lake: Lake) -> dict[date, int]:
    table = lake.read(BRONZE_ANOMALY_LABELS)
    days = table.column("day").to_pylist()
    return {day: days.count(day) for day in sorted(set(days))}


def test_window_predicate_covers_the_whole_window() -> None:
    assert window_predicate(DAY1, DAY3) == "day >= '2024-01-01' AND day < '2024-01-03'"
    assert window_predicate(DAY1, DAY2, "x = 1").endswith("AND x = 1")


def test_replacing_a_day_leaves_other_days_untouched(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(
        BRONZE_ANOMALY_LABELS, [labels(d, 3) for d in (DAY1, DAY2, DAY3)], DAY1, DAY4
    )
    before = lake.read(BRONZE_ANOMALY_LABELS)

    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY2, 1, magnitude=9.0), DAY2, DAY3)

    assert counts_by_day(lake) == {DAY1: 3, DAY2: 1, DAY3: 3}
    after = lake.read(BRONZE_ANOMALY_LABELS).to_pylist()
    untouched = [r for r in before.to_pylist() if r["day"] != DAY2]
    assert sorted(untouched, key=str) == sorted([r for r in after if r["day"] != DAY2], key=str)


def test_a_multi_day_window_is_replaced_in_one_commit(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(
        BRONZE_ANOMALY_LABELS, [labels(d, 2) for d in (DAY1, DAY2, DAY3)], DAY1, DAY4
    )
    version = lake.version(BRONZE_ANOMALY_LABELS)

    result = lake.replace_window(
        BRONZE_ANOMALY_LABELS, [labels(DAY2, 5), labels(DAY3, 4)], DAY2, DAY4
    )

    assert result.version == version + 1
    assert result.rows == 9
    assert counts_by_day(lake) == {DAY1: 2, DAY2: 5, DAY3: 4}


def test_rerunning_a_day_gives_the_same_rows(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 4), DAY1, DAY2)
    first = lake.read(BRONZE_ANOMALY_LABELS)
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 4), DAY1, DAY2)
    assert lake.read(BRONZE_ANOMALY_LABELS).sort_by("event_id").equals(first.sort_by("event_id"))


def test_an_empty_day_clears_that_day_only(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, [labels(DAY1, 2), labels(DAY2, 2)], DAY1, DAY3)
    lake.replace_window(
        BRONZE_ANOMALY_LABELS, BRONZE_ANOMALY_LABELS.schema.empty_table(), DAY2, DAY3
    )
    assert counts_by_day(lake) == {DAY1: 2}
    assert lake.partition_days(BRONZE_ANOMALY_LABELS) == [DAY1]
    assert lake.row_count(BRONZE_ANOMALY_LABELS) == 2


def test_rows_outside_the_window_are_refused_before_anything_is_written(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 2), DAY1, DAY2)
    with pytest.raises(ValueError, match="outside the window"):
        lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 7), DAY2, DAY3)
    assert counts_by_day(lake) == {DAY1: 2}


def test_chunks_are_committed_one_by_one_and_a_bad_chunk_stops_before_it(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 2), DAY1, DAY2)
    version = lake.version(BRONZE_ANOMALY_LABELS)
    good = [Chunk(DAY2, DAY3, labels(DAY2, 1)), Chunk(DAY3, DAY4, labels(DAY3, 3))]

    result = lake.replace_chunks(BRONZE_ANOMALY_LABELS, good)

    assert (result.rows, result.commits, result.version) == (4, 2, version + 2)
    with pytest.raises(ValueError, match="outside the window"):
        lake.replace_chunks(
            BRONZE_ANOMALY_LABELS,
            [Chunk(DAY2, DAY3, labels(DAY2, 5)), Chunk(DAY3, DAY4, labels(DAY1, 7))],
        )
    assert counts_by_day(lake) == {DAY1: 2, DAY2: 5, DAY3: 3}


def test_concurrent_writes_to_different_days_all_land(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 1), DAY1, DAY2)
    days = [DAY1 + timedelta(days=i) for i in range(1, 7)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda d: lake.replace_window(
                    BRONZE_ANOMALY_LABELS, labels(d, 2), d, d + timedelta(days=1)
                ),
                days,
            )
        )
    assert counts_by_day(lake) == {DAY1: 1, **dict.fromkeys(days, 2)}


def test_reading_a_missing_table_gives_an_empty_table_with_the_contract(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    table = lake.read(BRONZE_METERS)
    assert table.num_rows == 0
    assert table.schema.equals(BRONZE_METERS.schema)
    assert lake.version(BRONZE_METERS) is None


def test_dimension_tables_are_overwritten_whole(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    row = {f.name: None for f in BRONZE_METERS.schema}
    row |= {
        "source": "s",
        "meter_id": "M",
        "location_id": "L",
        "timezone": "UTC",
        "ingested_at_utc": datetime(2024, 1, 1, tzinfo=UTC),
        "batch_id": "b",
    }
    lake.overwrite(BRONZE_METERS, pa.Table.from_pylist([row, row], schema=BRONZE_METERS.schema))
    lake.overwrite(BRONZE_METERS, pa.Table.from_pylist([row], schema=BRONZE_METERS.schema))
    assert lake.read(BRONZE_METERS).num_rows == 1
    with pytest.raises(ValueError, match="not partitioned"):
        lake.replace_window(BRONZE_METERS, BRONZE_METERS.schema.empty_table(), DAY1, DAY2)


def test_reading_a_window_gives_exactly_its_days(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(
        BRONZE_ANOMALY_LABELS, [labels(d, 2) for d in (DAY1, DAY2, DAY3)], DAY1, DAY4
    )

    assert set(lake.read(BRONZE_ANOMALY_LABELS, DAY2, DAY4).column("day").to_pylist()) == {
        DAY2,
        DAY3,
    }
    empty = lake.read(BRONZE_ANOMALY_LABELS, DAY4, DAY4 + timedelta(days=2))
    assert empty.num_rows == 0 and empty.schema.equals(BRONZE_ANOMALY_LABELS.schema)


def test_encoded_strings_read_as_dictionaries_with_the_same_values(tmp_path) -> None:
    lake = Lake(str(tmp_path))
    lake.replace_window(BRONZE_ANOMALY_LABELS, [labels(d, 2) for d in (DAY1, DAY2)], DAY1, DAY3)

    plain = lake.read(BRONZE_ANOMALY_LABELS, DAY1, DAY3)
    encoded = lake.read(BRONZE_ANOMALY_LABELS, DAY1, DAY3, encoded_strings=True)

    assert pa.types.is_dictionary(encoded.schema.field("meter_id").type)
    assert encoded.schema.field("start_utc").type == plain.schema.field("start_utc").type
    assert encoded.cast(BRONZE_ANOMALY_LABELS.schema).equals(plain)
    never_written = Lake(str(tmp_path / "empty")).read(BRONZE_METERS, encoded_strings=True)
    assert pa.types.is_dictionary(never_written.schema.field("meter_id").type)


def test_a_lake_reading_a_table_again_sees_commits_made_since_by_any_writer(tmp_path) -> None:
    reader, writer = Lake(str(tmp_path)), Lake(str(tmp_path))
    assert reader.read(BRONZE_ANOMALY_LABELS).num_rows == 0
    writer.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 2), DAY1, DAY2)
    assert counts_by_day(reader) == {DAY1: 2}

    writer.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY2, 3), DAY2, DAY3)
    writer.replace_window(BRONZE_ANOMALY_LABELS, labels(DAY1, 1), DAY1, DAY2)

    assert counts_by_day(reader) == {DAY1: 1, DAY2: 3}
    assert reader.version(BRONZE_ANOMALY_LABELS) == writer.version(BRONZE_ANOMALY_LABELS) == 2
    assert reader.partition_days(BRONZE_ANOMALY_LABELS) == [DAY1, DAY2]
    assert reader.row_count(BRONZE_ANOMALY_LABELS) == 4
