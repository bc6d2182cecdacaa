"""Faults: commands racing on a new instance, `kill -9` during a layer's write, two backfills at
once. Each runs the real `energy-lake` command in subprocesses on a scratch lake and instance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
