"""What matters first: an explainable score per item of the day, and the day's highlights. Pure: data in, data out.

An item's score is a sum of named parts, each kept as a reason (``"flag:security+40"``, ``"kernel+12"``, ...):

- its impact flags (security, release, crash, regression, breaking, default-change: ``FLAG_POINTS``);
- its hardware and precision tags (a tagged item concerns specific hardware or number formats), its model tags;
- kernel sources touched (``csrc/``, ``*.cu``, ``*.cuh``, Triton/CuTe kernels, names with ``sm90``/``sm100``/...);
- the size of the real code change: lines of source files only, on a log scale (tests, CI, docs, benchmarks and
  generated files do not count);
- its type (a bug report, a perf change, a fix, a feature, ...);
- its links to other items of the day (``report.relate``), more for a link into another repository.

Changes to CI, tests, docs, benchmarks or generated files are never highlights, however big (``eligible`` is
False, with the reason). Issues that report CI failures are not either.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from infra_digest.models import Change, DayContext, FileChange, Issue, ItemKey, PullRequest, Release, RepoDay

Item = Change | PullRequest | Issue

FLAG_ORDER = ("security", "release", "crash", "regression", "breaking", "default-change")
FLAG_POINTS: Mapping[str, int] = {"security": 40, "release": 35, "crash": 25, "regression": 25, "breaking": 20,
                                  "default-change": 15}
TYPE_POINTS: Mapping[str, int] = {"perf": 8, "feature": 6, "fix": 6, "revert": 4, "refactor": 2, "build": 1,
                                  "bug": 8, "feature-request": 2, "roadmap": 2}
NOT_HIGHLIGHTED_TYPES = frozenset({"ci", "test", "docs", "ci-failure"})
HARDWARE_POINTS, PRECISION_POINTS, MODEL_POINTS, KERNEL_POINTS = 10, 10, 4, 12
LINK_POINTS, CROSS_REPO_POINTS, SYMPTOM_LINK_POINTS, MAX_LINK_POINTS = 8, 4, 3, 24
NEW_PR_POINTS = -6            # a pull request still open is a proposal
PRERELEASE_POINTS = -15       # a release candidate or beta: a candidate, below a release
NOTES_POINTS = 4              # a release whose notes list several items (a real release, not a bare tag)
CANDIDATE_MIN = 12            # below this an item is not worth a highlight even on a quiet day
HIGHLIGHT_MIN = 24            # items at or above it are highlights (up to MAX_HIGHLIGHTS)
MIN_HIGHLIGHTS, MAX_HIGHLIGHTS = 3, 8

# What a changed file is: the real code ("source"), or one of the kinds that never make a highlight.
_ROLE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("ci", re.compile(r"(^|/)(\.github|\.buildkite|\.circleci|\.gitlab|ci|\.ci|jenkins)/|(^|/)\.gitlab-ci\.yml$|"
                      r"(^|/)(Jenkinsfile|\.pre-commit-config\.yaml|codecov\.yml|\.travis\.yml)$", re.I)),
    ("test", re.compile(r"(^|/)(tests?|testing|unittests?|__tests__)/|(^|/)(test_[^/]*|[^/]*_tests?\.[a-z]+|"
                        r"conftest\.py)$", re.I)),
    ("docs", re.compile(r"(^|/)(docs?|documentation)/|\.(md|rst|txt|adoc)$|(^|/)(README|CHANGELOG|LICENSE|"
                        r"CODEOWNERS)[^/]*$", re.I)),
    ("bench", re.compile(r"(^|/)(bench|benchmarks?|perf_tests?)/|(^|/)bench_[^/]*$|(^|/)benchmark_[^/]*$", re.I)),
    ("generated", re.compile(r"(^|/)(generated|_generated|third_party|vendor)/|_pb2(_grpc)?\.py$|\.(lock|svg|png|"
                             r"jpg|gif|ipynb|json|csv)$|(^|/)(package-lock\.json|uv\.lock|poetry\.lock|Cargo\.lock)$",
                             re.I)),
)
_KERNEL = re.compile(r"(^|/)csrc/|\.(cu|cuh|ptx|cl|metal|hip)$|(^|/)(kernels?|cute_dsl|cutlass|triton)[^/]*/|"
                     r"sm_?(80|89|90a?|100a?|103|110|120|121)", re.I)


def file_role(path: str) -> str:
    """"ci", "test", "docs", "bench", "generated" or "source" (everything else: code, build files, configs)."""
    for role, pattern in _ROLE_PATTERNS:
        if pattern.search(path or ""):
            return role
    return "source"


def source_files(files: Iterable[FileChange]) -> list[FileChange]:
    return [f for f in files if file_role(f.filename) == "source"]


def main_source_file(change: Change) -> FileChange | None:
    """The largest file of the change that is real code (not a test, CI, docs, benchmark or generated file); None
    when none is known or the change has only one file (then the file says nothing the title does not)."""
    files = [f for c in _units(change) for f in c.files]
    ranked = sorted(source_files(files), key=lambda f: (-(f.additions + f.deletions), f.filename))
    return ranked[0] if ranked else None


def _units(change: Change) -> tuple[Change, ...]:
    return change.merged if change.is_merge and change.merged else (change,)


def real_size(change: Change) -> int | None:
    """Lines of real code changed (source files only); None when the files are not known. A change whose files
    are all known but counted in part (``files_more``) is measured on what is known, scaled up to its total."""
    units = _units(change)
    if not any(u.files for u in units):
        return None
    total = 0
    for u in units:
        known = sum(f.additions + f.deletions for f in u.files)
        src = sum(f.additions + f.deletions for f in source_files(u.files))
        total += round(src * (u.size / known)) if known and u.size > known else src
    return total


def only_auxiliary(change: Change) -> bool:
    """Whether every known file of the change is a test, CI, docs, benchmark or generated file."""
    files = [f for u in _units(change) for f in u.files]
    return bool(files) and not source_files(files) and not any(u.files_more for u in _units(change))


def touches_kernels(change: Change) -> bool:
    return any(_KERNEL.search(f.filename) for u in _units(change) for f in source_files(u.files))


@dataclass(frozen=True)
class Score:
    points: int
    reasons: tuple[str, ...]
    eligible: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"points": self.points, "reasons": list(self.reasons), "eligible": self.eligible}


def score_item(item: Item, links: Sequence[object] = ()) -> Score:
    """The explainable score of one item; ``links``: its links to other items (``relate.Link``)."""
    reasons: list[str] = []
    points = 0

    def add(name: str, n: int) -> None:
        nonlocal points
        if n:
            points += n
            reasons.append(f"{name}{n:+d}")

    labels = item.labels
    for flag in FLAG_ORDER:
        if flag in labels.flags:
            add(f"flag:{flag}", FLAG_POINTS[flag])
    if labels.hardware:
        add("hardware", HARDWARE_POINTS + 3 * min(len(labels.hardware) - 1, 2))
    if labels.precision:
        add("precision", PRECISION_POINTS + 3 * min(len(labels.precision) - 1, 2))
    if labels.models:
        add("model", MODEL_POINTS)
    add(f"type:{labels.change_type}", TYPE_POINTS.get(labels.change_type, 0))
    eligible = labels.change_type not in NOT_HIGHLIGHTED_TYPES
    why_not = f"type:{labels.change_type}" if not eligible else None
    if isinstance(item, Change):
        if touches_kernels(item):
            add("kernel", KERNEL_POINTS)
        size = real_size(item)
        if size is None and item.item_kind == "pull_request":
            size = item.size
        if size:
            add("size", min(20, round(6 * math.log10(1 + size))))
        if eligible and only_auxiliary(item):
            eligible, why_not = False, "files:tests/ci/docs/bench/generated only"
    elif isinstance(item, PullRequest):
        add("open-pr", NEW_PR_POINTS)
    link_points = 0
    for link in links:
        if getattr(link, "kind", "") == "same-symptom":  # a shared tag is weak evidence: a little, once per link
            link_points += SYMPTOM_LINK_POINTS
            continue
        link_points += LINK_POINTS + (CROSS_REPO_POINTS if getattr(link, "cross_repo", False) else 0)
    add("links", min(link_points, MAX_LINK_POINTS))
    if why_not:
        reasons.append(f"not-highlighted:{why_not}")
    return Score(points, tuple(reasons), eligible)


def score_release(rel: Release) -> Score:
    """A release of a watched project is a highlight candidate (flag ``release``); a pre-release less so; a
    nightly never (they are folded into one line of their repository)."""
    if rel.nightly:
        return Score(0, ("not-highlighted:nightly",), False)
    reasons = [f"flag:release+{FLAG_POINTS['release']}"]
    points = FLAG_POINTS["release"]
    if rel.prerelease:
        points += PRERELEASE_POINTS
        reasons.append(f"prerelease{PRERELEASE_POINTS:+d}")
    if rel.notes_items >= 3:
        points += NOTES_POINTS
        reasons.append(f"notes{NOTES_POINTS:+d}")
    return Score(points, tuple(reasons), True)


@dataclass(frozen=True)
class Highlight:
    item: Item | Release
    repo: RepoDay
    score: Score
    related: tuple[Item, ...] = ()   # items folded into this highlight (the same failure elsewhere, its fix, ...)
    links: tuple = ()                # the item's links (``relate.Link``), which say how the related items relate


@dataclass(frozen=True)
class Ranking:
    """Every item's score, the highlights and the order of the repositories."""

    scores: Mapping[ItemKey, Score]
    highlights: tuple[Highlight, ...]
    candidates: int
    repo_order: tuple[str, ...]
    links: Mapping[ItemKey, tuple] = field(default_factory=dict)

    def score(self, item: Item) -> Score:
        return self.scores.get(item.key, Score(0, ()))

    def ranked(self, items: Iterable[Item]) -> list[Item]:
        """``items`` most important first (ties keep their order)."""
        return sorted(items, key=lambda i: -self.score(i).points)

    def as_stats(self) -> dict[str, object]:
        return {
            "highlights": [{"item": " ".join(h.item.key), "points": h.score.points, "reasons": list(h.score.reasons),
                            "related": [" ".join(r.key) for r in h.related]} for h in self.highlights],
            "candidates": self.candidates,
            "repo_order": list(self.repo_order),
        }


def rank_day(ctx: DayContext, links: Mapping[ItemKey, Sequence[object]] | None = None) -> Ranking:
    """Score every item, pick the highlights (most important first, related items folded into the first of them)
    and order the repositories by the importance of their day. ``links``: per item key, its links (``relate``)."""
    links = links or {}
    scores: dict[ItemKey, Score] = {}
    entries: list[tuple[Item | Release, RepoDay]] = []
    for r in ctx.repos:
        for rel in r.releases:  # a repository opens with its releases
            scores[rel.key] = score_release(rel)
            entries.append((rel, r))
        for item in r.items():
            scores[item.key] = score_item(item, links.get(item.key, ()))
            entries.append((item, r))
    position = {id(item): n for n, (item, _) in enumerate(entries)}
    candidates = [(i, r) for i, r in entries if scores[i.key].eligible and scores[i.key].points >= CANDIDATE_MIN]
    candidates.sort(key=lambda e: (-scores[e[0].key].points, position[id(e[0])]))
    by_key = {i.key: (i, r) for i, r in candidates}
    taken: set[ItemKey] = set()
    highlights: list[Highlight] = []
    for item, repo in candidates:
        if item.key in taken:
            continue
        if len(highlights) >= MAX_HIGHLIGHTS:
            break
        if len(highlights) >= MIN_HIGHLIGHTS and scores[item.key].points < HIGHLIGHT_MIN:
            break
        related = []
        for link in links.get(item.key, ()):
            other = by_key.get(getattr(link, "other", None))
            foldable = getattr(link, "kind", "") != "same-symptom" or (other and isinstance(other[0], Issue)
                                                                        and isinstance(item, Issue))
            if other and foldable and other[0].key not in taken and other[0].key != item.key:
                related.append(other[0])
        taken.add(item.key)
        taken.update(o.key for o in related)
        highlights.append(Highlight(item, repo, scores[item.key], tuple(related[:3]), tuple(links.get(item.key, ()))))

    def weight(r: RepoDay) -> tuple:
        pts = sorted((scores[i.key].points for i in (*r.releases, *r.items())), reverse=True)
        st = "active" if r.status == "quiet" and (r.releases or r.hot or r.first_timers) else r.status
        status = {"active": 0, "failed": 1, "unknown": 2, "quiet": 3}.get(st, 3)
        return (status, -(sum(pts[:5]) + (pts[0] if pts else 0)))

    order = tuple(r.repo for r in sorted(ctx.repos, key=weight))
    return Ranking(scores, tuple(highlights), len(candidates), order, dict(links))
