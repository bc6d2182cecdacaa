"""`make mlflow-ui` and `make serve-model` from a clean shell over the shared window's store."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Steps, clean_env, free_port, started

MODEL = "day_ahead_consumption"
TRAINED_WEEKS = ("2024-01-29", "2024-02-05", "2024-02-12")
"""The weeks of the shared window with at least 14 days of usable training rows before them."""

pytestmark = pytest.mark.e2e


def test_the_mlflow_ui_lists_the_training_runs_and_the_champion_alias(
    lake: Path, page: Page, steps: Steps, tmp_path: Path
) -> None:
    port = free_port()
    command = ["make", "mlflow-ui", f"MLFLOW_UI_PORT={port}"]
    with started(command, clean_env(lake), f"http://127.0.0.1:{port}/health", tmp_path / "ui.log"):
        with steps("experiment with its training runs"):
            page.goto(f"http://127.0.0.1:{port}/#/experiments")
            experiment = page.get_by_role("link", name=MODEL).first.get_attribute("href")
            page.goto(f"http://127.0.0.1:{port}/{experiment}/runs")
            for week in TRAINED_WEEKS:
                expect(page.get_by_text(f"train {week}").first).to_be_visible()
        with steps("registered model with the champion alias"):
            page.goto(f"http://127.0.0.1:{port}/#/models/{MODEL}")
            expect(page.get_by_text(f"Version {len(TRAINED_WEEKS)}").first).to_be_visible()
            expect(page.get_by_text("@ champion").first).to_be_visible()


def test_mlflow_models_serve_starts_its_scoring_server_from_a_clean_shell(
    lake: Path, tmp_path: Path
) -> None:
    port = free_port()
    command = ["make", "serve-model", f"SERVE_MODEL_PORT={port}"]
    url = f"http://127.0.0.1:{port}"
    with started(command, clean_env(lake), f"{url}/ping", tmp_path / "serve.log"):
        assert requests.get(f"{url}/ping", timeout=30).status_code == 200
