from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from energy_assets.sources import landing_inbox
from energy_assets.sources.landing.ledger import outside_window
from energy_assets.sources.landing.meters import parse_meters_file
from energy_assets.sources.landing_inbox import (
    PROCESSED,
    InboxFile,
    Verdict,
    destination,
    judge,
    landing_files,
    ledger_rows,
    waiting_files,
)
from energy_assets.storage.lake import Lake

TODAY = date(2024, 5, 2)
AT = datetime(2024, 5, 2, 12, tzinfo=UTC)


def put(root: Path, kind: str, name: str, text: str, mtime_s: int) -> Path:
    path = root / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(mtime_s * 10**9, mtime_s * 10**9))
    return path


def test_meters_and_new_arrivals_come_first_and_files_older_than_the_cursor_are_not_skipped(
    tmp_path: Path,
) -> None:
    put(tmp_path, "readings", "b.csv", "x", mtime_s=200)
    put(tmp_path, "meters", "a.csv", "x", mtime_s=300)
    put(tmp_path, "weather", "copied-with-old-mtime.csv", "x", mtime_s=100)
    put(tmp_path, "readings", ".partial.csv", "x", mtime_s=250)
    cursor = (150 * 10**9, str(tmp_path / "zzz"))

    files = waiting_files(tmp_path, cursor, limit=10)

    assert [f.path.name for f in files] == [
        "a.csv",
        "b.csv",
        ".partial.csv",
        "copied-with-old-mtime.csv",
    ]
    assert [f.refusal for f in files if f.refusal] == [
        "hidden file (a name starting with '.') is not read"
    ]
    assert [f.path.name for f in waiting_files(tmp_path, None, limit=2)] == [
        "a.csv",
        "copied-with-old-mtime.csv",
    ]


def meters_file(tmp_path: Path, text: str) -> InboxFile:
    return InboxFile(put(tmp_path, "meters", "m.csv", text, mtime_s=1), "meters", 1)


def parse(file: InboxFile):
    return lambda: parse_meters_file(file.path, batch_id="b", ingested_at_utc=AT)


def test_a_file_with_the_bytes_of_an_accepted_file_is_a_duplicate_and_is_not_parsed(
    tmp_path: Path,
) -> None:
    file = meters_file(tmp_path, "meter_id,location_id\nM1,L1\n")

    def never() -> None:
        raise AssertionError("a duplicate is not parsed")

    verdict = judge(file, "abc", {"abc": "/lake/landing/_processed/meters/m.csv"}, never, TODAY)

    assert verdict.status == "duplicate"
    assert "same content as /lake/landing/_processed/meters/m.csv" in (verdict.reason or "")
    assert verdict.rejections[0].day == TODAY


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [
        ("meter_id,location_id\nM1,L1\n", "accepted", None),
        ("meter_id,colour\nM1,red\n", "rejected", "missing required columns"),
        ("meter_id,location_id\n,L1\n,L2\n", "rejected", "2 x missing meter_id"),
    ],
)
def test_a_file_is_accepted_with_one_good_row_and_rejected_with_none(
    tmp_path: Path, text: str, status: str, reason: str | None
) -> None:
    file = meters_file(tmp_path, text)

    verdict = judge(file, "sha", {}, parse(file), TODAY)

    assert verdict.status == status
    assert (verdict.reason or "").startswith(reason or "")
    assert verdict.reason is None if reason is None else verdict.rejections


def test_a_judged_file_keeps_its_name_unless_taken_and_is_recorded_with_its_size(
    tmp_path: Path,
) -> None:
    file = meters_file(tmp_path, "meter_id,location_id\nM1,L1\n")
    verdict = judge(file, "0123456789abcdef", {}, parse(file), TODAY)
    assert destination(tmp_path, verdict) == tmp_path / "_processed" / "meters" / "m.csv"

    put(tmp_path, "_processed/meters", "m.csv", "older", mtime_s=1)
    target = destination(tmp_path, verdict)
    assert target == tmp_path / "_processed" / "meters" / "m.0123456789ab.csv"

    (row,) = ledger_rows([(verdict, target)], AT).to_pylist()
    assert (row["status"], row["rows"], row["path"]) == ("accepted", 1, str(target))
    assert row["size_bytes"] == file.path.stat().st_size


def test_a_run_skips_only_accepted_files_whose_days_all_miss_its_window(tmp_path: Path) -> None:
    files = [
        ("before.csv", "accepted", date(2024, 5, 1), date(2024, 5, 2)),
        ("overlapping.csv", "accepted", date(2024, 5, 2), date(2024, 5, 4)),
        ("after.csv", "accepted", date(2024, 5, 5), date(2024, 5, 5)),
        ("meters.csv", "accepted", None, None),
        ("refused.csv", "rejected", None, None),
    ]
    verdicts = []
    for name, status, first, last in files:
        file = InboxFile(put(tmp_path, "readings", name, "x", mtime_s=1), "readings", 1)
        verdict = Verdict(file, name, status, 1, [], first, last)
        verdicts.append((verdict, tmp_path / "_processed" / name))
    ledger = ledger_rows(verdicts, AT)

    skipped = outside_window(ledger, date(2024, 5, 3), date(2024, 5, 5))

    assert {Path(p).name for p in skipped} == {"before.csv", "after.csv"}


def test_a_file_the_sensor_moves_after_the_listing_is_read_from_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(str(tmp_path))
    inbox = put(store.landing_root, "meters", "m.csv", "meter_id,location_id\nM1,L1\n", 100)
    archive = store.landing_root / PROCESSED / "meters"
    listed = landing_inbox.list_landing_files

    def listed_then_moved(root: Path, kind: str) -> list[Path]:
        paths = listed(root, kind)
        if inbox in paths:  # the sensor archives the file right after this listing
            archive.mkdir(parents=True)
            inbox.rename(archive / inbox.name)
        return paths

    monkeypatch.setattr(landing_inbox, "list_landing_files", listed_then_moved)
    rows, rejected = landing_files(store, "meters")

    assert sum(t.num_rows for t in rows) == 1
    assert list(rejected) == [str(archive / "m.csv")]


def test_a_file_deleted_after_the_listing_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(str(tmp_path))
    inbox = put(store.landing_root, "meters", "m.csv", "meter_id,location_id\nM1,L1\n", 100)
    listed = landing_inbox.list_landing_files

    def listed_then_deleted(root: Path, kind: str) -> list[Path]:
        paths = listed(root, kind)
        if inbox in paths:
            inbox.unlink()
        return paths

    monkeypatch.setattr(landing_inbox, "list_landing_files", listed_then_deleted)
    assert landing_files(store, "meters") == ([], {})
