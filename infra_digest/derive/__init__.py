"""Pure derivations beyond the core tables (issue 17): releases, hot discussions, references between items.

Each module turns one (repository, day) partition's raw events (``raw.events`` rows: ``kind``, ``id``,
``payload``, ``source``) and its core rows into the rows of one table; :func:`infra_digest.derive.extra.derive_extra`
is the one call the ingest stage makes. No I/O here.
"""
