"""Faults: commands racing on a new instance, `kill -9` during a layer's write, two backfills at
once. Each runs the real `energy-lake` command in subprocesses on a scratch lake and instance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

from energy_assets.cli import INSTANCE_SETTINGS
from energy_assets.definitions import defs
from energy_assets.defs.lake.automation import LANDING_RUN_MAX_SECONDS, run_request
from energy_assets.sources.landing_inbox import InboxFile, Verdict

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
