"""The typed models of a day: what the report and the summarizers read, and the summaries they write.

Everything here is a frozen dataclass: built once (``report/context.py`` builds a :class:`DayContext` from the
rows DuckDB holds; ``summarize/engine.py`` builds a :class:`DaySummary`) and never changed afterwards. The
renderers receive a context and a summary as two arguments.

- :class:`Labels`: what the classifier says about an item (change type, hardware, precision, topics, models).
- :class:`Change`: a commit of the day (with its squash-merged pull request, if any), or a pull request merged
  in the day whose commit is not among the day's commits.
- :class:`PullRequest`: a pull request opened in the day and not merged in it.
- :class:`Issue`: an issue opened in the day.
- :class:`RepoDay`: one watched repository's day: its items, its status (``active``, ``quiet``, ``failed``
  = could not be read, ``unknown`` = not fetched yet) and whether its data may be ``stale``.
- :class:`DayContext`: the day: every watched repository in watch-list order.
- :class:`Text` / :class:`DaySummary`: one section's text and who wrote it; all the texts of a day and language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

CHANGE_TYPES = ("fix", "feature", "perf", "revert", "refactor", "build", "ci", "test", "docs", "other")
ISSUE_TYPES = ("bug", "feature-request", "question", "roadmap", "ci-failure", "other")

#: Weight of a change type when ranking changes (which merged changes are notable, which lead a summary).
#: The one copy: the summarizer's selection and its prompts both rank with it.
CHANGE_TYPE_RANK: Mapping[str, int] = {"perf": 3, "feature": 2, "revert": 2, "fix": 1}

RepoStatus = Literal["active", "quiet", "failed", "unknown"]
ItemKind = Literal["commit", "pull_request", "issue"]
ItemKey = tuple[str, str, str]  # (repo, item kind, item id): how summaries.items and classified.changes key an item


@dataclass(frozen=True)
class Labels:
    change_type: str = "other"
    hardware: tuple[str, ...] = ()
    precision: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """Hardware, precision and model tags, in that order (what the report shows beside an item)."""
        return (*self.hardware, *self.precision, *self.models)


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str | None = None
    additions: int = 0
    deletions: int = 0
    previous_filename: str | None = None


@dataclass(frozen=True)
class _Item:
    repo: str
    id: str
    url: str
    title: str | None
    author: str | None               # a login when ``author_is_login``, else a name; None when the data lacks it
    author_is_login: bool
    labels: Labels

    @property
    def kind(self) -> str:
        raise NotImplementedError

    @property
    def key(self) -> ItemKey:
        return (self.repo, self.kind, self.id)

    @property
    def change_type(self) -> str:
        return self.labels.change_type

    @property
    def tagged(self) -> bool:
        return bool(self.labels.hardware or self.labels.precision or self.labels.models)


@dataclass(frozen=True)
class Issue(_Item):
    number: int = 0
    created_at: dt.datetime | None = None
    body: str | None = None
    github_labels: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "issue"

    @property
    def issue_type(self) -> str:
        return self.change_type if self.change_type in ISSUE_TYPES else "other"


@dataclass(frozen=True)
class PullRequest(_Item):
    number: int = 0
    created_at: dt.datetime | None = None
    merged_at: dt.datetime | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    body: str | None = None
    github_labels: tuple[str, ...] = ()
    merge_commit_sha: str | None = None

    @property
    def kind(self) -> str:
        return "pull_request"


@dataclass(frozen=True)
class Change(_Item):
    """A change that landed in the day: a commit (``kind == "commit"``, ``id`` its sha), or a pull request
    merged in the day without its commit among the day's commits (``kind == "pull_request"``, ``id`` its number)."""

    sha: str | None = None
    short_sha: str | None = None
    pr_number: int | None = None
    pr_url: str | None = None
    time: dt.datetime | None = None
    files_changed: int | None = None
    additions: int | None = None
    deletions: int | None = None
    files: tuple[FileChange, ...] = ()   # the largest few
    files_more: int = 0                  # files not in ``files``
    files_truncated: bool = False        # the source could not list every file
    is_merge: bool = False
    body: str | None = None              # a merged pull request's description (commits carry none here)
    item_kind: str = "commit"            # "commit" or "pull_request"

    @property
    def kind(self) -> str:
        return self.item_kind

    @property
    def size(self) -> int:
        return (self.additions or 0) + (self.deletions or 0)


@dataclass(frozen=True)
class Group:
    type: str
    entries: tuple


@dataclass(frozen=True)
class Counts:
    """A repository's (or the day's) counts. ``None``: the source did not record that kind of item, which is not 0."""

    commits: int | None = 0
    merged_prs: int | None = 0   # pull requests merged in the day: PR objects, and "(#N)" squash commits
    new_prs: int | None = 0
    issues: int | None = 0
    changes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"commits": self.commits, "merged_prs": self.merged_prs, "new_prs": self.new_prs, "issues": self.issues,
                "changes": self.changes}


@dataclass(frozen=True)
class RepoDay:
    repo: str
    name: str
    url: str
    status: RepoStatus
    error: str | None = None          # why the data could not be read (status "failed")
    source: str | None = None
    notes: tuple[str, ...] = ()       # the source's remarks, kept for metadata
    stale: bool = False               # the source could not refresh its data: what it holds may be old
    changes: tuple[Change, ...] = ()
    new_prs: tuple[PullRequest, ...] = ()
    issues: tuple[Issue, ...] = ()
    counts: Counts = Counts()

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def change_groups(self) -> tuple[Group, ...]:
        groups = [Group(ct, tuple(c for c in self.changes if c.change_type == ct)) for ct in CHANGE_TYPES]
        unknown = tuple(c for c in self.changes if c.change_type not in CHANGE_TYPES)
        if unknown:
            groups.append(Group("other", unknown))
        return tuple(g for g in groups if g.entries)

    @property
    def issue_groups(self) -> tuple[Group, ...]:
        groups = [Group(it, tuple(i for i in self.issues if i.issue_type == it)) for it in ISSUE_TYPES]
        return tuple(g for g in groups if g.entries)

    def items(self) -> Iterator[Change | PullRequest | Issue]:
        yield from self.changes
        yield from self.new_prs
        yield from self.issues


@dataclass(frozen=True)
class DayContext:
    day: dt.date
    repos: tuple[RepoDay, ...]

    @property
    def repo_count(self) -> int:
        return len(self.repos)

    @property
    def totals(self) -> Counts:
        """Sums over the repositories; a count no repository's source recorded is None."""
        def total(k: str) -> int | None:
            known = [getattr(r.counts, k) for r in self.repos if getattr(r.counts, k) is not None]
            return sum(known) if known or not self.repos else None
        return Counts(**{k: total(k) for k in Counts.__dataclass_fields__})

    @property
    def active_repos(self) -> list[str]:
        return [r.repo for r in self.repos if r.status == "active"]

    @property
    def failed_repos(self) -> list[str]:
        return [r.repo for r in self.repos if r.status == "failed"]

    @property
    def unknown_repos(self) -> list[str]:
        return [r.repo for r in self.repos if r.status == "unknown"]

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.repos if r.source})

    def items(self) -> Iterator[tuple[RepoDay, Change | PullRequest | Issue]]:
        """(repository, item) for every change, new PR and issue of the day."""
        for r in self.repos:
            for item in r.items():
                yield r, item


# ------------------------------------------------------------------------------------------------ summaries

@dataclass(frozen=True)
class Text:
    """One section's text and the summarizer that wrote it; ``fallback_reason`` when the model's was not used."""

    text: str
    summarizer: str
    fallback_reason: str | None = None

    @property
    def by_llm(self) -> bool:
        return self.summarizer.startswith("llm:") and not self.fallback_reason


@dataclass(frozen=True)
class DaySummary:
    """The prose of a day in one language: item gists, repository paragraphs, the summary and the overview."""

    items: Mapping[ItemKey, Text] = field(default_factory=dict)
    repos: Mapping[str, Text] = field(default_factory=dict)
    summary: Text | None = None
    overview: Text | None = None
    stats: Mapping[str, object] = field(default_factory=dict)

    def sections(self) -> Iterator[tuple[str, str | None, Text]]:
        if self.summary:
            yield "summary", None, self.summary
        if self.overview:
            yield "overview", None, self.overview
        for repo, text in self.repos.items():
            yield "repo", repo, text

    def gist(self, item: Change | PullRequest | Issue) -> Text | None:
        return self.items.get(item.key)

    def paragraph(self, repo: str) -> str | None:
        text = self.repos.get(repo)
        return text.text if text else None

    def texts(self) -> list[Text]:
        return [*self.items.values(), *self.repos.values(), *(t for t in (self.summary, self.overview) if t)]
