"""Commits from one source (a git mirror), issues and pull requests from another (the GitHub API).

Releases come from the second source (GitHub releases) and, for tags it does not list, from the first (the tags
of a git mirror read with ``tags=True``): a tag is never shown twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from infra_digest.sources.base import DayBatch, Source
from infra_digest.watchlist import RepoSpec


class CombinedSource:
    def __init__(self, commits: Source, others: Source):
        self.commits_source = commits
        self.others_source = others
        self.name = f"{commits.name}+{others.name}"

    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        for a, b in zip(self.commits_source.fetch(repo, days), self.others_source.fetch(repo, days), strict=True):
            events = [e for e in a.events if e.kind == "commit"] + [e for e in b.events if e.kind != "commit"]
            released = {e.id for e in b.events if e.kind == "release"}
            events += [e for e in a.events if e.kind == "release" and e.id not in released]
            errors = [f"{src.name}: {x.error}" for src, x in ((self.commits_source, a), (self.others_source, b)) if x.error]
            notes = [f"commits from {self.commits_source.name}, issues and PRs from {self.others_source.name}", *a.notes, *b.notes]
            stats = {k: a.stats.get(k, 0) + b.stats.get(k, 0) for k in {*a.stats, *b.stats}}
            yield DayBatch(repo=repo.repo, day=a.day, events=events, error="; ".join(errors) or None, notes=notes, stats=stats,
                           stale=a.stale or b.stale)
