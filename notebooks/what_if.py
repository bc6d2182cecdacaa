import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="What if")

with app.setup:
    from datetime import date

    import altair as alt
    import marimo as mo

    from checks.contracts import GOLD_CONSUMPTION_FEATURES, SILVER_METERS
    from energy_assets.exploration import forecast_views, lake_tables
    from energy_assets.settings import Settings, configured_lake
    from ml import tracking
    from ml.forecasting.model import MODEL_NAME

    lake = configured_lake()
    issue_hour_utc = Settings.from_env().forecast_issue_hour_utc


@app.cell(hide_code=True)
def header():
    mo.md("""
    # What if

    **How much would these meters consume tomorrow if it were colder, warmer, or a holiday?**
    Pick a meter or a region and a day, then move the sliders: the champion model's day-ahead
    forecast (P50 and P10-P90 band) follows, next to its forecast under the day's own weather
    and calendar (grey). Inputs are built exactly as production builds them; meters the model
    cannot take get the named fallback. Serve it with `marimo run notebooks/what_if.py`.
    """)
    return


@app.cell
def champion_model():
    _uri = forecast_views.tracking_uri(lake)
    _champion = tracking.champion(_uri) if _uri else None
    mo.stop(
        _champion is None,
        mo.md(
            "No champion model yet: materialize `ml/day_ahead_model` for a training week "
            "(Dagster UI, or `make demo`) so a model is registered with the `champion` alias."
        ),
    )
    predictor = tracking.load_champion(_uri or "")
    mo.md(f"Champion: `{MODEL_NAME}` version {_champion.current.version}.")
    return (predictor,)


@app.cell
def subject_controls():
    _days = lake.partition_days(GOLD_CONSUMPTION_FEATURES)
    _meters = lake_tables.frame(lake.read(SILVER_METERS, columns=["meter_id", "region"]))
    mo.stop(
        not _days or _meters.height == 0,
        mo.md("No consumption features yet: materialize the lake layers for some days."),
    )
    _subjects = {"every meter": tuple(_meters["meter_id"].sort())}
    for (_region,), _group in _meters.group_by("region", maintain_order=True):
        _subjects[f"region {_region}"] = tuple(_group["meter_id"].sort())
    for _meter in _meters["meter_id"].sort():
        _subjects[f"meter {_meter}"] = (_meter,)
    subject = mo.ui.dropdown(options=_subjects, value="every meter", label="Meters")
    target_day = mo.ui.dropdown(
        options=[d.isoformat() for d in _days], value=_days[-1].isoformat(), label="Day"
    )
    mo.hstack([subject, target_day], justify="start")
    return subject, target_day


@app.cell
def day_features(subject, target_day):
    what_if_day = forecast_views.what_if_day(
        lake, date.fromisoformat(target_day.value), list(subject.value)
    )
    mo.stop(what_if_day.target.height == 0, mo.md("These meters have no rows on that day."))
    forecast_temperature_c = what_if_day.target["temperature_c"].mean()
    return forecast_temperature_c, what_if_day


@app.cell
def condition_sliders(forecast_temperature_c):
    _default = round(2 * forecast_temperature_c) / 2 if forecast_temperature_c is not None else 10.0
    temperature = mo.ui.slider(
        start=-15.0,
        stop=35.0,
        step=0.5,
        value=min(max(_default, -15.0), 35.0),
        label="Mean temperature (°C)",
        show_value=True,
        full_width=True,
    )
    day_type = mo.ui.dropdown(
        options=list(forecast_views.DAY_TYPES), value="as scheduled", label="Day type"
    )
    mo.vstack([temperature, day_type])
    return day_type, temperature


@app.cell
def conditions(day_type, temperature):
    conditions = {"mean_temperature_c": float(temperature.value), "day_type": day_type.value}
    return (conditions,)


@app.cell
def scheduled_curve(forecast_temperature_c, predictor, what_if_day):
    scheduled = forecast_views.what_if_curve(
        predictor,
        what_if_day,
        forecast_temperature_c if forecast_temperature_c is not None else 10.0,
        "as scheduled",
        issue_hour_utc,
    )
    return (scheduled,)


@app.cell
def what_if_curve(conditions, predictor, what_if_day):
    curve = forecast_views.what_if_curve(
        predictor, what_if_day, issue_hour_utc=issue_hour_utc, **conditions
    )
    return (curve,)


@app.cell
def curve_chart(conditions, curve, scheduled):
    _base = alt.Chart(curve).encode(x=alt.X("interval_start_utc:T", title="UTC"))
    _chart = alt.layer(
        _base.mark_area(opacity=0.25, color="#4c78a8").encode(
            y=alt.Y("p10_kwh:Q", title="kWh per interval"), y2="p90_kwh:Q"
        ),
        alt.Chart(scheduled)
        .mark_line(color="grey", strokeDash=[4, 2])
        .encode(x="interval_start_utc:T", y="forecast_kwh:Q"),
        _base.mark_line(color="#4c78a8").encode(
            y="forecast_kwh:Q",
            tooltip=["interval_start_utc:T", "forecast_kwh:Q", "p10_kwh:Q", "p90_kwh:Q"],
        ),
    ).properties(height=320, title="Forecast under these conditions (grey: as forecast)")
    _total, _scheduled_total = curve["forecast_kwh"].sum(), scheduled["forecast_kwh"].sum()
    _fallbacks = curve["fallback_meters"].max()
    mo.vstack(
        [
            mo.ui.altair_chart(_chart, chart_selection=False, legend_selection=False),
            mo.md(
                f"Day total **{_total:,.1f} kWh** at {conditions['mean_temperature_c']:.1f} °C, "
                f"{conditions['day_type']}: {_total - _scheduled_total:+,.1f} kWh "
                f"({(_total / _scheduled_total - 1) * 100 if _scheduled_total else 0.0:+.1f}%) "
                "against the day as forecast."
                + (
                    f" {_fallbacks} of {curve['meters'].max()} meters use a fallback "
                    "(too little history or no model input), which ignores the sliders."
                    if _fallbacks
                    else ""
                )
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
