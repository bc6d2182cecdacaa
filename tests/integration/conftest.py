from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.request import Request, urlopen

import boto3
import dagster as dg
import pytest
from moto.server import ThreadedMotoServer

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


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3-compatible server (moto) on loopback with a bucket `lake`, and the AWS_* variables
    pointing at it; the lake root to use. moto honours `If-None-Match: *`, which deltalake uses to
    commit a table version only if no other writer took it, so concurrent commits are safe here
    as on S3 itself (no `AWS_S3_ALLOW_UNSAFE_RENAME`)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="lake")
    try:
        yield "s3://lake/energy"
    finally:
        # The servers of one process share moto's state: empty it for the next test.
        urlopen(Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        server.stop()


def _postgres_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError("PostgreSQL server not installed: apt-get install postgresql")
    return versions[-1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_port() -> Iterator[int]:
    """Debian's PostgreSQL in a temporary cluster on 127.0.0.1 with a database `dagster` (user
    `dagster`, trust authentication), stopped after the module. PostgreSQL refuses to run as root,
    so under root the cluster belongs to the `postgres` system user."""
    binaries = _postgres_bin()
    cluster = Path(tempfile.mkdtemp(prefix="energy-pg-"))
    if os.geteuid() == 0:
        shutil.chown(cluster, user="postgres")
    data, port = cluster / "data", free_port()
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


def postgres_instance_yaml(port: int) -> str:
    """A `dagster.yaml` keeping every Dagster storage in the `dagster` database on `port`."""
    return (
        "telemetry:\n  enabled: false\n"
        "storage:\n  postgres:\n    postgres_url: "
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, on which Dagster's NOTIFY fails.
        f"postgresql+psycopg2://dagster@127.0.0.1:{port}/dagster\n"
    )
