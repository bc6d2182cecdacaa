from __future__ import annotations

from pathlib import Path

from ml.tracking import artifacts_beside


def test_a_sqlite_store_keeps_its_artifacts_in_the_folder_beside_its_file(tmp_path: Path) -> None:
    store = tmp_path / "x" / "mlflow.db"
    assert artifacts_beside(f"sqlite:///{store}") == (tmp_path / "x" / "artifacts").as_uri()


def test_a_tracking_server_decides_where_its_artifacts_go() -> None:
    assert artifacts_beside("http://127.0.0.1:5000") is None
