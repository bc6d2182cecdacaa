"""`marimo run notebooks/what_if.py` from a clean shell: the temperature slider moves the
forecast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import VENV_BIN, Steps, clean_env, free_port, started

pytestmark = pytest.mark.e2e


def test_moving_the_temperature_slider_changes_the_forecast_shown(
    lake: Path, page: Page, steps: Steps, tmp_path: Path
) -> None:
    port = free_port()
    command = [
        str(VENV_BIN / "marimo"),
        "run",
        "notebooks/what_if.py",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--headless",
    ]
    url = f"http://127.0.0.1:{port}"
    with started(command, clean_env(lake), url, tmp_path / "marimo.log"):
        total = page.get_by_text(re.compile(r"Day total .* kWh at")).first
        with steps("forecast under the day's own weather"):
            page.goto(url)
            expect(total).to_be_visible()
            before = total.inner_text()
        with steps("slider moved five degrees colder"):
            slider = page.get_by_role("slider").first
            slider.focus()
            for _ in range(10):
                slider.press("ArrowLeft")
            expect(total).not_to_have_text(before)
        assert "+0.0 kWh" not in total.inner_text()
