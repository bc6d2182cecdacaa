from __future__ import annotations

import json
from datetime import date

import pyarrow.compute as pc

from checks import api
from checks.contracts import BRONZE_WEATHER
from checks.schemas.validation import validate_table
from energy_assets.sources import network, open_meteo
from energy_assets.sources.http import HttpClient
from tests.fixtures.recorded_api import Reply, fixture_text, recorded_api

PARIS = open_meteo.Location("paris", 48.857, 2.352)
ARCHIVE = "open_meteo/archive_paris_2024-03-30.json"
FORECAST = "open_meteo/forecast_paris_2024-03-31.json"


def fetch(archive: list[Reply], forecast: list[Reply], key: str | None = None) -> tuple:
    with recorded_api({"/v1/archive": archive, "/v1/forecast": forecast}) as server:
        config = open_meteo.OpenMeteoConfig(
            archive_url=f"{server.base_url}/v1/archive",
            forecast_url=f"{server.base_url}/v1/forecast",
            api_key=key,
        )
        client = HttpClient("open_meteo", min_interval_s=0, backoff_s=0, max_attempts=2)
        fetching = network.fetch_open_meteo(
            client, [PARIS], date(2024, 3, 30), date(2024, 4, 1), config, today=date(2024, 3, 31)
        )
    window = network.open_meteo_weather(fetching.fetched)
    window.failures = fetching.failures
    return window, server.requests


def test_past_days_are_observations_and_today_on_is_the_forecast_as_issued() -> None:
    window, requests = fetch(
        [Reply(body=fixture_text(ARCHIVE))], [Reply(body=fixture_text(FORECAST))]
    )
    weather = window.table("weather")

    assert [path for path, _ in requests] == ["/v1/archive", "/v1/forecast"]
    assert requests[0][1]["wind_speed_unit"] == "ms" and requests[0][1]["timezone"] == "UTC"
    kinds = weather.group_by("kind").aggregate([("issued_at_utc", "count")]).to_pylist()
    assert sorted((k["kind"], k["issued_at_utc_count"]) for k in kinds) == [
        ("forecast", 24),
        ("observation", 0),
    ]
    assert validate_table(BRONZE_WEATHER, weather).passed
    recorded = json.loads(fixture_text(ARCHIVE))["hourly"]
    assert weather["wind_speed_ms"][:24].to_pylist() == recorded["wind_speed_10m"]
    assert pc.sum(pc.is_null(weather["temperature_c"])).as_py() == 1  # a null sent stays null


def test_a_renamed_hourly_field_rejects_the_response_naming_the_field() -> None:
    window, _ = fetch(
        [Reply(body=fixture_text("open_meteo/archive_renamed_field.json"))],
        [Reply(body=fixture_text(FORECAST))],
    )

    assert window.table("weather").num_rows == 24  # the forecast day still lands
    (rejection,) = window.rejections
    assert "field 'hourly.temperature_2m' missing" in rejection.reason
    assert rejection.location_id == "paris" and rejection.day == date(2024, 3, 30)
    outcome = api.schema_drift("open_meteo", len(window.fetched), window.rejections)
    assert not outcome.passed and "hourly.temperature_2m" in outcome.description


def test_an_api_key_is_sent_but_never_kept_with_the_raw_response() -> None:
    window, requests = fetch(
        [Reply(body=fixture_text(ARCHIVE))], [Reply(body=fixture_text(FORECAST))], key="secret"
    )

    assert requests[0][1]["apikey"] == "secret"
    kept = network.response_rows(window.fetched)
    assert "secret" not in " ".join(kept["params"].to_pylist())
    assert kept["subject"].to_pylist() == ["paris", "paris"]
