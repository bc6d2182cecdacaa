import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Forecasts")

with app.setup:
    from datetime import date, timedelta

    import altair as alt
    import marimo as mo
    import polars as pl

    from checks.contracts import GOLD_FORECASTS, GOLD_REGION_FORECASTS
    from energy_assets.exploration import forecast_views, lake_tables
    from energy_assets.settings import configured_lake
    from ml import tracking

    lake = configured_lake()
    ACCURACY_DAYS = 28
    """Default span of the accuracy tables: the last four weeks of forecasts."""
    SHOWN_METRICS = ("mae", "rmse", "mape", "pinball", "coverage_p10_p90", "skill_vs_best_baseline")


@app.cell(hide_code=True)
def header():
    mo.md("""
    # Forecasts

    **How good are the day-ahead forecasts, and which model makes them?** Actual against
    forecast with the P10-P90 band for any meter or region and day (blue: forecast and band,
    dashed: actual); accuracy by horizon, meter and model (fallbacks included); the champion
    model's MLflow run next to the champion it replaced. Reads gold `forecasts`,
    `region_forecasts` and `consumption_features`, and the MLflow registry (read-only).
    """)
    return


@app.function
def band_chart(rows: pl.DataFrame, time: str, title: str) -> alt.LayerChart:
    """Actual against forecast with the P10-P90 band, over `time`."""
    base = alt.Chart(rows).encode(x=alt.X(f"{time}:T", title="UTC"))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("p10_kwh:Q", title="kWh"), y2="p90_kwh:Q"
    )
    predicted = base.mark_line(color="#4c78a8").encode(
        y="forecast_kwh:Q",
        tooltip=[f"{time}:T", "forecast_kwh:Q", "p10_kwh:Q", "p90_kwh:Q", "energy_kwh:Q"],
    )
    actual = base.mark_line(color="black", strokeDash=[4, 2]).encode(y="energy_kwh:Q")
    return (band + predicted + actual).properties(height=280, title=title).interactive()


@app.cell
def forecast_days():
    _missing = lake_tables.missing_table_message(
        "gold/forecasts",
        lake,
        "materialize `ml/day_ahead_model` for the training weeks, then `gold/forecasts` for "
        "the target days (Dagster UI, or `make demo`)",
    )
    mo.stop(_missing is not None, mo.md(_missing or ""))
    days = lake.partition_days(GOLD_FORECASTS)
    return (days,)


@app.cell
def day_controls(days):
    level = mo.ui.radio(options=["meter", "region"], value="meter", label="Level", inline=True)
    target_day = mo.ui.dropdown(
        options=[d.isoformat() for d in days], value=days[-1].isoformat(), label="Target day"
    )
    mo.hstack([level, target_day], justify="start")
    return level, target_day


@app.cell
def day_forecasts(target_day):
    picked_day = date.fromisoformat(target_day.value)
    meter_rows = forecast_views.with_actuals(
        lake,
        lake_tables.load_window(lake, GOLD_FORECASTS, picked_day, picked_day + timedelta(days=1)),
    )
    return meter_rows, picked_day


@app.cell
def subject_picker(level, meter_rows):
    subjects = sorted(
        meter_rows["meter_id" if level.value == "meter" else "region"]
        .fill_null("unknown")
        .unique()
        .to_list()
    )
    subject = mo.ui.dropdown(options=subjects, value=subjects[0], label=level.value.capitalize())
    subject
    return (subject,)


@app.cell
def actual_against_forecast(level, meter_rows, picked_day, subject):
    if level.value == "meter":
        _rows = meter_rows.filter(pl.col("meter_id") == subject.value)
        _time = "interval_start_utc"
    else:
        _actual = (
            meter_rows.filter(pl.col("region").fill_null("unknown") == subject.value)
            .group_by(pl.col("interval_start_utc").dt.truncate("1h").alias("hour_start_utc"))
            .agg(energy_kwh=pl.col("energy_kwh").sum(min_count=1))
        )
        _rows = lake_tables.load_window(
            lake, GOLD_REGION_FORECASTS, picked_day, picked_day + timedelta(days=1)
        ).filter(pl.col("region") == subject.value)
        _rows = _rows.join(_actual, on="hour_start_utc", how="left")
        _time = "hour_start_utc"
    _used = (
        meter_rows.filter(
            pl.col("meter_id" if level.value == "meter" else "region").fill_null("unknown")
            == subject.value
        )["model_used"]
        .value_counts()
        .sort("count", descending=True)
    )
    mo.vstack(
        [
            mo.ui.altair_chart(
                band_chart(_rows, _time, f"{subject.value} on {picked_day}"),
                chart_selection=False,
                legend_selection=False,
            ),
            mo.md(
                "Made by: "
                + ", ".join(f"`{m}` ({n} rows)" for m, n in _used.iter_rows())
                + (". No actuals yet for this day." if _rows["energy_kwh"].is_null().all() else ".")
            ),
        ]
    )
    return


@app.cell
def accuracy_window(days):
    accuracy_days = mo.ui.date_range(
        start=days[0],
        stop=days[-1],
        value=(max(days[0], days[-1] - timedelta(days=ACCURACY_DAYS - 1)), days[-1]),
        label="Accuracy over target days",
    )
    accuracy_days
    return (accuracy_days,)


@app.cell
def scored_forecasts(accuracy_days):
    _first, _last = accuracy_days.value
    scored = forecast_views.with_actuals(
        lake, lake_tables.load_window(lake, GOLD_FORECASTS, _first, _last + timedelta(days=1))
    )
    mo.stop(
        scored["energy_kwh"].is_null().all(),
        mo.md("No actual readings yet for these target days: accuracy needs them."),
    )
    return (scored,)


@app.cell
def accuracy_by_horizon(scored):
    by_horizon = forecast_views.accuracy_by(
        scored.with_columns(pl.col("horizon_hours").floor()), "horizon_hours"
    )
    mo.ui.altair_chart(
        alt.Chart(by_horizon.unpivot(index="horizon_hours", on=["mae", "pinball"]))
        .mark_line(point=True)
        .encode(
            x=alt.X("horizon_hours:Q", title="hours from issue to interval start"),
            y=alt.Y("value:Q", title="kWh"),
            color=alt.Color("variable:N", title=None),
            tooltip=["horizon_hours:Q", "variable:N", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=240, title="Accuracy by horizon (meter level)"),
        chart_selection=False,
    )
    return


@app.cell
def accuracy_by_meter_and_model(scored):
    by_meter = forecast_views.accuracy_by(scored, "meter_id")
    by_model = forecast_views.accuracy_by(scored, "model_used")
    mo.vstack(
        [
            mo.md("### Accuracy by model (or fallback)"),
            mo.ui.table(by_model, selection=None),
            mo.ui.table(by_meter, selection=None, label="By meter"),
            mo.ui.altair_chart(
                alt.Chart(by_meter)
                .mark_bar()
                .encode(
                    x=alt.X("meter_id:N", sort="-y", title="meter"),
                    y=alt.Y("mape:Q", title="MAPE (%)"),
                    tooltip=["meter_id:N", "rows:Q", "mae:Q", "mape:Q", "coverage_p10_p90:Q"],
                )
                .properties(height=220, title="MAPE by meter"),
                chart_selection=False,
            ),
        ]
    )
    return


@app.cell
def champion_run():
    _uri = forecast_views.tracking_uri(lake)
    mo.stop(
        _uri is None,
        mo.md(
            "No MLflow store under the lake (and no `MLFLOW_TRACKING_URI`): "
            "materialize `ml/day_ahead_model` to train and register a model."
        ),
    )
    champion = tracking.champion(_uri or "")
    mo.stop(champion is None, mo.md("No model carries the `champion` alias yet."))
    return (champion,)


@app.cell
def champion_comparison(champion):
    _current, _previous = champion.current, champion.previous
    _rows = [
        {
            "metric": name,
            f"champion v{_current.version}": _current.metrics.get(name),
            "previous champion": _previous.metrics.get(name) if _previous else None,
        }
        for name in SHOWN_METRICS
    ]
    _importance = pl.DataFrame(
        {
            "feature": list(_current.feature_importance),
            "gain": list(_current.feature_importance.values()),
        },
        schema={"feature": pl.String, "gain": pl.Float64},
    )
    mo.vstack(
        [
            mo.md(
                f"### Champion: version {_current.version}, run `{_current.run_id}`\n\n"
                f"{_current.tags.get('champion_decision', '')}; trained on "
                f"{_current.tags.get('training_window', '?')}"
                + (
                    f"; it replaced version {_previous.version} (run `{_previous.run_id}`)."
                    if _previous
                    else "; it is the first champion."
                )
            ),
            mo.ui.table(pl.DataFrame(_rows), selection=None),
            mo.ui.altair_chart(
                alt.Chart(_importance.head(20))
                .mark_bar()
                .encode(
                    x=alt.X("gain:Q", title="gain"),
                    y=alt.Y("feature:N", sort="-x", title=None),
                    tooltip=["feature:N", alt.Tooltip("gain:Q", format=".2f")],
                )
                .properties(title="Feature importance (gain)"),
                chart_selection=False,
            )
            if _importance.height
            else mo.md("The run logged no feature importance."),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
