"""The static archive site: pages per day, repository and tag, Atom feeds, offline search (see docs/site.md).

:func:`infra_digest.site.build.build_site` is the entry point; :mod:`.paths` holds the permalinks.
"""
