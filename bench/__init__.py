"""Benchmarks run by `make bench`; they print figures, never assert on time."""
