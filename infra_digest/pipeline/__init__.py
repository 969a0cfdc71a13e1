"""The stages as plain functions: what the Dagster assets call, and what tests call directly.

Each stage takes a connection and typed inputs and returns rows and stats; the assets in ``defs/`` only read,
call, write and report metadata.
"""
