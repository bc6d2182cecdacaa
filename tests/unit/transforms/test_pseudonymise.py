from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest

from energy_assets.settings import pseudonymisation
from energy_assets.transforms.pseudonymise import PREFIX, Pseudonymisation

KEY = b"k" * 32


def test_a_pseudonym_is_the_prefixed_truncated_hmac_of_the_id() -> None:
    expected = hmac.new(KEY, b"MTR-0001", hashlib.sha256).hexdigest()[:16]
    assert Pseudonymisation(KEY).pseudonym("MTR-0001") == PREFIX + expected


def test_the_same_id_gets_the_same_pseudonym_in_plain_and_encoded_columns() -> None:
    pseudo = Pseudonymisation(KEY)
    plain = pseudo.ids(pa.array(["a", "b", "a", None]))
    encoded = pseudo.ids(pa.array(["b", "a", "a"]).dictionary_encode())
    assert plain.to_pylist() == [
        pseudo.pseudonym("a"),
        pseudo.pseudonym("b"),
        plain[0].as_py(),
        None,
    ]
    assert encoded.type == pa.dictionary(pa.int32(), pa.string())
    assert encoded.to_pylist() == [
        pseudo.pseudonym("b"),
        pseudo.pseudonym("a"),
        pseudo.pseudonym("a"),
    ]


def test_another_key_gives_other_pseudonyms() -> None:
    assert Pseudonymisation(KEY).pseudonym("a") != Pseudonymisation(b"j" * 32).pseudonym("a")


def test_meters_get_pseudonyms_and_coarse_coordinates() -> None:
    meters = pa.table({"meter_id": ["MTR-0001"], "latitude": [48.856613], "longitude": [2.352222]})
    result = Pseudonymisation(KEY, coordinate_decimals=2).meters(meters)
    assert result.to_pylist() == [
        {
            "meter_id": Pseudonymisation(KEY).pseudonym("MTR-0001"),
            "latitude": 48.86,
            "longitude": 2.35,
        }
    ]
    assert result.schema == meters.schema


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Pseudonymisation(b"secret")


def test_the_key_never_shows_in_the_settings_repr() -> None:
    assert "k" * 8 not in repr(Pseudonymisation(KEY))


def test_pseudonymising_without_a_key_fails_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENERGY_PSEUDONYMISE", "1")
    monkeypatch.delenv("ENERGY_PSEUDONYMISE_KEY", raising=False)
    with pytest.raises(ValueError, match="ENERGY_PSEUDONYMISE_KEY is not set"):
        pseudonymisation()
    monkeypatch.setenv("ENERGY_PSEUDONYMISE_KEY", "x" * 40)
    monkeypatch.setenv("ENERGY_PSEUDONYMISE_COORDINATE_DECIMALS", "1")
    assert pseudonymisation() == Pseudonymisation(b"x" * 40, 1)
    monkeypatch.setenv("ENERGY_PSEUDONYMISE", "0")
    assert pseudonymisation() is None
