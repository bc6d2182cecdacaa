"""MLflow helpers: the servable forecaster, logging a training run, and the champion alias.

The registered model is a pyfunc taking the rows of `ml.forecasting.inputs.MODEL_INPUTS` and
answering `p10_kwh`, `forecast_kwh`, `p90_kwh`, so `mlflow models serve models:/<name>@champion`
forecasts over REST. The `champion` alias moves to a new version only when it beats the current
champion on the new run's held-out days, and the decision is logged on the run.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
import polars as pl
import xgboost as xgb
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel

from checks.contracts.vocabularies import PROFILE_DAY_TYPES
from ml.clustering import profiles, segmentation
from ml.clustering.monthly import MonthlyClusters
from ml.forecasting import model as forecasting
from ml.forecasting import vanilla
from ml.forecasting.evaluation import mae
from ml.forecasting.inputs import MODEL_INPUTS
from ml.forecasting.periods import FittedModel

CHAMPION = "champion"
OUTPUTS = ("p10_kwh", "forecast_kwh", "p90_kwh")
BAND_SCALE = "band_scale"
"""Model config key of the P10-P90 calibration (`forecasting.band_scale_for`)."""
REQUIREMENTS = ("xgboost", "polars", "pandas", "numpy", "mlflow")
VANILLA_ARTIFACT = "vanilla_regressions.json"
"""The training run's per-meter vanilla regressions (`ml.forecasting.vanilla`), the first
fallback."""


def default_tracking_uri(folder: Path) -> str:
    """The local SQLite tracking store in `folder` (MLflow refuses the plain file store)."""
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'mlflow.db').resolve()}"


def artifacts_beside(tracking_uri: str) -> str | None:
    """The artifact folder of a local SQLite store: `artifacts/` beside its file, so artifacts never
    land in `./mlruns` of whatever folder a command ran in. None for a server, which decides."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    return (Path(tracking_uri.removeprefix(prefix)).resolve().parent / "artifacts").as_uri()


def experiment_id(name: str, artifact_root: str | None) -> str:
    """The experiment's id, created (with its artifacts under `artifact_root`) if needed."""
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=artifact_root))


class QuantileForecaster(PythonModel):
    """The booster behind `mlflow.pyfunc`: model input rows in, P10/P50/P90 kWh out."""

    def load_context(self, context: Any) -> None:
        self.booster = xgb.Booster()
        self.booster.load_model(context.artifacts["booster"])
        # A saved booster forgets its thread count: all cores would spin on a loaded machine.
        self.booster.set_param({"nthread": forecasting.TrainingParams.nthread})
        self.band_scale = float((context.model_config or {}).get(BAND_SCALE, 1.0))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        frame = pl.from_pandas(pd.DataFrame(model_input)[list(MODEL_INPUTS)])
        quantiles = forecasting.predict(self.booster, frame, self.band_scale)
        return pd.DataFrame(quantiles, columns=list(OUTPUTS))


def model_frame(inputs: pl.DataFrame) -> pd.DataFrame:
    """The registered model's input columns as pandas (floats, nulls as NaN)."""
    return inputs.select([pl.col(c).cast(pl.Float64) for c in MODEL_INPUTS]).to_pandas()


_LOADED: dict[tuple[str, str, str, int], forecasting.Predictor] = {}
"""The numbered model versions this process loaded (`load_predictor`), by `_version_key`."""
MAX_LOADED = 64
"""Versions kept loaded (a year of weekly models and more); the oldest loaded goes first, so a
long-lived process (the forecast endpoint) does not keep every model it ever served."""
NUMBERED_VERSION = re.compile(r"models:/(?P<name>[^/@]+)/(?P<version>\d+)")


def _version_key(model_uri: str) -> tuple[str, str, str, int] | None:
    """The registry URI, `model_uri`, and its version's run id and creation time, when
    `model_uri` names a numbered version (`models:/<name>/<version>`): what such a version is
    is fixed when it is created, and a registry rebuilt at the same place (numbered from 1
    again) has other runs and times. None for an alias (it moves) or an unknown version."""
    numbered = NUMBERED_VERSION.fullmatch(model_uri)
    if numbered is None:
        return None
    try:
        version = MlflowClient().get_model_version(numbered["name"], numbered["version"])
    except MlflowException:
        return None
    return (
        mlflow.get_registry_uri(),
        model_uri,
        str(version.run_id),
        int(version.creation_timestamp),
    )


def load_predictor(model_uri: str) -> forecasting.Predictor:
    """A registered model as a `forecasting.Predictor` (model input rows to kWh quantiles).

    A numbered version is loaded once per process (`_version_key`): the forecasts, the
    anomalies and the backtest of one run, each asking for the same period models, share
    them. An alias is loaded each time."""
    key = _version_key(model_uri)
    if key is not None and key in _LOADED:
        return _LOADED[key]
    model = mlflow.pyfunc.load_model(model_uri)

    def predictor(inputs: pl.DataFrame) -> np.ndarray:
        return np.asarray(model.predict(model_frame(inputs))[list(OUTPUTS)], dtype=np.float64)

    if key is not None:
        _LOADED[key] = predictor
        while len(_LOADED) > MAX_LOADED:
            del _LOADED[next(iter(_LOADED))]
    return predictor


@dataclass(frozen=True)
class LoggedModel:
    run_id: str
    model_uri: str
    version: str


def log_training(
    fitted: FittedModel,
    model_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
) -> LoggedModel:
    """In the active run: params, metrics, tags, feature importance and the model (signature,
    input example, band calibration) registered under `model_name`, its version tagged like the
    run (`log_residual_plot` adds the plot of a model that becomes champion).

    The metrics are logged after the model, naming it, and the version is created with its tags:
    logging them before would make MLflow read back every metric's history to link it to the
    model, and tagging afterwards costs a call per tag, on every period of a long run."""
    booster, holdout = fitted.booster, fitted.holdout
    mlflow.log_params(params)
    mlflow.set_tags(tags)
    importance = {
        k: float(np.asarray(v).item()) for k, v in booster.get_score(importance_type="gain").items()
    }
    mlflow.log_dict(
        dict(sorted(importance.items(), key=lambda kv: -kv[1])), "feature_importance.json"
    )
    mlflow.log_dict(vanilla.to_json(fitted.vanilla), VANILLA_ARTIFACT)
    example = model_frame(holdout.head(5))
    output = pd.DataFrame(fitted.predictor()(holdout.head(5)), columns=list(OUTPUTS))
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "booster.json")
        booster.save_model(path)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=QuantileForecaster(),
            artifacts={"booster": path},
            model_config={BAND_SCALE: fitted.band_scale},
            signature=infer_signature(example, output),
            input_example=example,
            code_paths=[str(Path(__file__).parent)],
            pip_requirements=[f"{package}=={version(package)}" for package in REQUIREMENTS],
        )
    mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)}, model_id=info.model_id)
    registered = mlflow.register_model(info.model_uri, model_name, tags=tags)
    run = mlflow.active_run()
    assert run is not None
    return LoggedModel(run.info.run_id, info.model_uri, str(registered.version))


def load_vanilla(run_id: str) -> dict[str, vanilla.MeterRegression]:
    """The vanilla regressions a training run logged (none for a run logged before them)."""
    try:
        return vanilla.from_json(mlflow.artifacts.load_dict(f"runs:/{run_id}/{VANILLA_ARTIFACT}"))
    except (MlflowException, OSError):
        return {}


def log_residual_plot(holdout: pl.DataFrame) -> None:
    """In the active run, a residual plot of the held-out forecasts: logged for a model that
    became champion, not for every period, as drawing it cost about 50 ms of CPU per period
    (2.4 s of a year of weekly trainings of one meter); every run keeps the held-out metrics."""
    mlflow.log_figure(residual_plot(holdout), "residuals.png")


def residual_plot(holdout: pl.DataFrame) -> Any:
    """Held-out residuals (actual - forecast) against the forecast: bias and spread at a glance."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = holdout.filter(pl.col("energy_kwh").is_not_null())
    figure, axes = pyplot.subplots(figsize=(7, 4))
    axes.scatter(
        rows["forecast_kwh"].to_numpy(),
        (rows["energy_kwh"] - rows["forecast_kwh"]).to_numpy(),
        s=2,
        alpha=0.3,
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("forecast (kWh)")
    axes.set_ylabel("actual - forecast (kWh)")
    axes.set_title("Held-out residuals")
    pyplot.close(figure)
    return figure


@dataclass(frozen=True)
class Decision:
    """The champion/challenger outcome, as logged on the challenger's run."""

    promoted: bool
    challenger_mae: float
    previous_version: str | None
    previous_mae: float | None
    reason: str


def champion_challenger(
    model_name: str,
    challenger: LoggedModel,
    holdout: pl.DataFrame,
    predictor: forecasting.Predictor,
    known: dict[str, forecasting.Predictor] | None = None,
) -> Decision:
    """Move the `champion` alias to the challenger only if its MAE on `holdout` (model input rows
    with their actual `energy_kwh`) is lower than the current champion's on the same rows.

    `predictor` is the challenger as just logged (its booster and band in memory), and `known`
    the predictors of versions already at hand in the same run, by version (the challenger and
    a loaded champion are added): a run of many periods loads no model it logged, and a
    champion from before the run once."""
    client = MlflowClient()
    actual = holdout["energy_kwh"].to_numpy()
    challenger_mae = mae(actual, predictor(holdout)[:, 1])
    known = {} if known is None else known
    try:
        current = client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        current = None
    if current is None:
        decision = Decision(True, challenger_mae, None, None, "no champion yet")
    elif (previous_mae := _champion_mae(model_name, str(current.version), holdout, known)) is None:
        decision = Decision(
            True,
            challenger_mae,
            str(current.version),
            None,
            f"champion v{current.version} cannot score the current model inputs "
            "(trained on another feature set): replaced",
        )
    else:
        promoted = challenger_mae < previous_mae
        verdict = "beats" if promoted else "does not beat"
        decision = Decision(
            promoted,
            challenger_mae,
            str(current.version),
            previous_mae,
            f"challenger MAE {challenger_mae:.4f} {verdict} champion v{current.version} "
            f"MAE {previous_mae:.4f} on the same held-out rows",
        )
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION, challenger.version)
    client.set_tag(challenger.run_id, "champion_decision", decision.reason)
    client.set_tag(challenger.run_id, "champion_promoted", str(decision.promoted).lower())
    client.log_metric(challenger.run_id, "champion_challenger_mae", challenger_mae)
    if decision.previous_mae is not None:
        client.log_metric(challenger.run_id, "champion_previous_mae", decision.previous_mae)
    known[challenger.version] = predictor
    return decision


def _champion_mae(
    model_name: str, version: str, holdout: pl.DataFrame, known: dict[str, forecasting.Predictor]
) -> float | None:
    """The MAE of the champion (`version`; taken from `known`, else loaded once and added) on the
    held-out rows, or None when it was trained on other inputs (an older feature set): such a
    champion cannot be compared, so it must not block promotion."""
    try:
        champion = known.get(version) or load_predictor(f"models:/{model_name}/{version}")
        predicted = champion(holdout)[:, 1]
    except (KeyError, ValueError, MlflowException, pl.exceptions.ColumnNotFoundError):
        return None
    known[version] = champion
    return mae(holdout["energy_kwh"].to_numpy(), predicted)


PARTITION_TAG = "dagster_partition"


def model_for_partition(model_name: str, partition: str) -> LoggedModel | None:
    """The latest registered version trained for a training partition (tagged `PARTITION_TAG`),
    or None when that partition has no model. The registry picks it (a filter on the tag, the
    highest version first): listing every version of the model, with all their tags, for each
    period of a run cost more than loading the model."""
    client = MlflowClient()
    try:
        versions = client.search_model_versions(
            f"name = '{model_name}' AND tags.{PARTITION_TAG} = '{partition}'",
            max_results=1,
            order_by=["version_number DESC"],
        )
    except MlflowException:
        return None
    if not versions:
        return None
    latest = versions[0]
    return LoggedModel(
        str(latest.run_id), f"models:/{model_name}/{latest.version}", str(latest.version)
    )


@dataclass(frozen=True)
class ModelSummary:
    """A registered model version and its training run: metrics, tags, feature importance."""

    version: str
    run_id: str
    metrics: dict[str, float]
    tags: dict[str, str]
    feature_importance: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Champion:
    """The current champion and, when there was one, the champion it replaced."""

    current: ModelSummary
    previous: ModelSummary | None


def _summary(client: Any, version: Any) -> ModelSummary:
    run = client.get_run(version.run_id)
    try:
        importance = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/feature_importance.json")
    except (OSError, json.JSONDecodeError, mlflow.exceptions.MlflowException):
        importance = {}
    return ModelSummary(
        version=str(version.version),
        run_id=str(version.run_id),
        metrics=dict(run.data.metrics),
        tags=dict(run.data.tags),
        feature_importance={str(k): float(v) for k, v in importance.items()},
    )


def champion(uri: str, model_name: str = forecasting.MODEL_NAME) -> Champion | None:
    """The `champion` alias of `model_name` in the registry at `uri`, and the previous champion
    (the latest older version whose run was promoted), or None when there is no champion."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    try:
        current = client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None
    older = [
        v
        for v in client.search_model_versions(f"name = '{model_name}'")
        if int(v.version) < int(current.version)
    ]
    promoted = [
        v
        for v in older
        if client.get_run(str(v.run_id)).data.tags.get("champion_promoted") == "true"
    ]
    previous = max(promoted, key=lambda v: int(v.version)) if promoted else None
    return Champion(
        current=_summary(client, current),
        previous=_summary(client, previous) if previous is not None else None,
    )


def load_champion(uri: str, model_name: str = forecasting.MODEL_NAME) -> forecasting.Predictor:
    """The champion as a `ml.forecasting.model.Predictor` (model input rows to kWh quantiles)."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return load_predictor(f"models:/{model_name}@{CHAMPION}")


def log_clustering(clusters: MonthlyClusters, tags: dict[str, str]) -> str:
    """In the active run: a month's load-profile clustering. Params say how it was fitted, metrics
    what it found (k, silhouette of every k tried, outliers, agreement with customer types where
    known), artifacts the centroids as CSV and a plot. No meter id is logged. Returns the run id."""
    fit = clusters.segmentation
    mlflow.log_params(
        {
            "k_range": f"{segmentation.K_RANGE[0]}-{segmentation.K_RANGE[1]}",
            "dbscan_min_samples": segmentation.MIN_SAMPLES,
            "dbscan_outlier_factor": segmentation.OUTLIER_FACTOR,
            "profile_min_days": profiles.MIN_DAYS,
        }
    )
    status = clusters.meters.column("status").to_pylist()
    metrics = {
        "k": float(fit.k),
        "silhouette": fit.silhouette,
        "dbscan_radius": fit.radius,
        "meters_clustered": float(status.count("clustered")),
        "meters_outliers": float(status.count("outlier")),
        "meters_without_profile": float(len(status) - len(fit.labels)),
        **{f"silhouette_k{k}": value for k, value in fit.silhouettes.items()},
    }
    if clusters.type_agreement is not None:
        metrics["adjusted_rand_customer_type"] = clusters.type_agreement
    mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
    mlflow.set_tags(tags)
    centroids = pl.from_arrow(clusters.centroids)
    assert isinstance(centroids, pl.DataFrame)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "centroids.csv"
        centroids.drop("day").write_csv(path)
        mlflow.log_artifact(str(path))
    mlflow.log_figure(centroid_plot(centroids), "centroids.png")
    run = mlflow.active_run()
    assert run is not None
    return str(run.info.run_id)


def centroid_plot(centroids: pl.DataFrame) -> Any:
    """Each cluster's mean profile by local hour, working days beside non-working days."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, 2, figsize=(10, 4), sharey=True)
    for axis, day_type in zip(axes, PROFILE_DAY_TYPES, strict=True):
        rows = centroids.filter(pl.col("day_type") == day_type)
        for (cluster,), curve in rows.sort("local_hour").group_by(
            "cluster_id", maintain_order=True
        ):
            axis.plot(
                curve["local_hour"].to_numpy(),
                curve["relative_load"].to_numpy(),
                label=f"cluster {cluster} ({curve['meters'][0]} meters)",
            )
        axis.set_title(day_type.replace("_", "-") + " days")
        axis.set_xlabel("local hour")
    axes[0].set_ylabel("load / meter's mean hourly load")
    axes[0].legend(fontsize="small")
    pyplot.close(figure)
    return figure


def registered_periods(
    model_name: str, tags: dict[str, str], params: dict[str, Any]
) -> dict[str, LoggedModel]:
    """Per training partition (`PARTITION_TAG`), the latest registered version whose model version
    carries every one of `tags` (e.g. the Delta versions of its inputs) and whose run logged
    `params` as given: the models a replay of the same periods on the same inputs by the same
    rules would train again (`ml/day_ahead_backtest` reuses them)."""
    client = MlflowClient()
    try:
        versions = client.search_model_versions(f"name = '{model_name}'")
    except MlflowException:
        return {}
    candidates = [
        v
        for v in versions
        if PARTITION_TAG in v.tags and all(v.tags.get(k) == value for k, value in tags.items())
    ]
    wanted = {k: str(value) for k, value in params.items()}
    found: dict[str, LoggedModel] = {}
    for v in sorted(candidates, key=lambda v: int(v.version)):
        logged = client.get_run(str(v.run_id)).data.params
        if all(logged.get(k) == value for k, value in wanted.items()):
            found[v.tags[PARTITION_TAG]] = LoggedModel(
                str(v.run_id), f"models:/{model_name}/{v.version}", str(v.version)
            )
    return found
