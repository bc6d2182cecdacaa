"""Load-profile segments: the monthly clustering of meters by how they consume."""
