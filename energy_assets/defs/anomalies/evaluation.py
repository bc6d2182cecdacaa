"""The evaluation of the anomaly detectors against the simulator's labels
(`gold/anomaly_evaluation`), tracked in MLflow."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
import pyarrow as pa

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    GOLD_ANOMALIES,
    GOLD_ANOMALY_EVALUATION,
    GOLD_QUALITY_SCORECARD,
    SILVER_METERS,
)
from energy_assets.defs.anomalies.detection import DEFAULTS, GROUP, _frame
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import key, write_metadata
from energy_assets.settings import Settings, pseudonymisation
from energy_assets.transforms.pseudonymise import Pseudonymisation

EXPERIMENT = "anomaly_detection"


def _latest_params(context: dg.AssetExecutionContext) -> dict[str, Any]:
    """The detector settings of the latest anomalies materialization (defaults if none)."""
    event = context.instance.get_latest_materialization_event(key(GOLD_ANOMALIES))
    materialization = event.asset_materialization if event else None
    recorded = materialization.metadata.get("params") if materialization else None
    value = getattr(recorded, "data", None)
    return dict(value) if isinstance(value, dict) else DEFAULTS.as_dict()


def _clean_meters(
    settings: Settings, meters: pa.Table, pseudonyms: Pseudonymisation | None
) -> set[str]:
    """Meters without any injected anomaly by design (the simulator's), present in the lake, by
    their silver ids."""
    from energy_assets.sources.simulator import SimulatorConfig, clean_meter_ids

    if "simulator" not in settings.sources:
        return set()
    config = SimulatorConfig(seed=settings.simulator_seed, n_meters=settings.simulator_meters)
    clean = clean_meter_ids(config)
    if pseudonyms is not None:
        clean = {pseudonyms.pseudonym(meter_id) for meter_id in clean}
    return clean & set(meters["meter_id"].to_pylist())


@tracks_emissions
def anomaly_evaluation(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow_tracking: MlflowResource
) -> dg.MaterializeResult:
    import mlflow

    from ml.anomaly.evaluation import evaluation_rows, metrics, score_events

    store = lake.lake()
    # The judged days are the materialized partitions: a day without any anomaly writes no row,
    # and labels on it still count as missed.
    judged = context.instance.get_materialized_partitions(key(GOLD_ANOMALIES))
    if not judged:
        raise dg.Failure("gold/anomalies has no materialized day yet: materialize anomalies first")
    days = sorted(date.fromisoformat(day) for day in judged)
    first, last = days[0], days[-1]
    end = last + timedelta(days=1)
    found = _frame(store.read(GOLD_ANOMALIES, first, end))
    # Bronze keeps the labels' raw ids; on a pseudonymised lake they take silver's pseudonyms.
    pseudonyms = pseudonymisation()
    labels = store.read(BRONZE_ANOMALY_LABELS, first, end)
    labels = _frame(labels if pseudonyms is None else pseudonyms.readings(labels))
    clean = _clean_meters(Settings.from_env(), store.read(SILVER_METERS), pseudonyms)
    scorecard = _frame(
        store.read(GOLD_QUALITY_SCORECARD, first, end, ["meter_id", "day", "received_intervals"])
    )
    judged_days = scorecard.filter(pl.col("received_intervals") > 0).select("meter_id", "day")
    clean_days = judged_days.filter(pl.col("meter_id").is_in(list(clean))).height
    scores = score_events(found, labels, clean, clean_days, judged_days)
    params = _latest_params(context)
    experiment = mlflow_tracking.connect(store, EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment, run_name=f"evaluate {first}..{last}") as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics(scores))
        mlflow.set_tags(
            {
                "dagster_run_id": context.run_id,
                "window": f"[{first}, {end})",
                "clean_meters": ",".join(sorted(clean)),
                f"delta_version_{GOLD_ANOMALIES.path}": str(store.version(GOLD_ANOMALIES)),
            }
        )
        mlflow.log_dict({"scores": scores.to_dicts()}, "event_scores.json")
    table = evaluation_rows(scores, first, last, run.info.run_id, datetime.now(UTC))
    written = store.overwrite(GOLD_ANOMALY_EVALUATION, table)
    overall = scores.filter(pl.col("anomaly_type") == "overall").row(0, named=True)
    acknowledged = found.filter(pl.col("feedback_verdict").is_not_null())
    return dg.MaterializeResult(
        metadata={
            **write_metadata(written),
            "window": f"[{first}, {end})",
            "mlflow_run_id": run.info.run_id,
            "mlflow_experiment": EXPERIMENT,
            **{
                f"overall_{name}": overall[name]
                for name in ("precision", "recall", "f1", "false_alarms_per_meter_month")
                if overall[name] is not None
            },
            "labelled_events": overall["labelled_events"],
            "flagged_events": overall["flagged_events"],
            "acknowledged_events": acknowledged["event_id"].n_unique(),
            "scores": dg.MetadataValue.md(_markdown(scores)),
        }
    )


def _markdown(scores: pl.DataFrame) -> str:
    columns = scores.columns

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in scores.iter_rows()]
    return "\n".join(lines)


def build_evaluation() -> dg.AssetsDefinition:
    """The evaluation over every materialized day of the anomalies."""
    return dg.asset(
        key=key(GOLD_ANOMALY_EVALUATION),
        group_name=GROUP,
        kinds={"delta", "mlflow"},
        deps=[key(GOLD_ANOMALIES), key(BRONZE_ANOMALY_LABELS), key(GOLD_QUALITY_SCORECARD)],
        description=(
            "Event-level precision, recall and F1 of the anomaly detectors per type and overall "
            "against the simulator's labelled anomalies, and false alarms per meter-month on clean "
            "meters, over every day with anomalies; logged to the MLflow experiment "
            f"`{EXPERIMENT}` with the detector settings as parameters. Grain: "
            f"{GOLD_ANOMALY_EVALUATION.grain}."
        ),
    )(anomaly_evaluation)
