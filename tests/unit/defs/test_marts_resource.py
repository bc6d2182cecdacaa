"""The marts' dbt resource starts dbt and nothing else for a command."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import dbt.adapters.factory
import pytest

from energy_assets.defs.marts.assets import dbt_resource


def test_a_dbt_command_starts_only_dbt_and_loads_no_adapter_in_dagsters_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_process = mock.Mock(side_effect=AssertionError("`dbt --version` was started"))
    register_adapter = mock.Mock()
    monkeypatch.setattr("dagster_dbt.core.resource.check_output", version_process)
    monkeypatch.setattr(dbt.adapters.factory, "register_adapter", register_adapter)

    invocation = dbt_resource().cli(["--version"], target_path=tmp_path / "target").wait()

    assert invocation.is_successful()
    version_process.assert_not_called()
    register_adapter.assert_not_called()
