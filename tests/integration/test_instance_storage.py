"""The project's event log (dagster.yaml's `OpenSqliteEventLogStorage`) under processes sharing
one instance, as `dagster dev`'s daemon and webserver and an `energy-lake backfill` do."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from energy_assets.defs.instance_storage import OpenSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[2]
EVENTS_PER_WRITER = 120

WRITER = """
import logging, sys, time
import dagster as dg
from dagster._core.events import (
    DagsterEvent, DagsterEventBatchMetadata, DagsterEventType, StepMaterializationData,
)
from dagster._core.events.log import EventLogEntry

run_id, asset, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
batched = sys.argv[4:] == ["batched"]
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
            ),
            batch_metadata=(
                DagsterEventBatchMetadata(run_id, day == count - 1) if batched else None
            ),
        )
    # Still running (its databases open) until told to stop.
    sys.stdin.readline()
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def _writer(run_id: str, asset: str, count: int, *, batched: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            run_id,
            asset,
            str(count),
            *(["batched"] if batched else []),
        ],
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


def _materialization(run_id: str, asset: str, partition: str) -> dg.EventLogEntry:
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData

    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="writer",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key=asset, partition=partition)
        ),
    )
    return dg.EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        step_key=asset,
        job_name="writer",
        dagster_event=event,
    )


def test_later_events_of_an_asset_update_its_one_row_in_the_index(home: Path) -> None:
    with dg.DagsterInstance.get() as instance:
        for run_id, day in (("run-a", "2024-01-01"), ("run-b", "2024-01-02")):
            instance.handle_new_event(_materialization(run_id, "meters", day))
        (record,) = instance.get_asset_records([dg.AssetKey("meters")])
        last = record.asset_entry.last_materialization
        assert record.asset_entry.last_run_id == "run-b"
        assert last is not None and last.asset_materialization is not None
        assert last.asset_materialization.partition == "2024-01-02"
        assert _materialized_partitions(instance, "meters") == 2


def test_two_processes_writing_the_same_new_asset_at_once_lose_no_event(home: Path) -> None:
    with dg.DagsterInstance.get() as reader:
        writers = [_writer(run_id, "shared", EVENTS_PER_WRITER) for run_id in ("run-c", "run-d")]
        outputs = [writer.communicate("stop\n")[0] for writer in writers]
        assert [writer.returncode for writer in writers] == [0, 0], outputs
        (record,) = reader.get_asset_records([dg.AssetKey("shared")])
        assert record.asset_entry.last_run_id in {"run-c", "run-d"}
        for run_id in ("run-c", "run-d"):
            assert len(reader.all_logs(run_id)) == EVENTS_PER_WRITER


def test_a_check_planned_over_a_range_has_one_planned_row_per_partition(home: Path) -> None:
    from dagster._core.events import AssetCheckEvaluationPlanned, DagsterEvent, DagsterEventType
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    days = dg.DailyPartitionsDefinition("2024-01-01")
    keys = ["2024-01-01", "2024-01-02", "2024-01-03"]
    planned = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED.value,
        job_name="writer",
        event_specific_data=AssetCheckEvaluationPlanned(
            asset_key=dg.AssetKey("readings"),
            check_name="complete",
            partitions_subset=days.empty_subset()
            .with_partition_keys(keys)
            .to_serializable_subset(),
        ),
    )
    with dg.DagsterInstance.get() as instance:
        instance.report_dagster_event(planned, "run-e")
        history = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("readings"), "complete"), limit=10
        )
    assert sorted(r.partition or "" for r in history) == keys
    assert {r.status for r in history} == {AssetCheckExecutionRecordStatus.PLANNED}
    assert {r.run_id for r in history} == {"run-e"}
    assert all(r.event is not None and r.event.dagster_event == planned for r in history)


def test_two_processes_writing_event_batches_at_once_store_every_batch_whole(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENTS_PER_WRITER // 4))
    with dg.DagsterInstance.get() as reader:
        writers = [
            _writer(run_id, "batched", EVENTS_PER_WRITER, batched=True)
            for run_id in ("run-f", "run-g")
        ]
        outputs = [writer.communicate("stop\n")[0] for writer in writers]
        assert [writer.returncode for writer in writers] == [0, 0], outputs
        assert all("Falling back" not in output for output in outputs), outputs
        for run_id in ("run-f", "run-g"):
            assert len(reader.all_logs(run_id)) == EVENTS_PER_WRITER
        assert _materialized_partitions(reader, "batched") == EVENTS_PER_WRITER


def _planned(run_id: str, asset: str, partition: str) -> dg.EventLogEntry:
    from dagster._core.events import (
        AssetMaterializationPlannedData,
        DagsterEvent,
        DagsterEventType,
    )

    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION_PLANNED.value,
        job_name="writer",
        event_specific_data=AssetMaterializationPlannedData(
            asset_key=dg.AssetKey(asset), partition=partition
        ),
    )
    return dg.EventLogEntry(
        error_info=None,
        level=logging.DEBUG,
        user_message="",
        run_id=run_id,
        timestamp=1_700_000_000.0,
        step_key=asset,
        job_name="writer",
        dagster_event=event,
    )


def test_a_batch_of_planned_events_reads_back_as_stored_one_by_one(tmp_path: Path) -> None:
    days = [f"2024-01-{day:02d}" for day in range(1, 31)]
    readings = dg.AssetKey("readings")
    done = _materialization("run-done", "readings", days[0])
    planned = [_planned("run-planned", "readings", day) for day in days]
    seen = []
    for how in ("one_by_one", "batch"):
        storage = OpenSqliteEventLogStorage(str(tmp_path / how))
        storage.store_event(done)
        if how == "batch":
            storage.store_event_batch(planned)
        else:
            for event in planned:
                storage.store_event(event)
        records = storage.get_event_records(
            dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, readings),
            ascending=True,
        )
        (asset_record,) = storage.get_asset_records([readings])
        seen.append(
            (
                storage.get_logs_for_run("run-planned"),
                [(r.storage_id, r.event_log_entry) for r in records],
                asset_record.asset_entry,
                storage.get_materialized_partitions(readings),
            )
        )
        storage.dispose()
    one_by_one, batch = seen
    assert batch[0] == planned
    assert len(batch[1]) == len(days)
    assert batch == one_by_one
    assert batch[3] == {days[0]}


def test_a_batch_of_several_assets_planned_then_materialized_leaves_each_asset_row_as_one_by_one(
    tmp_path: Path,
) -> None:
    days = [f"2024-01-{day:02d}" for day in range(1, 8)]
    assets = ["readings", "weather"]
    planned = [_planned("run-range", asset, day) for asset in assets for day in days]
    # Interleaved as a ranged step yields them: each day's materialization of both assets.
    materialized = [_materialization("run-range", asset, day) for day in days for asset in assets]
    keys = [dg.AssetKey(asset) for asset in assets]
    seen = []
    for how in ("one_by_one", "batch"):
        storage = OpenSqliteEventLogStorage(str(tmp_path / how))
        for events in (planned, materialized):
            if how == "batch":
                storage.store_event_batch(events)
            else:
                for event in events:
                    storage.store_event(event)
        seen.append(
            (
                storage.get_logs_for_run("run-range"),
                [record.asset_entry for record in storage.get_asset_records(keys)],
                [storage.get_materialized_partitions(key) for key in keys],
            )
        )
        storage.dispose()
    one_by_one, batch = seen
    assert batch == one_by_one
    assert [entry.last_run_id for entry in batch[1]] == ["run-range", "run-range"]
    assert [entry.last_materialization.dagster_event.partition for entry in batch[1]] == [
        days[-1],
        days[-1],
    ]
    assert batch[2] == [set(days), set(days)]
