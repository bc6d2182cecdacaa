"""The lake layers: bronze, silver and gold assets, their checks and the landing sensor."""
