"""Dagster wiring: partitions, resources, assets, checks, schedules. Thin layers over the pure modules."""
