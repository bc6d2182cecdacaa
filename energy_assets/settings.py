"""Environment settings, read when a run starts (never at import time): the one reader of the
project's environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from energy_assets.storage.lake import Lake

if TYPE_CHECKING:
    from energy_assets.sources.eco2mix import Eco2mixConfig
    from energy_assets.sources.network import HttpConfig
    from energy_assets.sources.open_meteo import OpenMeteoConfig
    from energy_assets.transforms.pseudonymise import Pseudonymisation

DEFAULT_START_DATE = date(2024, 1, 1)
DEFAULT_LAKE_ROOT = Path(__file__).resolve().parents[1] / "lake"
"""The embedded lake: `lake/` in the repository, wherever a command is started from."""
DEFAULT_CHUNK_READINGS = 250_000
"""About 3 days of 1,000 meters (a week up to 500 half-hourly meters): the forecasts of a 7-day
chunk of 1,000 meters peaked at 2 GB, of a 3-day chunk at 1.5 GB."""


def lake_root() -> str:
    """Where the lake is: `ENERGY_LAKE_ROOT` (a folder or an object-store URI), else `lake/`."""
    return os.environ.get("ENERGY_LAKE_ROOT") or str(DEFAULT_LAKE_ROOT)


def lake_storage_options() -> dict[str, str]:
    """Object-store options beyond the AWS_* credentials: plain HTTP when `AWS_ALLOW_HTTP`."""
    return {"allow_http": "true"} if os.environ.get("AWS_ALLOW_HTTP") else {}


def configured_lake() -> Lake:
    """The lake the environment names (`ENERGY_LAKE_ROOT`), else the embedded `lake/`."""
    return Lake(root=lake_root(), storage_options=lake_storage_options())


def marts_lake_root() -> str:
    """The lake the dbt plugin reads: the one a Dagster run names (`ENERGY_MARTS_LAKE_ROOT`), else
    the project's lake."""
    return os.environ.get("ENERGY_MARTS_LAKE_ROOT") or lake_root()


def start_date() -> date:
    """First daily partition (`ENERGY_START_DATE`), so imported history of any age fits."""
    configured = os.environ.get("ENERGY_START_DATE")
    return date.fromisoformat(configured) if configured else DEFAULT_START_DATE


@dataclass(frozen=True)
class DefinitionSettings:
    """What Dagster fixes when the definitions are built: the first daily partition, the
    training cadence (the model's partitions) and the day-ahead issue hour (the forecasts'
    freshness policy). `build_defs` reads them once; a test passes its own."""

    start_date: date = DEFAULT_START_DATE
    training_cadence: str = "weekly"
    forecast_issue_hour_utc: int = 12

    def __post_init__(self) -> None:
        from ml.forecasting.periods import CADENCES

        if self.training_cadence not in CADENCES:
            raise ValueError(
                f"training cadence {self.training_cadence!r} (ENERGY_TRAINING_CADENCE): use one "
                f"of {', '.join(CADENCES)}"
            )

    @classmethod
    def from_env(cls) -> DefinitionSettings:
        """`ENERGY_START_DATE`, `ENERGY_TRAINING_CADENCE`, `ENERGY_FORECAST_ISSUE_HOUR_UTC`."""
        return cls(
            start_date=start_date(),
            training_cadence=os.environ.get("ENERGY_TRAINING_CADENCE", "weekly"),
            forecast_issue_hour_utc=Settings.from_env().forecast_issue_hour_utc,
        )


@dataclass(frozen=True)
class Settings:
    """What an environment uses: its sources, the simulator's size, the day-ahead issue hour and
    the meter readings a chunk of the day-by-day steps holds (`transforms.layers.chunk_days`)."""

    sources: tuple[str, ...]
    simulator_seed: int
    simulator_meters: int
    forecast_issue_hour_utc: int
    chunk_readings: int = DEFAULT_CHUNK_READINGS

    @classmethod
    def from_env(cls) -> Settings:
        sources = tuple(
            s.strip() for s in os.environ.get("ENERGY_SOURCES", "simulator").split(",") if s.strip()
        )
        return cls(
            sources=sources,
            simulator_seed=int(os.environ.get("ENERGY_SIM_SEED", "42")),
            simulator_meters=int(os.environ.get("ENERGY_SIM_METERS", "50")),
            forecast_issue_hour_utc=int(os.environ.get("ENERGY_FORECAST_ISSUE_HOUR_UTC", "12")),
            chunk_readings=int(
                os.environ.get("ENERGY_CHUNK_READINGS", str(DEFAULT_CHUNK_READINGS))
            ),
        )


class _Layered:
    """A setting from `ENERGY_<SECTION>_<KEY>`, else from the YAML file named by
    `ENERGY_SOURCES_CONFIG` (`<section>: {<key>: value}`), else the default."""

    def __init__(self) -> None:
        path = os.environ.get("ENERGY_SOURCES_CONFIG")
        loaded = yaml.safe_load(Path(path).read_text()) if path else None
        self.file: dict[str, Any] = loaded or {}

    def get(self, section: str, key: str) -> Any:
        env = os.environ.get(f"ENERGY_{section.upper()}_{key.upper()}")
        if env is not None:
            return [v.strip() for v in env.split(",") if v.strip()] if key in _LISTS else env
        value = (self.file.get(section) or {}).get(key)
        return [str(v) for v in value] if key in _LISTS and value is not None else value


_LISTS = frozenset({"locations", "regions"})


@dataclass(frozen=True)
class SourceSettings:
    """How the network sources are reached: endpoints, keys, what to fetch, how politely, and
    whether to replay the raw responses kept in bronze instead of fetching (`ENERGY_API_REPLAY`)."""

    http: HttpConfig
    open_meteo: OpenMeteoConfig
    eco2mix: Eco2mixConfig
    is_replay: bool

    @classmethod
    def from_env(cls) -> SourceSettings:
        # The clients import `requests`: loaded when a run asks, not when definitions load.
        from energy_assets.sources.eco2mix import Eco2mixConfig
        from energy_assets.sources.network import HttpConfig
        from energy_assets.sources.open_meteo import OpenMeteoConfig

        layered = _Layered()

        def value(section: str, key: str, default: Any, kind: type = str) -> Any:
            found = layered.get(section, key)
            return default if found is None else kind(found)

        http = HttpConfig(
            timeout_s=value("http", "timeout_s", HttpConfig.timeout_s, float),
            max_attempts=value("http", "max_attempts", HttpConfig.max_attempts, int),
            backoff_s=value("http", "backoff_s", HttpConfig.backoff_s, float),
            min_interval_s=value("http", "min_interval_s", HttpConfig.min_interval_s, float),
        )
        weather = OpenMeteoConfig(
            archive_url=value("open_meteo", "archive_url", OpenMeteoConfig.archive_url),
            forecast_url=value("open_meteo", "forecast_url", OpenMeteoConfig.forecast_url),
            api_key=value("open_meteo", "api_key", None),
            location_ids=tuple(value("open_meteo", "locations", (), tuple)),
        )
        grid = Eco2mixConfig(
            base_url=value("eco2mix", "base_url", Eco2mixConfig.base_url),
            api_key=value("eco2mix", "api_key", None),
            region_codes=tuple(value("eco2mix", "regions", Eco2mixConfig.region_codes, tuple)),
        )
        grid.regions()  # an unknown region code fails the run at once, naming it
        replay = os.environ.get("ENERGY_API_REPLAY", "0").lower() in ("1", "true", "yes")
        return cls(http=http, open_meteo=weather, eco2mix=grid, is_replay=replay)


ALERT_WEBHOOK_ENV = "ENERGY_ALERT_WEBHOOK"


def alert_webhook_url() -> str | None:
    """Where alerts are posted as JSON (`ENERGY_ALERT_WEBHOOK`); None: in the lake only."""
    return os.environ.get(ALERT_WEBHOOK_ENV) or None


def mlflow_tracking_uri() -> str | None:
    """`MLFLOW_TRACKING_URI`, when set; else the lake's own store is used."""
    return os.environ.get("MLFLOW_TRACKING_URI") or None


def marts_dir_override() -> Path | None:
    """`ENERGY_MARTS_DIR`: a local folder for dbt's DuckDB file and the marts' exports."""
    configured = os.environ.get("ENERGY_MARTS_DIR")
    return Path(configured).resolve() if configured else None


DEFAULT_MARTS_LOOKBACK_DAYS = 1


def marts_lookback_days() -> int:
    """Days before a run's window that the marts rebuild too, for late data
    (`ENERGY_MARTS_LOOKBACK_DAYS`, default 1)."""
    days = int(os.environ.get("ENERGY_MARTS_LOOKBACK_DAYS", str(DEFAULT_MARTS_LOOKBACK_DAYS)))
    if days < 0:
        raise ValueError(f"ENERGY_MARTS_LOOKBACK_DAYS must be 0 or more, not {days}")
    return days


def emissions_country() -> str:
    """ISO 3166-1 alpha-3 country whose grid powers the pipeline (`ENERGY_EMISSIONS_COUNTRY`)."""
    return os.environ.get("ENERGY_EMISSIONS_COUNTRY", "FRA").upper()


def is_tracking_emissions() -> bool:
    """Whether asset materializations measure their footprint (`ENERGY_TRACK_EMISSIONS`, on)."""
    return os.environ.get("ENERGY_TRACK_EMISSIONS", "1").lower() not in ("0", "false", "no")


def pseudonymisation() -> Pseudonymisation | None:
    """With `ENERGY_PSEUDONYMISE=1`, how meter ids are pseudonymised as they enter silver: the
    secret `ENERGY_PSEUDONYMISE_KEY` and `ENERGY_PSEUDONYMISE_COORDINATE_DECIMALS` (2). Switched
    on without a key, the run fails rather than write raw ids."""
    from energy_assets.transforms.pseudonymise import DEFAULT_COORDINATE_DECIMALS, Pseudonymisation

    if os.environ.get("ENERGY_PSEUDONYMISE", "0").lower() not in ("1", "true", "yes"):
        return None
    key = os.environ.get("ENERGY_PSEUDONYMISE_KEY", "")
    if not key:
        raise ValueError(
            "ENERGY_PSEUDONYMISE=1 but ENERGY_PSEUDONYMISE_KEY is not set: refusing to write raw "
            "meter ids to silver. Set it to a secret of at least 32 bytes (e.g. `openssl rand "
            "-hex 32`), the same for every run, or set ENERGY_PSEUDONYMISE=0."
        )
    decimals = os.environ.get("ENERGY_PSEUDONYMISE_COORDINATE_DECIMALS")
    return Pseudonymisation(
        key.encode(), int(decimals) if decimals else DEFAULT_COORDINATE_DECIMALS
    )


def bronze_retention_days() -> int | None:
    """Days of raw bronze readings kept once silver holds them (`ENERGY_BRONZE_RETENTION_DAYS`);
    unset keeps bronze forever."""
    value = os.environ.get("ENERGY_BRONZE_RETENTION_DAYS")
    return int(value) if value else None


@dataclass(frozen=True)
class MqttSettings:
    """How the MQTT consumer reaches its broker (`ENERGY_MQTT_*`) and how big its micro-batches
    are. The session is persistent (`client_id`, clean session off) and QoS 1, so a message the
    broker accepted waits for the consumer across a consumer or broker restart."""

    host: str
    port: int
    is_tls: bool
    topics: tuple[str, ...]
    client_id: str
    username: str | None
    password: str | None
    batch_messages: int
    batch_seconds: float
    max_backoff_seconds: float
    qos: int = 1

    @classmethod
    def from_env(cls) -> MqttSettings:
        url = urlsplit(os.environ.get("ENERGY_MQTT_URL", "mqtt://127.0.0.1:1883"))
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise ValueError(
                f"ENERGY_MQTT_URL must look like mqtt://host:port or mqtts://host:port, "
                f"not {url.geturl()!r}"
            )
        is_tls = url.scheme == "mqtts"
        topics = os.environ.get("ENERGY_MQTT_TOPICS", "meters/+/readings")
        return cls(
            host=url.hostname,
            port=url.port or (8883 if is_tls else 1883),
            is_tls=is_tls,
            topics=tuple(t.strip() for t in topics.split(",") if t.strip()),
            client_id=os.environ.get("ENERGY_MQTT_CLIENT_ID", "energy-lake-consumer"),
            username=os.environ.get("ENERGY_MQTT_USERNAME") or None,
            password=os.environ.get("ENERGY_MQTT_PASSWORD") or None,
            batch_messages=int(os.environ.get("ENERGY_MQTT_BATCH_MESSAGES", "500")),
            batch_seconds=float(os.environ.get("ENERGY_MQTT_BATCH_SECONDS", "1.0")),
            max_backoff_seconds=float(os.environ.get("ENERGY_MQTT_MAX_BACKOFF_SECONDS", "30")),
        )


BACKFILL_EXECUTORS = ("in_process", "celery")


@dataclass(frozen=True)
class BackfillSettings:
    """How `energy-lake backfill` splits and runs a range (`ENERGY_BACKFILL_*`): runs of at most
    `partitions_per_run` partitions (None: the whole range in one run, as on a laptop), on the
    in-process executor or Dagster's Celery executor (`ENERGY_CELERY_BROKER_URL`, a Redis URL;
    the results backend defaults to the broker), up to `concurrent_runs` runs of a stage at once
    on Celery."""

    partitions_per_run: int | None = None
    executor: str = "in_process"
    concurrent_runs: int = 1
    celery_broker_url: str | None = None
    celery_backend_url: str | None = None

    def __post_init__(self) -> None:
        if self.partitions_per_run is not None and self.partitions_per_run < 1:
            raise ValueError(f"partitions per run must be 1 or more, not {self.partitions_per_run}")
        if self.executor not in BACKFILL_EXECUTORS:
            raise ValueError(
                f"ENERGY_BACKFILL_EXECUTOR must be one of {', '.join(BACKFILL_EXECUTORS)}, "
                f"not {self.executor!r}"
            )
        if self.executor == "celery" and not self.celery_broker_url:
            raise ValueError("ENERGY_BACKFILL_EXECUTOR=celery needs ENERGY_CELERY_BROKER_URL")
        if self.concurrent_runs < 1:
            raise ValueError(f"concurrent runs must be 1 or more, not {self.concurrent_runs}")

    @classmethod
    def from_env(cls) -> BackfillSettings:
        per_run = os.environ.get("ENERGY_BACKFILL_PARTITIONS_PER_RUN")
        broker = os.environ.get("ENERGY_CELERY_BROKER_URL") or None
        return cls(
            partitions_per_run=int(per_run) if per_run else None,
            executor=os.environ.get("ENERGY_BACKFILL_EXECUTOR", "in_process"),
            concurrent_runs=int(os.environ.get("ENERGY_BACKFILL_CONCURRENT_RUNS", "1")),
            celery_broker_url=broker,
            celery_backend_url=os.environ.get("ENERGY_CELERY_BACKEND_URL") or broker,
        )
