"""`replace_quarantine` over a long list of files (a window of MQTT messages, an inbox of tens of
thousands of files): the Delta writer crashed the process on a predicate naming 50,000 files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checks.contracts import BRONZE_QUARANTINE
from checks.quarantine import Rejection
from energy_assets.storage.lake import Lake
from energy_assets.storage.quarantine import PREDICATE_FILES, replace_quarantine

DAY1, DAY2, DAY3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)


def rejection(source_file: str | None, reason: str, day: date) -> Rejection:
    return Rejection({"value": "x"}, reason, day=day, source_file=source_file)


def rows(store: Lake) -> set[tuple[object, ...]]:
    table = store.read(BRONZE_QUARANTINE).select(["rejected_by", "source_file", "reason", "day"])
    return {tuple(r.values()) for r in table.to_pylist()}


@pytest.mark.parametrize("n_files", [3, 5 * PREDICATE_FILES])
def test_replacing_the_rows_of_many_files_keeps_every_other_row(
    tmp_path: Path, n_files: int
) -> None:
    store = Lake(str(tmp_path / "lake"))
    files = [f"inbox/f{i:06d}.csv" for i in range(n_files)]
    replace_quarantine(
        store,
        [
            rejection(files[0], "old", DAY1),
            rejection(files[1], "old", DAY2),
            rejection("inbox/unlisted.csv", "kept", DAY1),
            rejection(None, "kept without file", DAY2),
        ],
        rejected_by="step",
        source="landing",
    )
    replace_quarantine(
        store, [rejection(files[0], "other step", DAY1)], rejected_by="other", source="landing"
    )

    written = replace_quarantine(
        store,
        [rejection(files[0], "new", DAY3), rejection(files[2], "new", DAY1)],
        rejected_by="step",
        source="landing",
        files=files,
    )

    assert written == 2
    assert rows(store) == {
        ("step", files[0], "new", DAY3),
        ("step", files[2], "new", DAY1),
        ("step", "inbox/unlisted.csv", "kept", DAY1),
        ("step", None, "kept without file", DAY2),
        ("other", files[0], "other step", DAY1),
    }
