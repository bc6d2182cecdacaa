"""The Dagster instance on a real PostgreSQL server (as a multi-user deployment runs it).

The server is Debian's PostgreSQL, started by the test in a temporary cluster on 127.0.0.1 and
stopped afterwards. PostgreSQL refuses to run as root, so under root the cluster belongs to the
`postgres` system user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from checks.contracts import SILVER_METER_READINGS
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import materialize_days, materialize_dimensions

pytestmark = pytest.mark.integration

DAY = date(2024, 3, 4)


def _postgres_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError("PostgreSQL server not installed: apt-get install postgresql")
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_port() -> Iterator[int]:
    binaries = _postgres_bin()
    cluster = Path(tempfile.mkdtemp(prefix="energy-pg-"))
    if os.geteuid() == 0:
        shutil.chown(cluster, user="postgres")
    data, port = cluster / "data", _free_port()
    subprocess.run(
        _as_server_user(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "dagster",
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {cluster}"
    subprocess.run(
        _as_server_user(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(cluster / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                str(binaries / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "dagster",
                "dagster",
            ],
            check=True,
            capture_output=True,
        )
        yield port
    finally:
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(cluster, ignore_errors=True)


@pytest.fixture
def postgres_instance(
    lake: Lake, postgres_port: int, tmp_path: Path
) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "pg_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "storage:\n  postgres:\n    postgres_url: "
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, on which Dagster's NOTIFY fails.
        f"postgresql+psycopg2://dagster@127.0.0.1:{postgres_port}/dagster\n"
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_runs_and_materializations_are_recorded_in_postgres(
    lake: Lake, postgres_instance: dg.DagsterInstance
) -> None:
    assert type(postgres_instance.run_storage).__name__ == "PostgresRunStorage"
    materialize_dimensions(postgres_instance)
    result = materialize_days(postgres_instance, DAY, DAY)
    assert result.success
    assert lake.partition_days(SILVER_METER_READINGS) == [DAY]
    silver = dg.AssetKey(["silver", "meter_readings"])
    event = postgres_instance.get_latest_materialization_event(silver)
    assert event is not None
    assert event.asset_materialization is not None
    assert event.asset_materialization.partition == DAY.isoformat()
    statuses = postgres_instance.get_status_by_partition(
        silver, [DAY.isoformat()], dg.DailyPartitionsDefinition(start_date="2024-01-01")
    )
    assert statuses == {DAY.isoformat(): dg.AssetPartitionStatus.MATERIALIZED}
    records = postgres_instance.get_run_records()
    assert len(records) == 2
    assert all(record.dagster_run.is_success for record in records)
