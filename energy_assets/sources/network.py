"""The network sources over a window of days: fetch (or replay the raw responses kept in bronze),
parse, and return bronze rows, raw response rows and rejections. Plain functions, no Dagster."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from checks.api import FETCH_FAILED
from checks.contracts import (
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_METER_READINGS,
    BRONZE_WEATHER,
)
from checks.quarantine import Rejection
from energy_assets.masking import mask_secrets
from energy_assets.sources import eco2mix, open_meteo
from energy_assets.sources.http import ApiResponse, FetchError, HttpClient
from energy_assets.storage.lake import Lake, days_in
from energy_assets.storage.quarantine import replace_quarantine

SECRET_PARAMS = frozenset({"apikey", "api_key"})


@dataclass(frozen=True)
class HttpConfig:
    """How politely every network source is asked (`ENERGY_HTTP_*`)."""

    timeout_s: float = 30.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    min_interval_s: float = 0.2

    def client(self, source: str, headers: dict[str, str] | None = None) -> HttpClient:
        return HttpClient(
            source=source,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
            min_interval_s=self.min_interval_s,
            headers=headers or {},
        )


@dataclass(frozen=True)
class Fetched:
    """One raw response and what it was about."""

    dataset: str
    subject: str
    day: date
    response: ApiResponse


def response_rows(fetched: Sequence[Fetched]) -> pa.Table:
    """Rows of `bronze/api_responses` (API keys never stored)."""
    return pa.Table.from_pylist(
        [
            {
                "source": f.response.source,
                "dataset": f.dataset,
                "subject": f.subject,
                "endpoint": f.response.endpoint,
                "params": json.dumps(
                    {k: v for k, v in f.response.params.items() if k not in SECRET_PARAMS},
                    sort_keys=True,
                ),
                "fetched_at_utc": f.response.fetched_at_utc,
                "status": f.response.status,
                "attempts": f.response.attempts,
                "body": f.response.body,
                "day": f.day,
            }
            for f in fetched
        ],
        schema=BRONZE_API_RESPONSES.schema,
    )


def replayed(rows: pa.Table) -> list[Fetched]:
    """The responses kept in bronze, in the order they were fetched, ready to be parsed again."""
    ordered = rows.sort_by([("fetched_at_utc", "ascending")]).to_pylist()
    return [
        Fetched(
            r["dataset"],
            r["subject"],
            r["day"],
            ApiResponse(
                source=r["source"],
                endpoint=r["endpoint"],
                params=json.loads(r["params"]),
                fetched_at_utc=r["fetched_at_utc"],
                status=r["status"],
                body=r["body"],
                attempts=r["attempts"],
            ),
        )
        for r in ordered
    ]


@dataclass
class Fetching:
    """The responses of a window's requests, and the requests that failed after their retries."""

    fetched: list[Fetched] = field(default_factory=list)
    failures: list[Rejection] = field(default_factory=list)

    @contextmanager
    def attempt(
        self, dataset: str, subject: str, day: date, url: str, params: dict[str, Any]
    ) -> Iterator[None]:
        """Run one request; a `FetchError` becomes a rejection of that request alone."""
        try:
            yield
        except FetchError as error:
            shown = {k: v for k, v in params.items() if k not in SECRET_PARAMS}
            secrets = [str(v) for k, v in params.items() if k in SECRET_PARAMS]
            endpoint = mask_secrets(url, secrets)
            record = {"dataset": dataset, "subject": subject, "endpoint": endpoint, "params": shown}
            reason = mask_secrets(f"{FETCH_FAILED}: {error}", secrets)
            self.failures.append(Rejection(record, reason, day))

    @property
    def requests(self) -> int:
        return len(self.fetched) + len(self.failures)


@dataclass
class SourceWindow:
    """What a network source gave for a window: bronze rows, raw responses, rejections."""

    weather: list[pa.Table] = field(default_factory=list)
    readings: list[pa.Table] = field(default_factory=list)
    intensity: list[pa.Table] = field(default_factory=list)
    fetched: list[Fetched] = field(default_factory=list)
    parse_rejections: list[Rejection] = field(default_factory=list)
    failures: list[Rejection] = field(default_factory=list)

    @property
    def rejections(self) -> list[Rejection]:
        """Every rejection: failed requests, then records or bodies the parser refused."""
        return [*self.failures, *self.parse_rejections]

    @property
    def requests(self) -> int:
        return len(self.fetched) + len(self.failures)

    def table(self, name: str) -> pa.Table:
        schema = {
            "weather": BRONZE_WEATHER.schema,
            "readings": BRONZE_METER_READINGS.schema,
            "intensity": BRONZE_GRID_CARBON_INTENSITY.schema,
        }[name]
        parts: list[pa.Table] = getattr(self, name)
        return pa.concat_tables(parts) if parts else schema.empty_table()


def _batch_id(source: str, at: datetime) -> str:
    return f"{source}-{at.strftime('%Y%m%dT%H%M%S')}"


def open_meteo_weather(fetched: Iterable[Fetched]) -> SourceWindow:
    """Parse Open-Meteo responses (fresh or replayed) into bronze weather."""
    out = SourceWindow()
    for f in fetched:
        out.fetched.append(f)
        parsed = open_meteo.parse(
            f.response,
            f.subject,
            f.dataset,
            _batch_id(open_meteo.SOURCE, f.response.fetched_at_utc),
            f.day,
        )
        out.weather.append(parsed.rows)
        out.parse_rejections.extend(parsed.rejections)
    return out


def fetch_open_meteo(
    client: HttpClient,
    locations: Sequence[open_meteo.Location],
    start: date,
    end: date,
    config: open_meteo.OpenMeteoConfig,
    today: date,
) -> Fetching:
    """One response per location and day of [start, end)."""
    out = Fetching()
    for day in days_in(start, end):
        kind, url = open_meteo.endpoint(day, today, config)
        for location in locations:
            params = open_meteo.request_params(location, day, config)
            with out.attempt(kind, location.location_id, day, url, params):
                out.fetched.append(
                    Fetched(kind, location.location_id, day, client.get(url, params))
                )
    return out


def eco2mix_consumption(fetched: Iterable[Fetched]) -> SourceWindow:
    """Parse éCO2mix pages (fresh or replayed) into bronze readings and carbon intensity."""
    out = SourceWindow()
    for f in fetched:
        out.fetched.append(f)
        parsed = eco2mix.parse(
            f.response, f.dataset, f.day, _batch_id(f.dataset, f.response.fetched_at_utc)
        )
        out.readings.append(parsed.readings)
        out.intensity.append(parsed.intensity)
        out.parse_rejections.extend(parsed.rejections)
    return out


def fetch_eco2mix(
    client: HttpClient, config: eco2mix.Eco2mixConfig, start: date, end: date
) -> Fetching:
    """Every page for each dataset (real time first, so consolidated values are received last),
    region and day of [start, end)."""
    out = Fetching()
    for dataset in eco2mix.DATASETS:
        url = eco2mix.records_url(config, dataset)
        for region in config.regions():
            for day in days_in(start, end):
                params = eco2mix.request_params(region, day)
                with out.attempt(dataset, region.region, day, url, params):
                    for page in client.pages(
                        url, params, page_size=eco2mix.PAGE_SIZE, rows_in=eco2mix.page_rows
                    ):
                        out.fetched.append(Fetched(dataset, region.region, day, page))
    return out


def network_window(
    store: Lake,
    is_replay: bool,
    source: str,
    start: date,
    end: date,
    fetch: Callable[[], Fetching],
    parse: Callable[[list[Fetched]], SourceWindow],
) -> SourceWindow:
    """A network source's rows for [start, end): fetched now, with the raw responses kept in
    bronze, or parsed again from the responses kept there (`ENERGY_API_REPLAY`); every rejection
    (failed request, drift, malformed body) goes to quarantine."""
    if is_replay:
        kept = store.read(
            BRONZE_API_RESPONSES, start, end, filter_expression=ds.field("source") == source
        )
        window = parse(replayed(kept))
    else:
        fetching = fetch()
        window = parse(fetching.fetched)
        window.failures = fetching.failures
        store.replace_window(
            BRONZE_API_RESPONSES,
            response_rows(fetching.fetched),
            start,
            end,
            f"source = '{source}'",
        )
    replace_quarantine(
        store, window.rejections, rejected_by=f"bronze:{source}", source=source, window=(start, end)
    )
    return window
