"""The report's layout: what goes where, decided once for both Markdown and HTML. Pure: data in, a view out.

- repositories in order of the importance of their day (``rank.Ranking.repo_order``); those without activity
  share one line at the end;
- within a repository: series of pull requests sharing a title prefix (``[Model Runner V2]`` x5) grouped, then
  changes by type, each group most important first; CI, test and docs changes folded into one line per type with
  their links; issues by type, ranked, issues the data gives no title folded into one line;
- each line carries its links to other items (``report.relate``) and the largest real source file it touches.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from infra_digest.models import CHANGE_TYPES, ISSUE_TYPES, Change, DayContext, FileChange, Issue, ItemKey, PullRequest, RepoDay
from infra_digest.report.rank import Ranking, main_source_file
from infra_digest.report.relate import Link

FOLDED_TYPES = ("ci", "test", "docs")
SERIES_MIN = 3
_PREFIX = re.compile(r"^\s*\[([^\[\]]{2,40})\]\s*:?\s*")
# Leading markers that only say the type (the group says it already) and are left out of a title in a group.
_TYPE_WORDS = {"bug", "bugfix", "bug fix", "fix", "fixes", "hotfix", "feat", "feature", "features", "perf",
               "performance", "refactor", "refactoring", "doc", "docs", "documentation", "ci", "test", "tests",
               "misc", "chore", "build", "minor", "tiny", "tiny fix", "trivial", "wip", "ci/build", "ci failure"}
_CONVENTIONAL = re.compile(r"^\s*(?:fix|feat|feature|perf|refactor|docs?|chore|test|ci|build)(?:\([^()]{0,30}\))?!?\s*:\s+",
                           re.I)


def _key(prefix: str) -> str:
    return re.sub(r"\s+", " ", prefix.strip().casefold())


def short_title(title: str | None, drop: str | None = None) -> str:
    """A title without leading type-only markers ("[Bugfix]", "fix:") and without the series prefix ``drop``."""
    text = title or ""
    for _ in range(4):
        m = _PREFIX.match(text)
        if m and (_key(m.group(1)) in _TYPE_WORDS or (drop and _key(m.group(1)) == _key(drop))):
            text = text[m.end():]
            continue
        m = _CONVENTIONAL.match(text)
        if m:
            text = text[m.end():]
            continue
        break
    return text.strip() or (title or "")


def series_prefix(title: str | None) -> str | None:
    """The first "[X]" of a title that names a series (not a type marker, not a part number like "[2/N]")."""
    text = title or ""
    for _ in range(4):
        m = _PREFIX.match(text)
        if not m:
            return None
        inner = m.group(1).strip()
        if _key(inner) not in _TYPE_WORDS and not re.fullmatch(r"[\d\s/nN.-]+", inner):
            return inner
        text = text[m.end():]
    return None


@dataclass(frozen=True)
class Line:
    item: Change | PullRequest | Issue
    title: str
    links: tuple[Link, ...] = ()
    main_file: FileChange | None = None


@dataclass(frozen=True)
class Block:
    kind: str                # "series", "group" (a change type), "folded" (ci/test/docs), "issues", "new_prs"
    name: str                # the series prefix, or the type id
    lines: tuple[Line, ...] = ()
    untitled: tuple = ()     # issues without a title: links only


@dataclass(frozen=True)
class RepoView:
    repo: RepoDay
    anchor: str
    blocks: tuple[Block, ...] = ()

    @property
    def largest(self) -> Change | None:
        return largest_change(self.repo.changes)


@dataclass(frozen=True)
class DayView:
    repos: tuple[RepoView, ...]              # repositories with something to show, most important first
    quiet: tuple[RepoDay, ...] = ()          # repositories without activity (one line)
    unknown: tuple[RepoDay, ...] = ()        # repositories not fetched yet (one line)
    links: Mapping[ItemKey, tuple[Link, ...]] = field(default_factory=dict)


def largest_change(changes: Sequence[Change]) -> Change | None:
    """The change with the most lines, never a merge and never one of a tie; None when there is no single one."""
    units = [u for c in changes for u in (c.merged if c.is_merge and c.merged else (c,)) if not u.is_merge]
    if len(units) < 2:
        return None
    ranked = sorted(units, key=lambda c: -c.size)
    return ranked[0] if ranked[0].size > ranked[1].size else None


def anchor(repo: str) -> str:
    return "repo-" + re.sub(r"[^a-z0-9]+", "-", repo.lower()).strip("-")


def _line(item, ranking: Ranking, links, drop: str | None = None) -> Line:
    main = main_source_file(item) if isinstance(item, Change) else None
    return Line(item, short_title(item.title, drop), tuple(links.get(item.key, ())), main)


def repo_view(r: RepoDay, ranking: Ranking, links: Mapping[ItemKey, tuple[Link, ...]]) -> RepoView:
    blocks: list[Block] = []
    changes = ranking.ranked(r.changes)
    prefixes = Counter(_key(p) for c in changes if c.change_type not in FOLDED_TYPES and (p := series_prefix(c.title)))
    series: dict[str, list[Change]] = {}
    rest: list[Change] = []
    for c in changes:
        p = series_prefix(c.title) if c.change_type not in FOLDED_TYPES else None
        if p and prefixes[_key(p)] >= SERIES_MIN:
            series.setdefault(_key(p), []).append(c)
        else:
            rest.append(c)
    for entries in series.values():
        name = series_prefix(entries[0].title) or ""
        blocks.append(Block("series", name, tuple(_line(c, ranking, links, drop=name) for c in entries)))
    types = [*CHANGE_TYPES, *sorted({c.change_type for c in rest} - set(CHANGE_TYPES))]
    for ct in types:
        entries = [c for c in rest if c.change_type == ct]
        if entries:
            kind = "folded" if ct in FOLDED_TYPES else "group"
            blocks.append(Block(kind, ct, tuple(_line(c, ranking, links) for c in entries)))
    if r.new_prs:
        blocks.append(Block("new_prs", "new_prs", tuple(_line(p, ranking, links) for p in ranking.ranked(r.new_prs))))
    issue_types = [*ISSUE_TYPES, *sorted({i.issue_type for i in r.issues} - set(ISSUE_TYPES))]
    for it in issue_types:
        entries = ranking.ranked([i for i in r.issues if i.issue_type == it])
        titled = tuple(_line(i, ranking, links) for i in entries if i.title)
        untitled = tuple(i for i in entries if not i.title)
        if titled or untitled:
            blocks.append(Block("issues", it, titled, untitled))
    return RepoView(r, anchor(r.repo), tuple(blocks))


def has_beyond(r: RepoDay) -> bool:
    """A repository-day with releases, hot discussions or first-time contributors has a section of its own even
    without commits or new items."""
    return bool(r.releases or r.hot or r.first_timers)


def day_view(ctx: DayContext, ranking: Ranking, links: Mapping[ItemKey, tuple[Link, ...]]) -> DayView:
    by_repo = {r.repo: r for r in ctx.repos}
    ordered = [by_repo[name] for name in ranking.repo_order if name in by_repo]
    shown = [r for r in ordered if r.status in ("active", "failed") or has_beyond(r)]
    return DayView(
        repos=tuple(repo_view(r, ranking, links) for r in shown),
        quiet=tuple(r for r in ctx.repos if r.status == "quiet" and not has_beyond(r)),
        unknown=tuple(r for r in ctx.repos if r.status == "unknown"),
        links=links,
    )
