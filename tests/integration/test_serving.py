"""`POST /forecast` answers what the forecast asset writes, from the lake and the registry."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import dagster as dg
import mlflow
import polars as pl
import pytest
import requests
import uvicorn

from checks.contracts import GOLD_FORECASTS, SILVER_METERS
from energy_assets.definitions import defs
from energy_assets.defs.forecasting.training import MODEL_KEY
from energy_assets.serving.app import create_app
from energy_assets.storage.lake import Lake
from tests.integration.pipeline import built_lake

FIRST, LAST = date(2024, 1, 1), date(2024, 1, 31)
WEEK = "2024-01-29"
TARGET = date(2024, 1, 30)
SMALL = {"train_days": 21, "holdout_days": 3, "num_boost_round": 40}
FORECASTS = [dg.AssetKey(["gold", "forecasts"]), dg.AssetKey(["gold", "region_forecasts"])]


class Client:
    """POSTs to the app served by uvicorn on a free port of 127.0.0.1."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, json: dict[str, object]) -> requests.Response:
        return requests.post(self.base + path, json=json, timeout=120)


@contextmanager
def serving(lake: Lake) -> Iterator[Client]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(lake), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield Client(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lake, Client]]:
    """January's lake, the week model of 2024-01-29 in the lake's own MLflow store, the forecasts
    of the target day written by the asset, and the app over that lake."""
    root = tmp_path_factory.mktemp("serving")
    with built_lake(root, FIRST, LAST, {"MLFLOW_DISABLE_TELEMETRY": "true"}) as instance:
        for selection, partition, config in (
            ([MODEL_KEY], WEEK, {"ops": {"ml__day_ahead_model": {"config": SMALL}}}),
            (FORECASTS, TARGET.isoformat(), None),
        ):
            assert dg.materialize(
                defs.assets,
                instance=instance,
                resources=defs.resources,
                selection=selection,
                partition_key=partition,
                run_config=config,
            ).success
        lake = Lake(str(root / "lake"))
        with serving(lake) as client:
            yield lake, client
    mlflow.set_tracking_uri(None)


def test_a_meter_forecast_is_the_row_set_the_forecast_asset_wrote(served) -> None:
    lake, client = served
    written = pl.from_arrow(lake.read(GOLD_FORECASTS, TARGET, TARGET + timedelta(days=1)))
    meter = written["meter_id"].sort()[0]
    rows = written.filter(pl.col("meter_id") == meter).sort("interval_start_utc")

    response = client.post("/forecast", json={"meter_id": meter, "day": TARGET.isoformat()})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == rows["model_version"][0] is not None
    assert body["model_used"] == sorted(rows["model_used"].unique())
    assert [i["p50_kwh"] for i in body["intervals"]] == pytest.approx(rows["forecast_kwh"])
    assert [i["p10_kwh"] for i in body["intervals"]] == pytest.approx(rows["p10_kwh"])
    assert [i["p90_kwh"] for i in body["intervals"]] == pytest.approx(rows["p90_kwh"])


def test_a_region_forecast_sums_its_meters_per_hour_and_a_colder_day_changes_it(served) -> None:
    lake, client = served
    region = lake.read(SILVER_METERS)["region"][0].as_py()
    asked = {"region": region, "day": TARGET.isoformat()}

    as_forecast = client.post("/forecast", json=asked).json()
    colder = client.post("/forecast", json={**asked, "mean_temperature_c": -15.0}).json()

    assert len(as_forecast["intervals"]) == 24
    assert all(i["p10_kwh"] <= i["p50_kwh"] <= i["p90_kwh"] for i in as_forecast["intervals"])
    assert colder["mean_temperature_c"] == -15.0
    assert [i["p50_kwh"] for i in colder["intervals"]] != [
        i["p50_kwh"] for i in as_forecast["intervals"]
    ]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"meter_id": "NO-SUCH-METER", "day": "2024-01-30"}, 404, "unknown meter"),
        ({"region": "nowhere", "day": "2024-01-30"}, 404, "unknown region"),
        ({"meter_id": "MTR-0001", "day": "2024-06-01"}, 422, "silver/weather of 2024-06-01"),
        ({"day": "2024-01-30"}, 422, "exactly one of meter_id or region"),
        ({"meter_id": "MTR-0001", "day": "30/01/2024"}, 422, "date"),
        ({"meter_id": "MTR-0001", "day": "2024-01-30", "temperature": 3}, 422, "extra"),
    ],
)
def test_bad_requests_get_a_4xx_that_says_why(served, body, status, says) -> None:
    _, client = served
    response = client.post("/forecast", json=body)
    assert response.status_code == status
    assert says in response.text
