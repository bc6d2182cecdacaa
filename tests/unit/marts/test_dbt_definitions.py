"""Definitions the dbt project copies from Python (`dbt/dbt_project.yml` vars, the value lists of
its tests) equal their Python constants, so the marts and the Python tables cannot drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.contracts.vocabularies import (
    ANOMALY_SEVERITIES,
    ANOMALY_TYPES,
    CLUSTER_STATUSES,
    FEEDBACK_VERDICTS,
    INTENSITY_SOURCES,
    SCORECARD_STATUSES,
)
from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting.evaluation import MAPE_FLOOR_KWH

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"

PYTHON_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "status": SCORECARD_STATUSES,
    "anomaly_type": ANOMALY_TYPES,
    "severity": ANOMALY_SEVERITIES,
    "feedback_verdict": FEEDBACK_VERDICTS,
    "intensity_source": INTENSITY_SOURCES,
}
"""Columns whose values Python writes to the lake, with the list Python checks them against."""
TABLE_VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "meter_clusters": {"status": CLUSTER_STATUSES},
    "meter_segments": {"status": CLUSTER_STATUSES},
}
"""Where a table's column shares a name with another vocabulary's (`status`), its own list."""
DBT_VOCABULARIES = {"season", "summed_by"}
"""Columns whose values the marts make themselves (macros/calendar.sql, pipeline_emissions_summary):
dbt holds their only list."""


def dbt_vars() -> dict[str, Any]:
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    return dict(project["vars"])


def _tests(entry: dict[str, Any]) -> Iterator[tuple[str | None, Any]]:
    """(column or None, test definition) of a model, source table, or their columns."""
    for test in entry.get("data_tests", []):
        yield None, test
    for column in entry.get("columns", []):
        for test in column.get("data_tests", []):
            yield column["name"], test


def accepted_values_lists() -> list[tuple[str, str, str, list[str]]]:
    """(yml file, model or source table, column, values) of every accepted-values rule in the dbt
    project: the `accepted_values` of `column_rules` and dbt's own `accepted_values` tests."""
    found = []
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        entries = list(document.get("models", []))
        for source in document.get("sources", []):
            entries.extend(source.get("tables", []))
        for entry in entries:
            for column, test in _tests(entry):
                if not isinstance(test, dict):
                    continue
                ((kind, body),) = test.items()
                arguments = (body or {}).get("arguments", body or {})
                where = path.relative_to(DBT_DIR).as_posix()
                if kind == "column_rules":
                    for ruled, values in arguments.get("accepted_values", {}).items():
                        found.append((where, entry["name"], ruled, values))
                elif kind == "accepted_values" and column is not None:
                    found.append((where, entry["name"], column, arguments["values"]))
    return found


def test_the_degree_day_bases_of_dbt_are_those_of_the_features() -> None:
    variables = dbt_vars()
    assert variables["heating_base_c"] == HEATING_BASE_C
    assert variables["cooling_base_c"] == COOLING_BASE_C


def test_the_mape_floor_of_dbt_is_that_of_the_python_metrics() -> None:
    assert dbt_vars()["mape_floor_kwh"] == MAPE_FLOOR_KWH


def test_the_project_has_accepted_values_rules_of_both_kinds_to_compare() -> None:
    columns = {column for _, _, column, _ in accepted_values_lists()}
    assert set(PYTHON_VOCABULARIES) <= columns
    assert columns >= DBT_VOCABULARIES


@pytest.mark.parametrize(
    ("where", "table", "column", "values"),
    [rule for rule in accepted_values_lists() if rule[2] not in DBT_VOCABULARIES],
    ids=str,
)
def test_each_dbt_accepted_values_list_equals_the_python_vocabulary(
    where: str, table: str, column: str, values: list[str]
) -> None:
    own = TABLE_VOCABULARIES.get(table, {})
    assert column in own or column in PYTHON_VOCABULARIES, (
        f"{where}: accepted values of {column} have no Python vocabulary: name it in "
        "PYTHON_VOCABULARIES, or in DBT_VOCABULARIES if the marts make those values"
    )
    assert values == list(own.get(column, PYTHON_VOCABULARIES.get(column, ()))), where
