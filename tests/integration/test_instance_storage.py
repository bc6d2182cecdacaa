"""The project's event log (dagster.yaml's `OpenSqliteEventLogStorage`) under processes sharing
one instance, as `dagster dev`'s daemon and webserver and an `energy-lake backfill` do."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from energy_assets.defs.instance_storage import OpenSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[2]
EVENTS_PER_WRITER = 120

WRITER = """
import logging, sys, time
import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

run_id, asset, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with dg.DagsterInstance.get() as instance:
    for day in range(count):
        event = DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            job_name="writer",
            event_specific_data=StepMaterializationData(
                dg.AssetMaterialization(asset_key=asset, partition=f"day-{day:04d}")
            ),
        )
        instance.handle_new_event(
            EventLogEntry(
                error_info=None, level=logging.INFO, user_message="", run_id=run_id,
                timestamp=time.time(), step_key=asset, job_name="writer", dagster_event=event,
            )
        )
    # Still running (its databases open) until told to stop.
    sys.stdin.readline()
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def _writer(run_id: str, asset: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, run_id, asset, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _materialized_partitions(instance: dg.DagsterInstance, asset: str) -> int:
    return len(instance.get_materialized_partitions(dg.AssetKey(asset)))


def test_the_instance_settings_use_the_open_event_log_under_dagster_home(home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, OpenSqliteEventLogStorage)
        instance.event_log_storage.get_asset_records([])
    assert (home / "history" / "runs" / "index.db").exists()


def test_two_processes_writing_events_at_once_lose_none_and_a_third_reads_them_all(
    home: Path,
) -> None:
    with dg.DagsterInstance.get() as reader:
        # The reader holds its own open connections while the writers write.
        assert _materialized_partitions(reader, "first") == 0
        writers = [
            _writer("run-a", "first", EVENTS_PER_WRITER),
            _writer("run-b", "second", EVENTS_PER_WRITER),
        ]
        outputs = [writer.communicate("stop\n")[0] for writer in writers]
        assert [writer.returncode for writer in writers] == [0, 0], outputs

        assert _materialized_partitions(reader, "first") == EVENTS_PER_WRITER
        assert _materialized_partitions(reader, "second") == EVENTS_PER_WRITER
        for run_id in ("run-a", "run-b"):
            assert len(reader.all_logs(run_id)) == EVENTS_PER_WRITER


def test_a_watcher_of_a_run_sees_the_events_another_process_writes(home: Path) -> None:
    seen: list[str] = []
    all_seen = threading.Event()

    def on_event(entry: dg.EventLogEntry, _cursor: str) -> None:
        seen.append(entry.run_id)
        if len(seen) == EVENTS_PER_WRITER:
            all_seen.set()

    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.watch("run-watched", None, on_event)
        writer = _writer("run-watched", "watched", EVENTS_PER_WRITER)
        # Seen while the writer still holds its connection open: its events are in the WAL file.
        seen_all = all_seen.wait(timeout=300)
        output = writer.communicate("stop\n")[0]
        instance.event_log_storage.end_watch("run-watched", on_event)
    assert writer.returncode == 0, output
    assert seen_all, f"{len(seen)} of {EVENTS_PER_WRITER} events seen"
    assert set(seen) == {"run-watched"}
