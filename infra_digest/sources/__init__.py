"""Sources of raw GitHub facts. All implement :class:`infra_digest.sources.base.Source`."""
