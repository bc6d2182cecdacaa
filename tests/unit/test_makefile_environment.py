"""The Makefile's Dagster environment agrees with what `energy-lake` sets for itself."""

import subprocess
from pathlib import Path

from energy_assets.cli import EVENT_BATCH_SIZE

ROOT = Path(__file__).resolve().parents[2]


def test_make_targets_store_dagster_events_in_batches_of_the_cli_size() -> None:
    shown = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "--eval=show-batch-size: ; @echo $$DAGSTER_EVENT_BATCH_SIZE",
            "show-batch-size",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(EVENT_BATCH_SIZE)
