"""A backfill spread across workers, as a deployment beyond one machine runs it: the steps on
two Celery workers (Redis broker), the lake on an S3-compatible server, the Dagster instance on
PostgreSQL, every server on 127.0.0.1, started here and stopped after (`deploy/celery/`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob

from bench.lake_diff import compare_frames
from checks.contracts import ALL_TABLES, OPS_PIPELINE_EMISSIONS, SILVER_METER_READINGS
from energy_assets.cli import _runs_for, backfill, celery_workers_by_step
from energy_assets.defs.backfill_jobs import reconstructable_backfill_job
from energy_assets.settings import BackfillSettings, configured_lake
from energy_assets.storage.lake import Lake, days_in
from tests.integration.conftest import free_port, postgres_instance_yaml

pytestmark = pytest.mark.integration

START, END = date(2024, 3, 4), date(2024, 3, 17)
LAKE_LAYERS = "group:bronze or group:silver or group:gold"
WORKERS = ("worker1", "worker2")
ONE_DAY = timedelta(days=1)
WORKER = Path(__file__).resolve().parents[2] / "deploy" / "celery" / "worker"


def _started(
    command: list[str], log: Path, ready: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A server started with its output in `log`, once `log` holds `ready`; its exit fails the
    test with its log."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None:
            pytest.fail(f"{command[0]} exited {process.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def _stopped(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started here: SIGTERM (a Celery worker finishes its step), then SIGKILL."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """Debian's redis-server on a free loopback port, nothing persisted."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = _started(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        tmp_path / "redis.log",
        "Ready to accept connections",
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stopped(process)


def _celery_worker(name: str, broker: str, log: Path) -> subprocess.Popen[bytes]:
    """`deploy/celery/worker NAME`, with this environment and the project's tools on PATH."""
    env = os.environ | {
        "ENERGY_CELERY_BROKER_URL": broker,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return _started([str(WORKER), name], log, " ready.", env)


def _tables(lake: Lake) -> dict[str, pl.DataFrame]:
    frames = {}
    for table in ALL_TABLES:
        if lake.exists(table):
            frame = pl.from_arrow(lake.read(table))
            assert isinstance(frame, pl.DataFrame)
            frames[table.path] = frame
    return frames


def test_runs_of_a_few_days_go_by_layer_so_each_reads_every_day_of_its_parents(
    lake: Lake,
) -> None:
    whole, _ = _runs_for(dg.AssetSelection.from_string(LAKE_LAYERS))
    stages, by_layer = _runs_for(dg.AssetSelection.from_string(LAKE_LAYERS), by_layer=True)

    assert by_layer
    # silver's unit evidence reads the bronze days around its own; the features' lags the 7
    # silver days before theirs: each layer starts once every run of the one before has written.
    assert [[k.to_user_string() for k in keys] for _, keys in stages] == [
        ["bronze/meters", "silver/meters"],
        [
            "bronze/grid_carbon_intensity",
            "bronze/anomaly_labels",
            "bronze/meter_readings",
            "bronze/weather",
        ],
        ["silver/meter_readings", "silver/weather"],
        ["gold/carbon_emissions", "gold/consumption_features", "gold/quality_scorecard"],
    ]
    assert sorted(k for _, keys in stages for k in keys) == sorted(k for _, ks in whole for k in ks)
    assert len(whole) == 2


def test_a_worker_rebuilds_the_backfill_job_with_its_assets_and_the_celery_executor(
    lake: Lake,
) -> None:
    sent = reconstructable_backfill_job(["bronze/weather", "silver/weather"], "celery")
    job = ReconstructableJob.from_dict(sent.to_dict()).get_definition()

    assert job.executor_def.name == "celery"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "bronze/weather",
        "silver/weather",
    }


@pytest.mark.slow
def test_a_backfill_split_in_runs_on_two_celery_workers_equals_a_single_process_one(
    lake: Lake,
    s3_root: str,
    postgres_port: int,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert backfill(START, END, LAKE_LAYERS, BackfillSettings())
    single_process = _tables(lake)

    home = tmp_path / "pg_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(postgres_instance_yaml(postgres_port))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("ENERGY_LAKE_ROOT", s3_root)
    distributed = BackfillSettings(
        partitions_per_run=5,
        executor="celery",
        concurrent_runs=2,
        celery_broker_url=redis_url,
        celery_backend_url=redis_url,
    )
    with ExitStack() as workers:
        for name in WORKERS:
            worker = _celery_worker(name, redis_url, tmp_path / f"{name}.log")
            workers.callback(_stopped, worker)
        assert backfill(START, END, LAKE_LAYERS, distributed)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_run_records()
        workers_of_steps = [
            worker
            for record in runs
            for worker in celery_workers_by_step(instance, record.dagster_run.run_id).values()
        ]
    # The dimensions in one run, then three stages of the 14 days in runs of 5, 5 and 4, two at
    # a time, layer by layer (see the test above).
    assert len(runs) == 10 and all(r.dagster_run.is_success for r in runs)
    assert {worker.split("@")[0] for worker in workers_of_steps} == set(WORKERS)

    remote = configured_lake()
    assert not remote.is_local
    assert remote.partition_days(SILVER_METER_READINGS) == list(days_in(START, END + ONE_DAY))
    on_workers = _tables(remote)
    assert sorted(on_workers) == sorted(single_process)
    # Every table but the footprint of the runs, one row per run and asset: 7 runs are not 2.
    compared = sorted(set(single_process) - {OPS_PIPELINE_EMISSIONS.path})
    diffs = [compare_frames(p, single_process[p], on_workers[p]) for p in compared]
    assert [d for d in diffs if d.status != "equal"] == []
