"""Forecast accuracy: point errors, quantile loss, interval coverage and skill over baselines.

Plain numpy functions over aligned arrays (actual, forecast, quantiles). Rows with a null actual
are the caller's to drop: a metric over a gap has no meaning.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.ArrayLike

MAPE_FLOOR_KWH = 1e-3
"""Actuals below this are left out of MAPE: a percentage error of a near-zero reading is noise."""


def _arrays(*values: Array) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def mae(actual: Array, forecast: Array) -> float:
    a, f = _arrays(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def rmse(actual: Array, forecast: Array) -> float:
    a, f = _arrays(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mape(actual: Array, forecast: Array) -> float:
    """Mean absolute percentage error, in percent, over actuals of at least `MAPE_FLOOR_KWH`."""
    a, f = _arrays(actual, forecast)
    kept = np.abs(a) >= MAPE_FLOOR_KWH
    if not kept.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(a[kept] - f[kept]) / np.abs(a[kept])))


def pinball(actual: Array, quantile_forecast: Array, alpha: float) -> float:
    """Mean pinball (quantile) loss of a forecast of the `alpha` quantile: lower is better."""
    a, q = _arrays(actual, quantile_forecast)
    diff = a - q
    return float(np.mean(np.maximum(alpha * diff, (alpha - 1.0) * diff)))


def coverage(actual: Array, lower: Array, upper: Array) -> float:
    """Share of actuals inside [lower, upper], in percent (80 is right for a P10-P90 band)."""
    a, lo, hi = _arrays(actual, lower, upper)
    return float(100.0 * np.mean((a >= lo) & (a <= hi)))


def skill(model_error: float, baseline_error: float) -> float:
    """1 - model error / baseline error: positive when the model beats the baseline."""
    if baseline_error == 0:
        return float("nan")
    return 1.0 - model_error / baseline_error


def forecast_metrics(actual: Array, forecast: Array, p10: Array, p90: Array) -> dict[str, float]:
    """MAE, RMSE, MAPE, mean pinball loss of P10/P50/P90 and P10-P90 coverage of one forecast."""
    pinballs = [
        pinball(actual, p10, 0.1),
        pinball(actual, forecast, 0.5),
        pinball(actual, p90, 0.9),
    ]
    return {
        "mae": mae(actual, forecast),
        "rmse": rmse(actual, forecast),
        "mape": mape(actual, forecast),
        "pinball": float(np.mean(pinballs)),
        "coverage_p10_p90": coverage(actual, p10, p90),
    }


def compare_with_baselines(
    actual: Array, forecast: Array, p10: Array, p90: Array, baselines: dict[str, Array]
) -> dict[str, float]:
    """The forecast's metrics, each baseline's MAE and MAPE, and the skill (in MAE) against the
    best baseline, named `best_baseline_*`."""
    metrics = forecast_metrics(actual, forecast, p10, p90)
    best_name, best_mae = "", float("inf")
    for name, values in baselines.items():
        metrics[f"{name}_mae"] = mae(actual, values)
        metrics[f"{name}_mape"] = mape(actual, values)
        if metrics[f"{name}_mae"] < best_mae:
            best_name, best_mae = name, metrics[f"{name}_mae"]
    if best_name:
        metrics["best_baseline_mae"] = best_mae
        metrics["best_baseline_mape"] = metrics[f"{best_name}_mape"]
        metrics["skill_vs_best_baseline"] = skill(metrics["mae"], best_mae)
    return metrics
