import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Anomalies")

with app.setup:
    from datetime import timedelta

    import altair as alt
    import marimo as mo
    import polars as pl

    from checks.contracts import GOLD_CONSUMPTION_FEATURES, GOLD_FORECASTS
    from energy_assets.exploration import lake_tables
    from energy_assets.settings import configured_lake
    from energy_assets.sources.anomaly_feedback import submit_feedback

    lake = configured_lake()
    SEVERITIES = ["high", "medium", "low"]
    WINDOW_DAYS = 14
    """Default span: the last two weeks of detected anomalies."""
    VERDICTS = {"confirmed": "confirmed", "false alarm": "false_alarm"}


@app.cell(hide_code=True)
def header():
    mo.md("""
    # Anomalies

    **What went wrong, where, and is it real?** Detected events on a timeline, filtered by type
    and severity; pick one to see its meter-day against the expected range and why it was
    flagged, then mark it as confirmed or a false alarm. The verdict is written as a feedback
    file through the project's feedback input (the next anomaly run applies it): the only write
    a notebook makes. Reads gold `anomalies`, `consumption_features` and `forecasts`.
    """)
    return


@app.cell
def anomaly_days():
    _missing = lake_tables.missing_table_message(
        "gold/anomalies",
        lake,
        "materialize `gold/anomalies` for the days to inspect (Dagster UI, or `make demo`)",
    )
    mo.stop(_missing is not None, mo.md(_missing or ""))
    anomalies_table = lake_tables.find_table("gold/anomalies")
    detected_days = lake.partition_days(anomalies_table)
    mo.stop(not detected_days, mo.md("`gold/anomalies` exists but holds no day yet."))
    return anomalies_table, detected_days


@app.cell
def filters(anomalies_table, detected_days):
    _types = (
        lake_tables.frame(lake.read(anomalies_table, columns=["anomaly_type"]))["anomaly_type"]
        .unique()
        .sort()
        .to_list()
    )
    window = mo.ui.date_range(
        start=detected_days[0],
        stop=detected_days[-1],
        value=(
            max(detected_days[0], detected_days[-1] - timedelta(days=WINDOW_DAYS - 1)),
            detected_days[-1],
        ),
        label="Days (UTC)",
    )
    types = mo.ui.multiselect(options=_types, value=_types, label="Types")
    severities = mo.ui.multiselect(options=SEVERITIES, value=SEVERITIES, label="Severities")
    mo.hstack([window, types, severities], justify="start")
    return severities, types, window


@app.cell
def events(anomalies_table, severities, types, window):
    _first, _last = window.value
    event_days = lake_tables.load_window(
        lake, anomalies_table, _first, _last + timedelta(days=1)
    ).filter(
        pl.col("anomaly_type").is_in(list(types.value)),
        pl.col("severity").is_in(list(severities.value)),
    )
    event_list = (
        event_days.group_by("event_id")
        .agg(
            pl.col("meter_id", "region", "anomaly_type", "severity", "detectors").first(),
            pl.col("event_start_utc").min(),
            pl.col("event_end_utc").max(),
            pl.col("interval_count").sum(),
            pl.col("energy_kwh", "expected_kwh").sum(),
            pl.col("score").max(),
            pl.col("feedback_verdict").last(),
            days=pl.col("day").n_unique(),
        )
        .sort(["score", "event_id"], descending=[True, False])
    )
    mo.md(
        f"**{event_list.height} events** ({event_days.height} meter-days) from {_first} to "
        f"{_last}: "
        + ", ".join(
            f"{n} {s}"
            for s, n in event_list["severity"].value_counts().sort("severity").iter_rows()
        )
    )
    return event_days, event_list


@app.cell
def timeline(event_list):
    mo.stop(event_list.height == 0, mo.md("No event matches these filters."))
    timeline_chart = mo.ui.altair_chart(
        alt.Chart(event_list)
        .mark_bar(height=10)
        .encode(
            x=alt.X("event_start_utc:T", title="UTC"),
            x2="event_end_utc:T",
            y=alt.Y("meter_id:N", title="meter"),
            color=alt.Color("anomaly_type:N", title="type"),
            opacity=alt.Opacity(
                "severity:N", scale=alt.Scale(domain=SEVERITIES, range=[1.0, 0.7, 0.4])
            ),
            tooltip=["event_id:N", "anomaly_type:N", "severity:N", "score:Q", "days:Q"],
        )
        .properties(title="Events (click to list only those)"),
        chart_selection="point",
        legend_selection=True,
    )
    timeline_chart
    return (timeline_chart,)


@app.cell
def event_table(event_list, timeline_chart):
    _shown = timeline_chart.value if len(timeline_chart.value) else event_list
    picked_events = mo.ui.table(
        _shown.select(
            "event_id",
            "meter_id",
            "anomaly_type",
            "severity",
            "score",
            "event_start_utc",
            "event_end_utc",
            "days",
            "feedback_verdict",
        ),
        selection="single",
        label="Pick an event to drill down (the highest score is shown until you do)",
    )
    picked_events
    return (picked_events,)


@app.cell
def drill_down(event_days, event_list, picked_events):
    _picked = picked_events.value
    event_id = (_picked if len(_picked) else event_list)["event_id"][0]
    event_rows = event_days.filter(pl.col("event_id") == event_id).sort("day")
    event = event_rows.row(0, named=True)
    _first, _last = event_rows["day"].min(), event_rows["day"].max() + timedelta(days=1)
    _readings = lake_tables.load_window(
        lake,
        GOLD_CONSUMPTION_FEATURES,
        _first,
        _last,
        ["meter_id", "interval_start_utc", "energy_kwh", "day"],
        [event["meter_id"]],
    )
    _expected = lake_tables.load_window(
        lake,
        GOLD_FORECASTS,
        _first,
        _last,
        ["meter_id", "interval_start_utc", "forecast_kwh", "p10_kwh", "p90_kwh", "day"],
        [event["meter_id"]],
    )
    _curve = _readings.join(
        _expected.drop("meter_id", "day"), on="interval_start_utc", how="left"
    ).sort("interval_start_utc")
    _base = alt.Chart(_curve).encode(x=alt.X("interval_start_utc:T", title="UTC"))
    _layers = [
        alt.Chart(pl.DataFrame([event]).select("event_start_utc", "event_end_utc"))
        .mark_rect(color="#d1495b", opacity=0.15)
        .encode(x="event_start_utc:T", x2="event_end_utc:T"),
        _base.mark_line(color="black").encode(
            y=alt.Y("energy_kwh:Q", title="kWh"),
            tooltip=["interval_start_utc:T", "energy_kwh:Q", "forecast_kwh:Q"],
        ),
    ]
    if _expected.height:
        _layers[1:1] = [
            _base.mark_area(opacity=0.25, color="#4c78a8").encode(y="p10_kwh:Q", y2="p90_kwh:Q"),
            _base.mark_line(color="#4c78a8").encode(y="forecast_kwh:Q"),
        ]
    mo.vstack(
        [
            mo.md(
                f"### {event['anomaly_type']} on {event['meter_id']} ({event['severity']}, "
                f"score {event['score']:.2f})\n\n{event['reason']}\n\n"
                f"Detectors: `{event['detectors']}`; from {event['event_start_utc']} to "
                f"{event['event_end_utc']}; current verdict: "
                f"{event['feedback_verdict'] or 'none'}."
            ),
            mo.ui.altair_chart(
                alt.layer(*_layers).properties(
                    height=260,
                    title="Meter-days of the event (red: event; blue: day-ahead forecast "
                    "and P10-P90 band, when forecasts exist)",
                ),
                chart_selection=False,
                legend_selection=False,
            ),
            mo.ui.table(
                event_rows.select(
                    "day",
                    "interval_count",
                    "energy_kwh",
                    "expected_kwh",
                    "expected_low_kwh",
                    "expected_high_kwh",
                    "reason",
                ),
                selection=None,
                label="Per day: flagged intervals and kWh against the expected range",
            ),
        ]
    )
    return event, event_id


@app.cell
def feedback_form(event_id):
    verdict = mo.ui.radio(options=VERDICTS, label=f"Verdict on `{event_id}`", inline=True)
    note = mo.ui.text(placeholder="why (optional)", label="Note", full_width=True)
    submit = mo.ui.run_button(label="Record verdict")
    mo.hstack([verdict, note, submit], justify="start")
    return note, submit, verdict


@app.cell
def feedback_write(event, event_id, note, submit, verdict):
    mo.stop(not submit.value)
    mo.stop(verdict.value is None, mo.md("Pick *confirmed* or *false alarm* first."))
    _path = submit_feedback(lake.root, event_id, event["meter_id"], verdict.value, note.value)
    mo.md(
        f"Recorded **{verdict.value}** for `{event_id}` in `{_path}`; the next "
        "`gold/anomalies` run applies it."
    )
    return


if __name__ == "__main__":
    app.run()
