import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Lake overview")

with app.setup:
    from datetime import timedelta

    import altair as alt
    import marimo as mo
    import polars as pl

    from checks.contracts import GOLD_QUALITY_SCORECARD, contract
    from energy_assets.exploration import lake_tables
    from energy_assets.settings import configured_lake

    lake = configured_lake()
    HEATMAP_METERS = 60
    STATUS_COLOURS = alt.Scale(
        domain=["good", "degraded", "bad"], range=["#4c9f70", "#f2a541", "#d1495b"]
    )


@app.cell(hide_code=True)
def header():
    mo.md(f"""
    # Lake overview

    **What does the lake hold, what changed, and can its data be trusted?** Every table with its
    days, rows and latest Delta version; time travel between two versions of a table; the
    quality scorecard of the meters, day by day. Everything is read from the Delta logs and
    files of `{lake.root}` (set `ENERGY_LAKE_ROOT` to look at another lake); nothing is written.
    """)
    return


@app.cell
def table_inventory():
    tables = lake_tables.table_overview(lake)
    marts = lake_tables.mart_exports(lake)
    mo.vstack(
        [
            mo.md(
                f"**{tables['is_built'].sum()} of {tables.height} tables built**, "
                f"{marts.height} mart exports."
            ),
            mo.ui.table(tables, selection=None, page_size=25),
            mo.ui.table(marts, selection=None) if marts.height else mo.md(""),
        ]
    )
    return (tables,)


@app.cell
def table_picker(tables):
    built = tables.filter(pl.col("is_built"))["table"].to_list()
    mo.stop(
        not built,
        mo.md(f"The lake at `{lake.root}` is empty: run `make demo` (or materialize in Dagster)."),
    )
    picker = mo.ui.dropdown(
        options=built,
        value="gold/consumption_features" if "gold/consumption_features" in built else built[0],
        label="Table",
    )
    picker
    return (picker,)


@app.cell
def partitions(picker):
    picked = contract(picker.value)
    per_day = lake_tables.rows_per_day(lake, picked)
    (
        mo.ui.altair_chart(
            alt.Chart(per_day)
            .mark_bar()
            .encode(
                x=alt.X("day:T", title="UTC day"),
                y=alt.Y("rows:Q", title="rows"),
                tooltip=["day:T", "rows:Q", "files:Q"],
            )
            .properties(height=180, title=f"{picked.path}: rows per day"),
            chart_selection=False,
        )
        if per_day.height
        else mo.md(f"`{picked.path}` is not partitioned: {lake.row_count(picked)} rows.")
    )
    return (picked,)


@app.cell
def version_pickers(picked):
    history = lake_tables.version_history(lake, picked)
    versions = [str(v) for v in sorted(history["version"].to_list())]
    newer = mo.ui.dropdown(options=versions, value=versions[-1], label="compare version")
    older = mo.ui.dropdown(
        options=versions, value=versions[max(len(versions) - 2, 0)], label="with version"
    )
    mo.vstack(
        [
            mo.md(f"### Time travel: {len(versions)} versions of `{picked.path}`"),
            mo.hstack([older, newer], justify="start"),
            mo.ui.table(history, selection=None, page_size=10),
        ]
    )
    return newer, older


@app.cell
def version_changes(newer, older, picked):
    diff = lake_tables.version_diff(lake, picked, int(older.value), int(newer.value))
    changes = diff.unpivot(
        index="day",
        on=["rows_added", "rows_removed", "rows_changed"],
        variable_name="change",
        value_name="rows",
    )
    (
        mo.vstack(
            [
                mo.md(
                    f"Version {older.value} → {newer.value}: {diff.height} day(s) differ, "
                    f"{diff['rows_added'].sum()} rows added, {diff['rows_removed'].sum()} "
                    f"removed, {diff['rows_changed'].sum()} changed (same key, other values)."
                ),
                mo.ui.altair_chart(
                    alt.Chart(changes)
                    .mark_bar()
                    .encode(
                        x=alt.X("day:T", title="UTC day"),
                        y=alt.Y("rows:Q"),
                        color="change:N",
                        tooltip=["day:T", "change:N", "rows:Q"],
                    )
                    .properties(height=180),
                    chart_selection=False,
                ),
                mo.ui.table(diff, selection=None),
            ]
        )
        if diff.height
        else mo.md(f"Versions {older.value} and {newer.value} hold the same rows.")
    )
    return


@app.cell
def scorecard_window():
    scored_days = lake.partition_days(GOLD_QUALITY_SCORECARD)
    mo.stop(
        not scored_days,
        mo.md("No quality scorecard yet: materialize `gold/quality_scorecard` for some days."),
    )
    window = mo.ui.date_range(
        start=scored_days[0],
        stop=scored_days[-1],
        value=(max(scored_days[0], scored_days[-1] - timedelta(days=29)), scored_days[-1]),
        label="Scorecard days",
    )
    window
    return (window,)


@app.cell
def scorecard_heatmap(window):
    first, last = window.value
    scorecard = lake_tables.load_window(
        lake, GOLD_QUALITY_SCORECARD, first, last + timedelta(days=1)
    )
    worst = (
        scorecard.group_by("meter_id")
        .agg(not_good=(pl.col("status") != "good").sum())
        .sort(["not_good", "meter_id"], descending=[True, False])
        .head(HEATMAP_METERS)["meter_id"]
    )
    shown = scorecard.filter(pl.col("meter_id").is_in(worst.implode()))
    heatmap = mo.ui.altair_chart(
        alt.Chart(shown)
        .mark_rect()
        .encode(
            x=alt.X("day:O", title="UTC day"),
            y=alt.Y("meter_id:N", title="meter", sort=worst.to_list()),
            color=alt.Color("status:N", scale=STATUS_COLOURS),
            tooltip=["meter_id:N", "day:T", "status:N", "completeness_pct:Q", "reasons:N"],
        )
        .properties(title="Quality scorecard (click cells to list their reasons)"),
        chart_selection="point",
        legend_selection=True,
    )
    mo.vstack(
        [
            mo.md(
                f"{scorecard['meter_id'].n_unique()} meters; the {worst.len()} with the most "
                "degraded or bad days are shown, worst first."
            ),
            heatmap,
        ]
    )
    return heatmap, scorecard


@app.cell
def scorecard_reasons(heatmap, scorecard):
    picked_cells = heatmap.value if len(heatmap.value) else scorecard
    mo.ui.table(
        picked_cells.filter(pl.col("status") != "good").select(
            "day", "meter_id", "status", "completeness_pct", "reasons"
        ),
        selection=None,
        label="Degraded and bad meter-days (of the selected cells, else of the window)",
    )
    return


if __name__ == "__main__":
    app.run()
