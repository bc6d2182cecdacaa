with source as (
    select * from {{ source('gold', 'meter_clusters') }}
),

renamed as (
    select
        cast(meter_id as varchar) as meter_id,
        cast(day as date) as month_start,
        cast(cluster_id as integer) as cluster_id,
        cast(status as varchar) as status,
        cast(previous_cluster_id as integer) as previous_cluster_id,
        cast(previous_status as varchar) as previous_status,
        cast(is_cluster_change as boolean) as is_cluster_change,
        cast(distance_to_centroid as double) as distance_to_centroid,
        cast(level_kwh as double) as level_kwh,
        cast(working_days as integer) as working_days,
        cast(non_working_days as integer) as non_working_days,
        cast(clusters as integer) as clusters,
        cast(silhouette as double) as silhouette
    from source
)

select * from renamed
