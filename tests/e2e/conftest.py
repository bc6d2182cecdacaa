"""The README's commands as a person runs them: a shell with no virtual environment on PATH, a
temporary lake and Dagster instance, free ports on 127.0.0.1, and Debian's Chromium driven by
Playwright. Every step leaves a screenshot under the test's temporary folder; a failing step
prints its path.

One small simulated window is built once for the session with the real `energy-lake backfill`:
seven weeks of four meters, enough for a weekly model with its champion alias.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"
HOST_TRUST = ("SSL_CERT_FILE", "SSL_CERT_DIR")
"""The machine's certificate authorities, kept where set: `make` may sync from the registry."""
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MARIMO_SKIP_UPDATE_CHECK": "1",
}
FIRST_DAY, LAST_DAY = "2024-01-01", "2024-02-18"
"""Seven weeks: the week of 2024-02-12 trains on 2024-01-01..02-04 and holds out 02-05..02-11."""
METERS = "4"
STARTUP_SECONDS = 900
"""Generous: on a busy CI machine `make dev` imports the definitions and parses dbt first."""

WAIT_MS = 120_000
"""Generous waits for a page or an element (never a measure of speed)."""

pytestmark = pytest.mark.e2e
expect.set_options(timeout=WAIT_MS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(lake: Path, **extra: str) -> dict[str, str]:
    """A shell's environment with no virtual environment on PATH, pointed at `lake`."""
    return {
        "HOME": os.environ.get("HOME", str(lake.parent)),
        "PATH": CLEAN_PATH,
        **{name: os.environ[name] for name in HOST_TRUST if name in os.environ},
        "ENERGY_LAKE_ROOT": str(lake),
        "ENERGY_SIM_METERS": METERS,
        **TELEMETRY_OFF,
        **extra,
    }


@contextmanager
def started(argv: list[str], env: dict[str, str], url: str, log: Path) -> Iterator[str]:
    """Run a server command from the repository until the block ends; yield once `url` answers.
    The server's own output goes to `log`, shown if it exits early."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"{' '.join(argv)} exited with {process.returncode}:\n{tail(log)}")
            with suppress(requests.RequestException):
                if requests.get(url, timeout=10).status_code < 500:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer; {' '.join(argv)} said:\n{tail(log)}")
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared window, built by `energy-lake backfill` from a clean shell: lake layers and the
    weekly models (MLflow in the lake's own store)."""
    root = tmp_path_factory.mktemp("e2e")
    lake = root / "lake"
    log = root / "backfill.log"
    home = root / "cli_home"
    home.mkdir()
    env = clean_env(lake, DAGSTER_HOME=str(home))
    command = [
        str(VENV_BIN / "energy-lake"),
        "backfill",
        "--start",
        FIRST_DAY,
        "--end",
        LAST_DAY,
        "--select",
        "+key:ml/day_ahead_model",
    ]
    with log.open("wb") as out:
        done = subprocess.run(
            command, check=False, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    assert done.returncode == 0, tail(log)
    return lake


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the e2e tests, closed after the last of them: Playwright's sync API keeps
    an asyncio loop running in the main thread while it is open, and tests after this package
    (Dagster's automation evaluation) start loops of their own."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


class Steps:
    """Named steps of a test, each ending with a screenshot; a failing step prints its path."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name.replace(' ', '_')}.png"
        try:
            yield
        except BaseException:
            failed = path.with_name(path.stem + "-FAILED.png")
            self.page.screenshot(path=failed, full_page=True)
            print(f"step {name!r} failed; screenshot: {failed}")
            raise
        self.page.screenshot(path=path, full_page=True)


@pytest.fixture
def steps(page: Page, tmp_path: Path) -> Steps:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return Steps(page, folder)
