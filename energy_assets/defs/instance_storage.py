"""The embedded instance's SQLite event log, kept open between events (`dagster.yaml` names it).

Dagster's own SQLite event log opens a new engine and connection for every event and closes it
after the commit. Closing the last connection of a WAL database checkpoints it (and each commit
and checkpoint syncs the disk): about 40 ms per event here, and a year's range run stores two
events per asset and day (planned, then materialized). This storage keeps one connection per
database file open for the life of the process (`synchronous=NORMAL`, WAL's documented safe
setting: a commit is durable once checkpointed and never corrupts the file), so an event costs a
few milliseconds. Other processes (the daemon, the webserver, a backfill) keep sharing the files
through SQLite's WAL locking, each under the busy timeout. Watchers of a run (the UI's live log)
are woken by writes to the run's WAL file as well as to its database file, since a write now
lands in the WAL and reaches the database file only at a checkpoint.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from dagster import Field, StringSource
from dagster._core.events import ASSET_EVENTS, AssetCheckEvaluationPlanned
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.base import EventHandlerFn
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    AssetKeyTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._serdes import ConfigurableClassData, serialize_value
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from watchdog.events import FileSystemEvent
from watchdog.observers import Observer

OPEN_DATABASES = 16
"""Database files kept open per process (the index and the most recent runs); older ones close."""
BUSY_TIMEOUT_S = 30
"""How long a write waits for another process's write to the same file."""
EVENT_LOG_FOLDER = ("history", "runs")
"""Where Dagster's default SQLite event log lives under DAGSTER_HOME: existing history stays."""


def _set_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class OpenSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (one database per run plus an index) with each database's
    connection kept open and reused, for the most recent `OPEN_DATABASES` files."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        self._tables_seen: set[str] = set()
        self._asset_key_columns_seen: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {"dagster_home": Field(StringSource)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, str]
    ) -> OpenSqliteEventLogStorage:
        base_dir = os.path.join(config_value["dagster_home"], *EVENT_LOG_FOLDER)
        return cls(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        """The shard's open engine; a forked child drops its parent's (never shared across fork)."""
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                self._engines = OrderedDict()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is None:
                engine = sa.create_engine(
                    create_db_conn_string(self._base_dir, shard),
                    poolclass=StaticPool,
                    connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
                )
                sa.event.listen(engine, "connect", _set_pragmas)
                self._engines[shard] = engine
                while len(self._engines) > OPEN_DATABASES:
                    self._engines.popitem(last=False)[1].dispose()
            else:
                self._engines.move_to_end(shard)
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._transaction(shard) as conn:
            yield conn

    @contextmanager
    def _transaction(self, shard: str) -> Iterator[Connection]:
        """A transaction on the shard's open connection; the caller holds `_db_lock`."""
        engine = self._engine(shard)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        with engine.connect() as conn, conn.begin():
            yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A batch (with `DAGSTER_EVENT_BATCH_SIZE` set: a range run's planned events, a ranged
        step's materializations) in one transaction per database instead of two per event: the
        same rows and asset-key updates as `store_event`, in the same order. Consecutive asset
        events of one run go together; any other event is stored on its own, as before."""
        for (run_id, is_asset_event), group in itertools.groupby(
            events, key=lambda event: (event.run_id, event.dagster_event_type in ASSET_EVENTS)
        ):
            if is_asset_event:
                self._store_asset_events(run_id, list(group))
            else:
                for event in group:
                    self.store_event(event)

    def _store_asset_events(self, run_id: str, events: list[EventLogEntry]) -> None:
        """The run's rows and their mirror in the index, the index committed inside the run's
        transaction: if the index fails, neither is stored, and Dagster's fallback (storing the
        batch event by event) starts clean. The index is always locked last, so writers of
        other runs cannot deadlock on it."""
        rows = [self._event_to_row(event) for event in events]
        insert = SqlEventLogStorageTable.insert()
        with self._db_lock, self._transaction(run_id) as run_conn:
            run_conn.execute(insert, rows)
            with self._transaction(INDEX_SHARD_NAME) as index_conn:
                event_ids: list[int] = list(
                    index_conn.execute(
                        insert.returning(
                            SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                        ),
                        rows,
                    ).scalars()
                )
                self._store_asset_event_tags(index_conn, events, event_ids)
                for asset_key, values in self._asset_rows(index_conn, events, event_ids).items():
                    self._store_asset_row(index_conn, asset_key, values)

    def _asset_rows(
        self, conn: Connection, events: Sequence[EventLogEntry], event_ids: Sequence[int]
    ) -> dict[str, dict[str, Any]]:
        """Each asset's row in the index after the batch's events, one update per asset instead
        of one per event: a ranged step of 22 dbt assets over a year stores 8,052
        materializations, and each made Dagster serialize the event again for a row the next one
        overwrote. An event sets the columns of its kind (`_get_asset_entry_values`): read from
        the latest event back, an event whose kind a later event of its asset already set
        changes nothing, and a later value wins."""
        has_index_cols = self._has_asset_key_index_cols_on_connection(conn)
        rows: dict[str, dict[str, Any]] = {}
        kinds_seen: set[tuple[str, object]] = set()
        for event, event_id in zip(reversed(events), reversed(event_ids), strict=True):
            dagster_event = event.dagster_event
            if not (dagster_event and dagster_event.asset_key):
                continue
            asset_key = dagster_event.asset_key.to_string()
            if (asset_key, dagster_event.event_type) in kinds_seen:
                continue
            kinds_seen.add((asset_key, dagster_event.event_type))
            values = self._get_asset_entry_values(event, event_id, has_index_cols)
            if values:
                rows[asset_key] = {**values, **rows.get(asset_key, {})}
        return rows

    def has_table(self, table_name: str) -> bool:
        """Dagster asks for every materialization (its tags table), each time with a new engine:
        a table once there stays there (migrations add tables and columns, nothing drops
        them)."""
        if table_name not in self._tables_seen and super().has_table(table_name):
            self._tables_seen.add(table_name)
        return table_name in self._tables_seen

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        """Likewise for the asset keys table's columns, inspected for every asset event."""
        if column_name not in self._asset_key_columns_seen and (
            super()._has_asset_key_col_on_connection(conn, column_name)
        ):
            self._asset_key_columns_seen.add(column_name)
        return column_name in self._asset_key_columns_seen

    def _store_asset_event(self, conn: Connection, event: EventLogEntry, event_id: int) -> None:
        """The asset's row in the index after one event stored on its own."""
        dagster_event = event.dagster_event
        if not (dagster_event and dagster_event.asset_key):
            return
        values = self._get_asset_entry_values(
            event, event_id, self._has_asset_key_index_cols_on_connection(conn)
        )
        if values:
            self._store_asset_row(conn, dagster_event.asset_key.to_string(), values)

    def _store_asset_row(self, conn: Connection, asset_key: str, values: dict[str, Any]) -> None:
        """The asset's row in the index, updated first and inserted only when missing. Dagster
        inserts first and updates on the integrity error: every event of an asset but its first
        paid for a failed insert and its exception (about a fifth of an event's CPU)."""
        update = (
            AssetKeyTable.update().values(**values).where(AssetKeyTable.c.asset_key == asset_key)
        )
        if conn.execute(update).rowcount:
            return
        try:
            conn.execute(AssetKeyTable.insert().values(asset_key=asset_key, **values))
        except IntegrityError:  # another process inserted it since the update
            conn.execute(update)

    def _store_asset_check_evaluation_planned(
        self, event: EventLogEntry, event_id: int | None
    ) -> None:
        """One planned row per partition of the check's run, as Dagster stores them, with the
        event serialized once: Dagster serializes it again for every partition (a range run of
        a year: 366 serializations of the same event per check)."""
        planned = event.dagster_event.event_specific_data if event.dagster_event else None
        assert isinstance(planned, AssetCheckEvaluationPlanned)
        partitions: list[str | None] = (
            list(planned.partitions_subset.get_partition_keys())
            if planned.partitions_subset
            else [None]
        )
        common = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert(),
                [{**common, "partition": partition} for partition in partitions],
            )

    def watch(self, run_id: str, cursor: str | None, callback: EventHandlerFn) -> None:
        observer: Any = self._obs
        if observer is None:
            observer = self._obs = Observer()  # type: ignore[assignment]
            observer.start()
        watchdog = _RunWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (
            watchdog,
            observer.schedule(watchdog, self._base_dir, recursive=True),
        )

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


class _RunWatchdog(SqliteEventLogStorageWatchdog):
    """Reads a run's new events when its database file or its WAL file changes."""

    def __init__(
        self,
        storage: SqliteEventLogStorage,
        run_id: str,
        callback: EventHandlerFn,
        cursor: str | None,
    ):
        super().__init__(storage, run_id, callback, cursor)
        self._patterns = [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: FileSystemEvent) -> None:
        self._process_log()
