"""Faults: commands racing on a new instance, `kill -9` during a layer's write, two backfills at
once, a killed run under run monitoring. The real `energy-lake` command runs in subprocesses on a
scratch lake and instance, over one small simulated window (2 meters, 2 days)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from checks.contracts import (
    ALL_TABLES,
    BRONZE_METER_READINGS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    TableContract,
)
from energy_assets.cli import INSTANCE_SETTINGS
from energy_assets.definitions import defs
from energy_assets.defs.lake.automation import LANDING_RUN_MAX_SECONDS, run_request
from energy_assets.sources.landing_inbox import InboxFile, Verdict
from energy_assets.storage.lake import Lake

pytestmark = pytest.mark.integration

ENERGY_LAKE = Path(sys.executable).parent / "energy-lake"


def _env(root: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENERGY_LAKE_ROOT": str(root / "lake"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "ENERGY_SOURCES": "simulator",
        "ENERGY_SIM_METERS": "2",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        **extra,
    }


def test_commands_started_together_on_a_new_instance_both_prepare_it(tmp_path: Path) -> None:
    env = _env(tmp_path)
    commands = [
        subprocess.Popen(
            [str(ENERGY_LAKE), "status"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [command.communicate() for command in commands]

    assert [c.returncode for c in commands] == [0, 0], outcomes
    assert (tmp_path / "dagster_home" / ".instance.lock").exists()


def test_run_monitoring_fails_runs_stuck_starting_or_cancelling_and_killed_landing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(INSTANCE_SETTINGS, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 180
        assert instance.run_monitoring_cancel_timeout_seconds == 180
    verdict = Verdict(
        InboxFile(tmp_path / "r.csv", "readings", 0),
        "0" * 64,
        "accepted",
        rows=1,
        rejections=[],
        first_day=date(2024, 3, 4),
        last_day=date(2024, 3, 4),
    )
    request = run_request(defs.resolve_asset_graph(), verdict, tmp_path / "r.csv")
    assert request is not None
    assert request.tags[MAX_RUNTIME_SECONDS_TAG] == str(LANDING_RUN_MAX_SECONDS)


WINDOW = (date(2024, 3, 4), date(2024, 3, 5))
SELECTION = (
    "key:bronze/* or key:silver/* or key:gold/consumption_features or key:gold/quality_scorecard"
)
WRITTEN = [
    t
    for t in ALL_TABLES
    if t.layer in ("bronze", "silver") or t in (GOLD_CONSUMPTION_FEATURES, GOLD_QUALITY_SCORECARD)
]
VARYING = {"ingested_at_utc", "batch_id", "rejected_at_utc"}
"""Columns that record when a run happened, not what it computed."""


def _backfill(
    root: Path, first: date, last: date, selection: str = SELECTION
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(ENERGY_LAKE),
            "backfill",
            "--start",
            first.isoformat(),
            "--end",
            last.isoformat(),
            "--select",
            selection,
        ],
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finished(command: subprocess.Popen[str]) -> str:
    output, _ = command.communicate()
    assert command.returncode == 0, output[-3000:]
    return output


def _contents(root: Path) -> dict[str, list[tuple]]:
    """Every table the selection writes, as sorted rows without the run-time columns; reading
    each one also proves it readable."""
    lake = Lake(str(root / "lake"))
    contents = {}
    for table in WRITTEN:
        rows = lake.read(table)
        kept = [c for c in rows.column_names if c not in VARYING]
        contents[table.path] = sorted(
            (tuple(str(v) for v in row.values()) for row in rows.select(kept).to_pylist()),
        )
    return contents


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The tables of one uninterrupted backfill of the window."""
    root = tmp_path_factory.mktemp("clean")
    _finished(_backfill(root, *WINDOW))
    return _contents(root)


def _parquet_files(folder: Path) -> set[Path]:
    return set(folder.rglob("*.parquet")) if folder.exists() else set()


def _kill_while_writing(root: Path, table: TableContract) -> None:
    """Start a backfill and `kill -9` it as soon as a new data file of `table` appears."""
    folder = root / "lake" / table.layer / table.name
    before = _parquet_files(folder)
    command = _backfill(root, *WINDOW)
    while command.poll() is None and not _parquet_files(folder) - before:
        time.sleep(0.005)
    assert command.poll() is None, "the backfill ended before writing " + table.path
    command.send_signal(signal.SIGKILL)
    command.communicate()
    assert command.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_kill_9_during_each_layers_write_leaves_tables_readable_and_a_rerun_equal_to_clean(
    tmp_path: Path, clean: dict[str, list[tuple]]
) -> None:
    for table in (BRONZE_METER_READINGS, SILVER_METER_READINGS, GOLD_CONSUMPTION_FEATURES):
        _kill_while_writing(tmp_path, table)
        _contents(tmp_path)  # every table readable after the kill

    _finished(_backfill(tmp_path, *WINDOW))

    assert _contents(tmp_path) == clean


@pytest.mark.slow
def test_two_backfills_at_once_of_the_same_days_or_of_different_days_both_land(
    tmp_path: Path, clean: dict[str, list[tuple]]
) -> None:
    first, last = WINDOW
    same, different = tmp_path / "same", tmp_path / "different"
    commands = [
        _backfill(same, first, last),
        _backfill(same, first, last),
        _backfill(different, first, first),
        _backfill(different, last, last),
    ]
    for command in commands:
        _finished(command)

    assert _contents(same) == clean
    # A day's features read the day before for their lags: built before the other backfill wrote
    # that day, they wait for the follow-on rebuild the lake automation requests (the
    # `lags_current` check names them); every other table landed whole.
    features = GOLD_CONSUMPTION_FEATURES.path
    landed = {path: rows for path, rows in _contents(different).items() if path != features}
    assert landed == {path: rows for path, rows in clean.items() if path != features}
    _finished(_backfill(different, last, last, "key:gold/consumption_features"))
    assert _contents(different) == clean
