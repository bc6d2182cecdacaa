"""`make serve` from a clean shell: the forecast endpoint answers over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import clean_env, free_port, started

DAY = "2024-02-13"
"""Issued on 2024-02-12, by the model of the week of 2024-02-12."""

pytestmark = pytest.mark.e2e


def test_the_forecast_endpoint_answers_a_meter_day_over_http(lake: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = ["make", "serve", f"SERVE_PORT={port}"]
    with started(command, clean_env(lake), f"{url}/docs", tmp_path / "serve.log"):
        answer = requests.post(
            f"{url}/forecast", json={"meter_id": "MTR-0001", "day": DAY}, timeout=300
        )
        unknown = requests.post(
            f"{url}/forecast", json={"meter_id": "MTR-0404", "day": DAY}, timeout=300
        )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] is not None
    assert body["intervals"] and all(
        i["p10_kwh"] <= i["p50_kwh"] <= i["p90_kwh"] for i in body["intervals"]
    )
    assert unknown.status_code == 404
