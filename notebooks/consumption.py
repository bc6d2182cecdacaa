import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Consumption")

with app.setup:
    from datetime import timedelta

    import altair as alt
    import marimo as mo
    import polars as pl

    from checks.contracts import (
        GOLD_CARBON_EMISSIONS,
        GOLD_CLUSTER_CENTROIDS,
        GOLD_CONSUMPTION_FEATURES,
        GOLD_METER_CLUSTERS,
        SILVER_METERS,
    )
    from energy_assets.exploration import forecast_views, lake_tables
    from energy_assets.settings import configured_lake
    from ml.features import COOLING_BASE_C, HEATING_BASE_C

    lake = configured_lake()
    MAX_DAYS = 92
    """Longest window loaded at once: a quarter of gold features stays a few hundred MB."""
    MAX_LINES = 12
    """Above this many meters the load curve shows their total instead of one line each."""
    COLUMNS = [
        "meter_id",
        "interval_start_utc",
        "energy_kwh",
        "region",
        "customer_type",
        "local_date",
        "local_hour",
        "is_weekend",
        "is_holiday",
        "temperature_c",
        "observed_temperature_c",
        "day",
    ]


@app.cell(hide_code=True)
def header():
    mo.md("""
    # Consumption

    **How, when and why do the meters consume?** Pick a region, a customer type, meters and a
    window: load curves, an hour x day heatmap, working-day, weekend and holiday profiles, and
    consumption against temperature with its heating and cooling slopes. Brush the load curve to
    focus every chart below on a span. Reads gold `consumption_features` (read-only).
    """)
    return


@app.cell
def meter_registry():
    meters = lake_tables.frame(lake.read(SILVER_METERS))
    feature_days = lake.partition_days(GOLD_CONSUMPTION_FEATURES)
    mo.stop(
        not feature_days or meters.height == 0,
        mo.md(
            "No consumption features yet: materialize the lake layers for some days "
            "(`make demo`, or `energy-lake backfill`)."
        ),
    )
    return feature_days, meters


@app.cell
def filters(feature_days, meters):
    regions = mo.ui.multiselect(
        options=sorted(meters["region"].drop_nulls().unique().to_list()), label="Regions"
    )
    customer_types = mo.ui.multiselect(
        options=sorted(meters["customer_type"].drop_nulls().unique().to_list()),
        label="Customer types",
    )
    window = mo.ui.date_range(
        start=feature_days[0],
        stop=feature_days[-1],
        value=(max(feature_days[0], feature_days[-1] - timedelta(days=13)), feature_days[-1]),
        label="Days (UTC)",
    )
    mo.hstack([regions, customer_types, window], justify="start")
    return customer_types, regions, window


@app.cell
def meter_choice(customer_types, meters, regions):
    candidates = meters.filter(
        pl.col("region").is_in(regions.value) if regions.value else pl.lit(True),
        pl.col("customer_type").is_in(customer_types.value)
        if customer_types.value
        else pl.lit(True),
    )["meter_id"].sort()
    meter_pick = mo.ui.multiselect(
        options=candidates.to_list(), label="Meters (none picked: every matching meter)"
    )
    meter_pick
    return candidates, meter_pick


@app.cell
def consumption(candidates, meter_pick, window):
    chosen = list(meter_pick.value) or candidates.to_list()
    first, last = window.value
    mo.stop(not chosen, mo.md("No meter matches these filters."))
    mo.stop(
        (last - first).days + 1 > MAX_DAYS,
        mo.md(f"Pick at most {MAX_DAYS} days: the window is loaded into memory."),
    )
    rows = lake_tables.load_window(
        lake, GOLD_CONSUMPTION_FEATURES, first, last + timedelta(days=1), COLUMNS, chosen
    ).with_columns(
        hour_utc=pl.col("interval_start_utc").dt.truncate("1h"),
        day_type=pl.when(pl.col("is_holiday"))
        .then(pl.lit("holiday"))
        .when(pl.col("is_weekend"))
        .then(pl.lit("weekend"))
        .otherwise(pl.lit("working day")),
        temperature_c=pl.coalesce("observed_temperature_c", "temperature_c"),
    )
    mo.md(
        f"{len(chosen)} meters, {first} to {last}: {rows.height:,} intervals, "
        f"{rows['energy_kwh'].sum():,.0f} kWh."
    )
    return chosen, first, last, rows


@app.cell
def carbon_footprint(chosen, first, last):
    _missing = lake_tables.missing_table_message(
        GOLD_CARBON_EMISSIONS.path, lake, "materialize gold/carbon_emissions for these days"
    )
    mo.stop(_missing is not None, mo.md(_missing or ""))
    carbon = lake_tables.load_window(
        lake, GOLD_CARBON_EMISSIONS, first, last + timedelta(days=1), None, chosen
    )
    mo.stop(carbon.is_empty(), mo.md("No carbon footprint for these meters and days yet."))
    by_source = (
        carbon.group_by("intensity_source")
        .agg(
            energy_kwh=pl.col("energy_kwh").sum(),
            emissions_kgco2e=pl.col("emissions_kgco2e").sum(),
        )
        .sort("intensity_source")
    )
    _daily = carbon.group_by("day").agg(pl.col("emissions_kgco2e").sum()).sort("day")
    _total_kwh, _total_kg = carbon["energy_kwh"].sum(), carbon["emissions_kgco2e"].sum()
    mo.vstack(
        [
            mo.md(
                f"**Carbon footprint**: {_total_kg:,.1f} kgCO2e for {_total_kwh:,.0f} kWh "
                f"({1000 * _total_kg / _total_kwh if _total_kwh else 0:,.0f} gCO2e/kWh on "
                "average). `intensity_source` says where each day's grid intensity came from."
            ),
            mo.ui.table(by_source, selection=None),
            mo.ui.altair_chart(
                alt.Chart(_daily)
                .mark_bar()
                .encode(
                    x=alt.X("day:T", title="UTC day"),
                    y=alt.Y("emissions_kgco2e:Q", title="kgCO2e"),
                )
                .properties(height=200, title="Emissions per day"),
                chart_selection=False,
            ),
        ]
    )
    return


@app.cell
def load_curve(rows):
    _series = (
        pl.col("meter_id")
        if rows["meter_id"].n_unique() <= MAX_LINES
        else pl.lit("all chosen meters")
    )
    hourly = (
        rows.group_by(_series.alias("series"), "hour_utc")
        .agg(energy_kwh=pl.col("energy_kwh").sum())
        .sort("hour_utc")
    )
    curve = mo.ui.altair_chart(
        alt.Chart(hourly)
        .mark_line()
        .encode(
            x=alt.X("hour_utc:T", title="hour (UTC)"),
            y=alt.Y("energy_kwh:Q", title="kWh per hour"),
            color=alt.Color("series:N", title=None),
            tooltip=["series:N", "hour_utc:T", alt.Tooltip("energy_kwh:Q", format=".2f")],
        )
        .properties(height=260, title="Load curve (brush a span to focus the charts below)"),
        chart_selection="interval",
        legend_selection=True,
    )
    curve
    return (curve,)


@app.cell
def focus(curve, rows):
    brushed = curve.value
    focused = (
        rows.filter(pl.col("hour_utc").is_in(brushed["hour_utc"].implode()))
        if len(brushed)
        else rows
    )
    mo.md(
        f"Below: {'the brushed span' if len(brushed) else 'the whole window'}, "
        f"{focused['local_date'].n_unique()} local days."
    )
    return (focused,)


@app.cell
def hour_day_heatmap(focused):
    cells = focused.group_by("local_date", "local_hour").agg(energy_kwh=pl.col("energy_kwh").sum())
    mo.ui.altair_chart(
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("local_date:O", title="local date"),
            y=alt.Y("local_hour:O", title="local hour"),
            color=alt.Color("energy_kwh:Q", title="kWh", scale=alt.Scale(scheme="viridis")),
            tooltip=["local_date:T", "local_hour:O", alt.Tooltip("energy_kwh:Q", format=".2f")],
        )
        .properties(height=300, title="Hour x day (sum over the chosen meters)"),
        chart_selection=False,
    )
    return


@app.cell
def day_type_profiles(focused):
    profiles = (
        focused.group_by("day_type", "local_date", "local_hour")
        .agg(energy_kwh=pl.col("energy_kwh").sum())
        .group_by("day_type", "local_hour")
        .agg(energy_kwh=pl.col("energy_kwh").mean(), days=pl.col("local_date").n_unique())
        .sort("local_hour")
    )
    mo.ui.altair_chart(
        alt.Chart(profiles)
        .mark_line(point=True)
        .encode(
            x=alt.X("local_hour:Q", title="local hour", scale=alt.Scale(domain=[0, 23])),
            y=alt.Y("energy_kwh:Q", title="mean kWh per hour"),
            color=alt.Color("day_type:N", title=None),
            tooltip=[
                "day_type:N",
                "local_hour:Q",
                "days:Q",
                alt.Tooltip("energy_kwh:Q", format=".2f"),
            ],
        )
        .properties(height=260, title="Daily profile by day type"),
        legend_selection=True,
    )
    return


@app.cell
def temperature_response(focused):
    daily = (
        focused.group_by("local_date", "day_type")
        .agg(
            energy_kwh=pl.col("energy_kwh").sum(),
            temperature_c=pl.col("temperature_c").mean(),
        )
        .sort("local_date")
    )
    fit = forecast_views.temperature_response(daily)
    mo.stop(fit is None, mo.md("Fewer than three days: no temperature response to fit."))
    low, high = daily["temperature_c"].min(), daily["temperature_c"].max()
    fitted = pl.DataFrame(
        {"temperature_c": [low + (high - low) * i / 40 for i in range(41)]}
    ).with_columns(
        energy_kwh=fit.base_kwh_per_day
        + (fit.heating_kwh_per_degc or 0.0)
        * (HEATING_BASE_C - pl.col("temperature_c")).clip(lower_bound=0.0)
        + (fit.cooling_kwh_per_degc or 0.0)
        * (pl.col("temperature_c") - COOLING_BASE_C).clip(lower_bound=0.0)
    )
    _points = (
        alt.Chart(daily)
        .mark_circle(size=60)
        .encode(
            x=alt.X("temperature_c:Q", title="mean temperature (°C)"),
            y=alt.Y("energy_kwh:Q", title="kWh per day"),
            color=alt.Color("day_type:N", title=None),
            tooltip=[
                "local_date:T",
                "day_type:N",
                alt.Tooltip("temperature_c:Q", format=".1f"),
                alt.Tooltip("energy_kwh:Q", format=".1f"),
            ],
        )
    )
    _fit_line = (
        alt.Chart(fitted).mark_line(color="black").encode(x="temperature_c:Q", y="energy_kwh:Q")
    )

    def _slope(value):
        return "not fitted (no such days)" if value is None else f"{value:,.2f} kWh/day per °C"

    mo.vstack(
        [
            mo.ui.altair_chart(
                (_points + _fit_line).properties(
                    height=300, title="Consumption against temperature"
                ),
                chart_selection=False,
            ),
            mo.md(
                f"Over {fit.days} days: base {fit.base_kwh_per_day:,.1f} kWh/day; heating slope "
                f"(below {HEATING_BASE_C} °C) {_slope(fit.heating_kwh_per_degc)}; cooling slope "
                f"(above {COOLING_BASE_C} °C) {_slope(fit.cooling_kwh_per_degc)}."
            ),
        ]
    )
    return


@app.cell
def segment_month():
    _missing = lake_tables.missing_table_message(
        GOLD_METER_CLUSTERS.path, lake, "materialize gold/meter_clusters for a month"
    )
    mo.stop(_missing is not None, mo.md(_missing or ""))
    _months = lake.partition_days(GOLD_METER_CLUSTERS)
    segment_pick = mo.ui.dropdown(
        {f"{m:%Y-%m}": m for m in _months},
        value=f"{_months[-1]:%Y-%m}",
        label="Segments of the month",
    )
    segment_pick
    return (segment_pick,)


@app.cell
def segments(segment_pick):
    _month = segment_pick.value
    _next = (_month + timedelta(days=32)).replace(day=1)
    centroids = lake_tables.frame(lake.read(GOLD_CLUSTER_CENTROIDS, _month, _next))
    segmented = lake_tables.frame(lake.read(GOLD_METER_CLUSTERS, _month, _next))
    per_cluster = (
        segmented.with_columns(
            segment=pl.col("cluster_id").cast(pl.String).fill_null(pl.col("status"))
        )
        .group_by("segment", "customer_type")
        .agg(meters=pl.len())
        .pivot(on="customer_type", index="segment", values="meters")
        .fill_null(0)
        .sort("segment")
    )
    moved = segmented.filter("is_cluster_change").select(
        "meter_id", "customer_type", "previous_cluster_id", "cluster_id", "status"
    )
    mo.vstack(
        [
            mo.md(
                f"**Load-profile segments** ({segmented['clusters'][0]} clusters, silhouette "
                f"{segmented['silhouette'][0] or float('nan'):.2f}): each cluster's mean profile, "
                "scaled by each meter's mean hourly load, so shape counts and size does not. "
                "Outliers fit no cluster; meters below lack complete days for a profile."
            ),
            mo.ui.altair_chart(
                alt.Chart(centroids.with_columns(pl.col("cluster_id").cast(pl.String)))
                .mark_line()
                .encode(
                    x=alt.X("local_hour:Q", title="local hour", scale=alt.Scale(domain=[0, 23])),
                    y=alt.Y("relative_load:Q", title="load / mean hourly load"),
                    color=alt.Color("cluster_id:N", title="cluster"),
                    column=alt.Column("day_type:N", title=None),
                    tooltip=["cluster_id:N", "day_type:N", "local_hour:Q", "meters:Q"],
                )
                .properties(height=220, width=360, title="Cluster centroids"),
                chart_selection=False,
            ),
            mo.md("**Meters per segment and customer type**"),
            mo.ui.table(per_cluster, selection=None),
            mo.md(f"**Meters that moved** since the previous month: {moved.height}"),
            mo.ui.table(moved, selection=None),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
