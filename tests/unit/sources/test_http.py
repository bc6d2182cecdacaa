from __future__ import annotations

import json
import socket
from datetime import date
from pathlib import Path

import pytest

from checks.contracts import BRONZE_QUARANTINE
from energy_assets.sources.http import FetchError, HttpClient, MalformedResponseError
from energy_assets.sources.network import Fetching
from energy_assets.storage.lake import Lake
from energy_assets.storage.quarantine import replace_quarantine
from tests.fixtures.recorded_api import Reply, fixture_text, paged, recorded_api

PAGE = fixture_text("eco2mix/regional_tr_11_2024-03-30.json")


def client(pauses: list[float], **options: float) -> HttpClient:
    settings = {"timeout_s": 2.0, "backoff_s": 0.5, "min_interval_s": 0.0, **options}
    return HttpClient("test", sleep=pauses.append, **settings)  # type: ignore[arg-type]


def test_a_429_is_retried_after_the_pause_its_retry_after_header_asks_for() -> None:
    pauses: list[float] = []
    script = [Reply(429, headers={"Retry-After": "7"}), Reply(body=PAGE)]
    with recorded_api({"/records": script}) as api:
        response = client(pauses).get(f"{api.base_url}/records", {"a": 1})

    assert (response.status, response.attempts) == (200, 2)
    assert pauses == [7.0]
    assert response.json()["total_count"] == 96


def test_a_500_is_retried_with_exponential_backoff_until_it_succeeds() -> None:
    pauses: list[float] = []
    script = [Reply(500), Reply(503), Reply(body=PAGE)]
    with recorded_api({"/records": script}) as api:
        response = client(pauses).get(f"{api.base_url}/records", {})

    assert response.attempts == 3
    assert pauses == [0.5, 1.0]


def test_a_timeout_is_retried_and_the_next_answer_is_kept() -> None:
    pauses: list[float] = []
    script = [Reply(body=PAGE, delay_s=1.0), Reply(body=PAGE)]
    with recorded_api({"/records": script}) as api:
        response = client(pauses, timeout_s=0.2).get(f"{api.base_url}/records", {})

    assert response.attempts == 2
    assert len(pauses) == 1


def test_a_request_failing_every_attempt_raises_naming_the_last_status() -> None:
    with (
        recorded_api({"/records": [Reply(502)]}) as api,
        pytest.raises(FetchError, match=r"failed after 3 attempts \(HTTP 502\)"),
    ):
        client([], max_attempts=3).get(f"{api.base_url}/records", {})


def test_a_client_error_is_not_retried() -> None:
    with recorded_api({"/records": [Reply(400, body='{"error_code": "ODSQLError"}')]}) as api:
        with pytest.raises(FetchError, match=r"HTTP 400: .*ODSQLError"):
            client([]).get(f"{api.base_url}/records", {})
        assert len(api.requests) == 1


def test_pages_follow_offsets_until_a_short_page() -> None:
    with recorded_api({"/records": [paged("eco2mix/regional_tr_11_2024-03-30.json")]}) as api:
        pages = list(
            client([]).pages(
                f"{api.base_url}/records",
                {"where": "x"},
                page_size=40,
                rows_in=lambda r: len(r.json()["results"]),
            )
        )

    assert [len(p.json()["results"]) for p in pages] == [40, 40, 16]
    assert [q["offset"] for _, q in api.requests] == ["0", "40", "80"]


def test_an_empty_page_ends_pagination() -> None:
    with recorded_api({"/records": [Reply(body=fixture_text("eco2mix/empty_page.json"))]}) as api:
        pages = list(
            client([]).pages(f"{api.base_url}/records", {}, page_size=100, rows_in=lambda r: 0)
        )

    assert len(pages) == 1


def test_a_truncated_body_is_kept_raw_and_its_parse_error_names_the_endpoint() -> None:
    with recorded_api({"/records": [Reply(body=PAGE[:500])]}) as api:
        response = client([]).get(f"{api.base_url}/records", {})

    assert response.body == PAGE[:500]
    with pytest.raises(MalformedResponseError, match="/records: body is not valid JSON"):
        response.json()


def test_requests_are_spaced_by_the_rate_limit() -> None:
    pauses: list[float] = []
    now = [100.0]
    polite = client(pauses, min_interval_s=1.0)
    polite.clock = lambda: now[0]
    with recorded_api({"/records": [Reply(body=json.dumps({"results": []}))]}) as api:
        polite.get(f"{api.base_url}/records", {})
        now[0] += 0.25
        polite.get(f"{api.base_url}/records", {})

    assert pauses == [0.75]


KEY = "k3y-0f-the-customer"


def test_a_4xx_echoing_the_request_never_carries_the_api_key() -> None:
    echo = Reply(401, body=f'{{"reason": "bad key", "url": "/v1/forecast?apikey={KEY}"}}')
    with recorded_api({"/v1/forecast": [echo]}) as api, pytest.raises(FetchError) as raised:
        client([]).get(f"{api.base_url}/v1/forecast", {"apikey": KEY, "latitude": 48.8})

    assert KEY not in str(raised.value)
    assert "HTTP 401" in str(raised.value)


def test_a_refused_connection_whose_url_carries_the_key_is_recorded_masked(
    tmp_path: Path,
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/forecast"
    window = Fetching()
    with window.attempt("forecast", "LOC-1", date(2024, 3, 4), url, {"apikey": KEY}):
        client([], max_attempts=1).get(url, {"apikey": KEY, "latitude": 48.8})

    store = Lake(str(tmp_path))
    replace_quarantine(store, window.failures, rejected_by="bronze:open_meteo", source="open_meteo")
    (row,) = store.read(BRONZE_QUARANTINE).to_pylist()
    assert "ConnectionError" in row["reason"]
    assert KEY not in row["reason"] and KEY not in row["record"]
