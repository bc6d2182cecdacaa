"""Landing files: what the folder reads (compressed, nested), what it refuses with a reason, when
a file is complete, and where a malformed CSV row is."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, date, datetime
from pathlib import Path

from energy_assets.sources.landing.files import (
    SETTLE_SECONDS,
    is_settled,
    list_landing_files,
    refused_files,
)
from energy_assets.sources.landing.readings import parse_readings_file

INGESTED = datetime(2024, 11, 5, 8, 30, tzinfo=UTC)
HEADER = "meter_id,timestamp,energy_kwh\n"


def parse(path: Path, **kwargs: object) -> object:
    return parse_readings_file(
        path, {"m1": "Europe/Paris"}, {}, batch_id="b", ingested_at_utc=INGESTED, **kwargs
    )


def put(root: Path, relative: str, data: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_compressed_and_nested_files_are_read_and_others_are_refused_with_a_reason(
    tmp_path: Path,
) -> None:
    put(tmp_path, "readings/a.csv", b"x")
    put(tmp_path, "readings/2024/03/b.csv.gz", b"x")
    put(tmp_path, "readings/c.parquet", b"x")
    put(tmp_path, "readings/notes.txt", b"x")
    put(tmp_path, "readings/d.tsv", b"x")
    put(tmp_path, "readings/.upload.csv", b"x")
    put(tmp_path, "readings/.tmp/e.csv", b"x")

    listed = [
        p.relative_to(tmp_path / "readings").as_posix()
        for p in list_landing_files(tmp_path, "readings")
    ]
    refused = {
        p.relative_to(tmp_path / "readings").as_posix(): reason
        for p, reason in refused_files(tmp_path, "readings")
    }

    assert listed == ["2024/03/b.csv.gz", "a.csv", "c.parquet"]
    assert refused == {
        ".tmp/e.csv": "hidden file (a name starting with '.') is not read",
        ".upload.csv": "hidden file (a name starting with '.') is not read",
        "d.tsv": "unknown extension '.tsv': expected one of ('.csv', '.csv.gz', '.parquet')",
        "notes.txt": "unknown extension '.txt': expected one of ('.csv', '.csv.gz', '.parquet')",
    }


def test_a_gzip_csv_parses_like_the_plain_file(tmp_path: Path) -> None:
    text = HEADER + "m1,2024-03-04T10:00:00Z,1.5\nm1,2024-03-04T11:00:00Z,2.5\n"
    plain = parse(put(tmp_path, "r.csv", text.encode()))
    packed = parse(put(tmp_path, "r.csv.gz", gzip.compress(text.encode())))

    assert packed.rows.drop_columns(["batch_id"]).equals(plain.rows.drop_columns(["batch_id"]))


def test_a_file_without_its_end_mark_is_complete_only_once_unchanged_for_the_settle_time(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    ended = put(tmp_path, "a.csv", (HEADER + "m1,2024-03-04T10:00:00Z,1.75\n").encode())
    cut = put(tmp_path, "b.csv", (HEADER + "m1,2024-03-04T10:00:00Z,1").encode())
    parquet_cut = put(tmp_path, "c.parquet", b"PAR1 half written")

    assert is_settled(ended, now)
    assert not is_settled(cut, now)
    assert not is_settled(parquet_cut, now)
    old = now.timestamp() - SETTLE_SECONDS - 1
    os.utime(cut, (old, old))
    assert is_settled(cut, now)


def test_a_hidden_upload_is_left_alone_until_unchanged_for_the_settle_time(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    upload = put(
        tmp_path, "readings/.export.csv.part", (HEADER + "m1,2024-03-04T10:00Z,1\n").encode()
    )

    assert not is_settled(upload, now, end_mark_counts=False)
    old = now.timestamp() - SETTLE_SECONDS - 1
    os.utime(upload, (old, old))
    assert is_settled(upload, now, end_mark_counts=False)


def test_an_unterminated_quote_is_reported_with_the_lines_it_folded(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "r.csv",
        (
            HEADER
            + "m1,2024-03-04T10:00:00Z,1\n"
            + 'm1,"2024-03-04T11:00:00Z,2\n'
            + "m1,2024-03-04T12:00:00Z,3\n"
            + "m1,2024-03-04T13:00:00Z,4\n"
        ).encode(),
    )

    parsed = parse(path)

    assert parsed.rows.num_rows == 1
    (rejection,) = parsed.rejections
    assert rejection.reason == (
        "malformed CSV row at lines 3-5: a stray or unterminated quote folded 3 lines into one "
        "row: 2 fields where the header has 3"
    )
    assert "2024-03-04T13:00:00Z,4" in rejection.record["line"]


def test_a_field_larger_than_a_read_block_names_the_line_where_it_ends(tmp_path: Path) -> None:
    huge = "x" * (5 * 1024 * 1024)
    path = put(tmp_path, "r.csv", (HEADER + f'm1,2024-03-04T10:00:00Z,"{huge}\n').encode())

    (rejection,) = parse(path).rejections

    assert rejection.reason.startswith(
        "unreadable file: a field of more than 131072 characters ending at line 2 "
        "(an unterminated quote swallows every line after it)"
    )


def test_a_file_rejected_whole_is_filed_on_each_data_day_it_concerns(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "r.csv",
        b"meter_id,timestamp,energy_kwh,colour\n"
        b"m1,2024-03-04T10:00:00Z,1,red\nm1,2024-03-05T10:00:00Z,1,red\nm1,1900-01-01T00:00Z,1,red\n",
    )

    rejections = parse(path, days=(date(2024, 1, 1), date(2024, 12, 31))).rejections

    assert [r.day for r in rejections] == [date(2024, 3, 4), date(2024, 3, 5)]
    assert all(r.reason.startswith("unknown columns: ['colour']") for r in rejections)


def test_a_row_whose_time_does_not_parse_is_filed_on_the_date_it_names(tmp_path: Path) -> None:
    path = put(tmp_path, "r.csv", (HEADER + "m1,2024-03-04T25:99,1\nm1,noon,1\n").encode())

    first, second = parse(path).rejections

    assert (first.day, second.day) == (date(2024, 3, 4), INGESTED.date())


def test_readings_of_a_meter_rejected_when_described_point_at_that_rejection(
    tmp_path: Path,
) -> None:
    path = put(tmp_path, "r.csv", (HEADER + "m9,2024-03-04T10:00:00Z,1\n").encode())

    (rejection,) = parse(path, rejected_meters={"m9": "unknown time zone Mars/Olympus"}).rejections

    assert (
        rejection.reason == "meter m9 was rejected when described: unknown time zone Mars/Olympus"
    )


def test_a_fall_back_file_sorted_newest_first_keeps_the_two_0200_hours_in_order(
    tmp_path: Path,
) -> None:
    local_hours = ["04:00", "03:00", "02:00", "02:00", "01:00", "00:00"]  # newest first
    path = put(
        tmp_path,
        "r.csv",
        (
            HEADER + "".join(f"m1,2024-10-27T{h}:00,{i}\n" for i, h in enumerate(local_hours))
        ).encode(),
    )

    table = parse(path).rows
    starts = [t.strftime("%H:%M") for t in table["interval_start_utc"].to_pylist()]

    # Paris: 02:00 summer time is 00:00 UTC, 02:00 winter time 01:00 UTC
    assert starts == ["03:00", "02:00", "01:00", "00:00", "23:00", "22:00"]
