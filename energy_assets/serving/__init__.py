"""The forecast endpoint: `POST /forecast` over the lake and the registered models (no Dagster)."""
