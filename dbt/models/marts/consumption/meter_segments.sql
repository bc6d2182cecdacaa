{#- A cluster's usual customer type is the contract label most of its meters carry that month;
    a meter whose label differs behaves like another kind of customer. -#}
with stg_meter_clusters as (
    select * from {{ ref('stg_meter_clusters') }}
),

dim_meter as (
    select * from {{ ref('dim_meter') }}
),

labelled as (
    select
        stg_meter_clusters.*,
        coalesce(dim_meter.customer_type, 'unknown') as customer_type,
        coalesce(dim_meter.region, 'unknown') as region
    from stg_meter_clusters
    left join dim_meter on stg_meter_clusters.meter_id = dim_meter.meter_id
),

cluster_types as (
    select
        month_start,
        cluster_id,
        mode(customer_type) as cluster_customer_type,
        cast(count(*) as integer) as cluster_meters
    from labelled
    where cluster_id is not null
    group by month_start, cluster_id
),

segments as (
    select
        labelled.meter_id,
        labelled.month_start,
        labelled.region,
        labelled.customer_type,
        labelled.cluster_id,
        labelled.status,
        cluster_types.cluster_customer_type,
        cluster_types.cluster_meters,
        coalesce(labelled.customer_type <> cluster_types.cluster_customer_type, false)
            as is_label_mismatch,
        labelled.previous_cluster_id,
        labelled.is_cluster_change,
        labelled.distance_to_centroid,
        labelled.level_kwh,
        labelled.clusters,
        labelled.silhouette
    from labelled
    left join cluster_types
        on
            labelled.month_start = cluster_types.month_start
            and labelled.cluster_id = cluster_types.cluster_id
)

select * from segments
