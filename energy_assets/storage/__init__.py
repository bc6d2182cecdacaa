"""Delta IO: the lake, windows of days, atomic replaces, and quarantine rows."""
