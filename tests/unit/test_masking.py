"""No secret survives `mask_secrets`: known values, secret query parameters, URL passwords."""

from __future__ import annotations

from energy_assets.masking import mask_secrets

KEY = "s3cr3t-Key/42"


def test_a_known_secret_is_masked_as_sent_and_url_encoded() -> None:
    text = f"HTTP 401: invalid key {KEY} in /v1/forecast?apikey=s3cr3t-Key%2F42&x=1"
    masked = mask_secrets(text, [KEY, None])
    assert "s3cr3t" not in masked
    assert masked == "HTTP 401: invalid key *** in /v1/forecast?apikey=***&x=1"


def test_a_connection_error_echoing_the_url_has_its_key_parameter_masked() -> None:
    error = (
        "ConnectionError: HTTPSConnectionPool(host='api.open-meteo.com', port=443): Max retries "
        "exceeded with url: /v1/forecast?latitude=48.85&APIKEY=abcdef123&hourly=temperature_2m "
        "(Caused by NewConnectionError(...))"
    )
    masked = mask_secrets(error)
    assert "abcdef123" not in masked
    assert "latitude=48.85&APIKEY=***&hourly=temperature_2m" in masked


def test_a_url_password_is_masked_and_the_user_kept() -> None:
    masked = mask_secrets("URLError: <urlopen error https://ops:hunter22@alerts.example/hook>")
    assert masked == "URLError: <urlopen error https://ops:***@alerts.example/hook>"


def test_ordinary_text_is_unchanged() -> None:
    text = "silver/meter_readings: 3 of 96 rows break the contract (monkey=1)"
    assert mask_secrets(text, ["ab"]) == text
