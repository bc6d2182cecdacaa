"""`make dev` from a clean shell: the Dagster UI, its catalog, and runs launched from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.e2e.conftest import REPO, Steps, clean_env, free_port, started

GROUPS = {
    "bronze": "bronze / meter_readings",
    "silver": "silver / meter_readings",
    "gold": "gold / consumption_features",
    "forecasting": "gold / forecasts",
    "anomalies": "gold / anomalies",
    "marts": "marts / anomaly_daily",
}
"""Each asset group of the catalog and one asset of it."""
RUN_SECONDS = 900
"""Generous waits for a run launched from the UI, on a busy machine."""
DAY = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
"""A day inside the UI's default partition window (the last 90 days)."""
BACKFILL_ID = re.compile(r"^[a-z]{8}$")
WITHOUT_AUTOMATION = "\nauto_materialize:\n  enabled: false\n  use_sensors: false\n"
"""The instance of these tests runs what the test launches, and not what automation conditions
would add on top (silver and gold following each bronze day), so every run waited on is known."""

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make dev` with a temporary instance and a lake of its own (the days it materializes
    would otherwise become the latest days the notebook tests open), on a free port."""
    root = tmp_path_factory.mktemp("dagster_ui")
    lake = root / "lake"
    lake.mkdir()
    home = root / "home"
    home.mkdir()
    settings = (REPO / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text(settings + WITHOUT_AUTOMATION)
    port = free_port()
    command = ["make", "dev", f"DAGSTER_HOME={home}", f"DAGSTER_PORT={port}"]
    url = f"http://127.0.0.1:{port}"
    with started(command, clean_env(lake), f"{url}/server_info", root / "dev.log"):
        yield url


def open_page(page: Page, url: str) -> None:
    """Open a page of the UI, past the community dialog shown on a first visit."""
    page.goto(url)
    skip = page.get_by_role("button", name="Skip")
    with suppress(PlaywrightError):  # the dialog was not shown
        skip.wait_for(timeout=5_000)
        skip.click()


def test_make_dev_serves_every_asset_group_and_no_code_location_error(
    dagster_ui: str, page: Page, steps: Steps
) -> None:
    with steps("code location loaded"):
        open_page(page, f"{dagster_ui}/locations")
        expect(page.get_by_text("energy_lakehouse").first).to_be_visible()
        expect(page.get_by_text("Loaded").first).to_be_visible()
        expect(page.get_by_text(re.compile("Failed|error", re.IGNORECASE))).to_have_count(0)
    with steps("catalog lists the assets"):
        open_page(page, f"{dagster_ui}/assets")
        expect(page.get_by_text("bronze / meter_readings").first).to_be_visible()
    for group, asset in GROUPS.items():
        with steps(f"asset group {group}"):
            open_page(page, f"{dagster_ui}/locations/energy_lakehouse/asset-groups/{group}/list")
            expect(page.get_by_text("Asset Group in").first).to_be_visible()
            expect(page.get_by_text(asset, exact=True).first).to_be_attached()


def launch_from_group(page: Page, ui: str, group: str, partitions: str) -> None:
    """The group's 'Materialize all', the partitions typed in the picker, launched."""
    open_page(page, f"{ui}/locations/energy_lakehouse/asset-groups/{group}")
    page.get_by_role("button", name="Materialize all").click()
    picker = page.get_by_role("dialog").locator("input:not([type=checkbox])").first
    picker.fill(partitions)
    picker.press("Enter")
    page.get_by_role("button", name=re.compile(r"^Launch (1 run|backfill)")).click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def wait_for_runs_to_succeed(page: Page, ui: str, runs: int) -> str:
    """The runs page, reloaded until none is queued or in progress and at least `runs` runs
    (those launched here; the automation may add its own) succeeded, none failed."""
    deadline = datetime.now(UTC) + timedelta(seconds=RUN_SECONDS)
    while True:
        open_page(page, f"{ui}/runs")
        expect(page.get_by_text(re.compile(r"^Queued \(\d+\)$"))).to_be_visible()
        page.wait_for_timeout(2_000)
        shown = page.locator("body").inner_text()
        assert "Failure" not in shown, shown
        idle = "Queued (0)" in shown and "In progress (0)" in shown
        if idle and shown.count("Success") >= runs:
            return shown
        assert datetime.now(UTC) < deadline, f"runs still going after {RUN_SECONDS} s:\n{shown}"
        page.wait_for_timeout(5_000)


def wait_for_backfill_to_succeed(page: Page, ui: str) -> None:
    """The backfills page, reloaded until the latest backfill succeeded."""
    deadline = datetime.now(UTC) + timedelta(seconds=RUN_SECONDS)
    while True:
        open_page(page, f"{ui}/runs?view=backfills")
        latest = page.get_by_text(BACKFILL_ID).first
        expect(latest).to_be_visible()
        page.wait_for_timeout(2_000)
        shown = page.locator("body").inner_text()
        assert "Failure" not in shown, shown
        if "Success" in shown:
            return
        assert datetime.now(UTC) < deadline, f"backfill still going after {RUN_SECONDS} s"
        page.wait_for_timeout(5_000)


def test_a_day_materialized_from_the_ui_then_a_three_day_backfill_in_one_run(
    dagster_ui: str, page: Page, steps: Steps
) -> None:
    runs = 0
    for group in ("bronze", "silver", "gold"):
        with steps(f"materialize {DAY} of {group}"):
            launch_from_group(page, dagster_ui, group, DAY)
            runs += 1
            wait_for_runs_to_succeed(page, dagster_ui, runs)
    with steps("asset checks shown on the asset page"):
        open_page(page, f"{dagster_ui}/assets/silver/meter_readings?view=checks")
        expect(page.get_by_text("alignment").first).to_be_visible()
        expect(page.get_by_text(re.compile("Passed|Succeeded")).first).to_be_visible()
    first = (datetime.fromisoformat(DAY) - timedelta(days=3)).date().isoformat()
    last = (datetime.fromisoformat(DAY) - timedelta(days=1)).date().isoformat()
    with steps("three-day backfill launched"):
        open_page(page, f"{dagster_ui}/assets/bronze/weather")
        page.get_by_role("button", name="Materialize").first.click()
        picker = page.get_by_role("dialog").locator("input:not([type=checkbox])").first
        picker.fill(f"[{first}...{last}]")
        picker.press("Enter")
        expect(page.get_by_role("dialog").get_by_text("3 partitions")).to_be_visible()
        page.get_by_role("button", name=re.compile(r"^Launch")).click()
    with steps("the backfill completed as a single run"):
        wait_for_backfill_to_succeed(page, dagster_ui)
        page.get_by_text(BACKFILL_ID).first.click()
        expect(page.get_by_text(f"{first}...{last}").first).to_be_visible()
        expect(page.get_by_text("Succeeded").first).to_be_visible()
        page.get_by_role("tab", name="Runs").click()
        expect(page.get_by_text(re.compile(r"^Success$"))).to_have_count(1)
