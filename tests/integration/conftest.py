from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from energy_assets.storage.lake import Lake


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A temporary lake and Dagster instance, with a small simulator."""
    root = tmp_path / "lake"
    root.mkdir()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("ENERGY_LAKE_ROOT", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("ENERGY_SIM_METERS", "6")
    monkeypatch.setenv("ENERGY_SOURCES", "simulator")
    return Lake(str(root))


@pytest.fixture
def instance(lake: Lake) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.get() as dagster_instance:
        yield dagster_instance
