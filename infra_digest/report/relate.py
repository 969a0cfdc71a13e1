"""Links between the items of a day, each backed by data. Pure: a day's context in, links out.

- ``fixes`` / ``closes``: "Fixes #N", "Closes owner/repo#N", "Resolves <issue URL>" in a title, body or commit message;
- ``reverts``: a change titled 'Revert "X"' and the change of the day titled X;
- ``mentions``: any other reference "#N", "owner/repo#N" or a GitHub issue/PR URL of a watched repository;
- ``same-author``: the same GitHub login in several repositories on the day (a name alone is not enough);
- ``same-symptom``: two problem items (bug reports, CI failures, fixes, reverts, crash or regression flags), one of
  them an issue, sharing a hardware tag and a precision tag.

A reference resolves to an item of the day (a commit's ``(#N)`` pull request, a merged or new PR, an issue). A
reference to an item the day does not hold becomes a link only when it was written as a full GitHub URL of a
watched repository (``Link.url``); a bare "#N" that the day does not hold is dropped. An item's own PR number is
not a reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from infra_digest.derive import references
from infra_digest.models import Change, DayContext, Issue, ItemKey, PullRequest

Item = Change | PullRequest | Issue

KINDS = ("fixes", "closes", "mentions", "reverts", "fixed-by", "closed-by", "mentioned-by", "reverted-by", "same-author",
         "same-symptom")
_REVERSE = {"fixes": "fixed-by", "closes": "closed-by", "mentions": "mentioned-by", "reverts": "reverted-by"}
MAX_LINKS_PER_ITEM = 4
MAX_PAIRED = 200              # pairwise links (same author, same symptom) consider at most this many items: linear bound
SCAN_CHARS, MAX_REFS_READ = references.SCAN_CHARS, references.MAX_REFS_READ


@dataclass(frozen=True)
class Link:
    src: ItemKey
    kind: str                      # one of KINDS
    other: ItemKey | None          # the linked item of the day, or None for a URL outside the day
    evidence: str                  # what in the data backs it ("Fixes #12", "author x", "SM120+FP4")
    url: str | None = None         # the GitHub URL of a watched repository's item the day does not hold
    label: str = ""                # how the report names the target ("#12", "sglang #12")
    cross_repo: bool = False


def _number_index(ctx: DayContext) -> dict[tuple[str, int], Item]:
    index: dict[tuple[str, int], Item] = {}
    for r in ctx.repos:
        for item in r.items():
            n = item.pr_number if isinstance(item, Change) else item.number
            if n:
                index.setdefault((r.repo.lower(), n), item)
    return index


def _own_number(item: Item) -> int | None:
    return item.pr_number if isinstance(item, Change) else item.number


def _texts(item: Item) -> Iterable[str]:
    yield item.title or ""
    for part in (getattr(item, "body", None), getattr(item, "message", None)):
        if part:
            yield part
    if isinstance(item, Change):
        for inner in item.merged:
            yield inner.title or ""


def _label(item: Item, from_repo: str) -> str:
    n = _own_number(item)
    ref = f"#{n}" if n else (item.short_sha if isinstance(item, Change) else item.id) or item.id
    return ref if item.repo == from_repo else f"{item.repo.split('/')[1]} {ref}"


def explicit_links(ctx: DayContext, watched: Iterable[str] | None = None) -> list[Link]:
    """References written in titles, bodies and commit messages."""
    watched_set = {w.lower() for w in (watched if watched is not None else (r.repo for r in ctx.repos))}
    canonical = {r.repo.lower(): r.repo for r in ctx.repos}
    index = _number_index(ctx)
    out: list[Link] = []
    for r in ctx.repos:
        for item in r.items():
            own = _own_number(item)
            seen: set[tuple] = set()
            for ref in references.scan(_texts(item), r.repo, own):
                target = index.get((ref.repo, ref.number))
                if target is not None and target.key != item.key:
                    key = ("item", target.key)
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(Link(item.key, ref.kind, target.key, ref.evidence, None,
                                    _label(target, r.repo), target.repo != r.repo))
                elif target is None and ref.url_repo and ref.repo in watched_set:
                    full = canonical.get(ref.repo, ref.url_repo)
                    url = f"https://github.com/{full}/{'pull' if ref.pull_url else 'issues'}/{ref.number}"
                    if ("url", url) in seen:
                        continue
                    seen.add(("url", url))
                    label = f"#{ref.number}" if ref.repo == r.repo.lower() else f"{full.split('/')[1]} #{ref.number}"
                    out.append(Link(item.key, ref.kind, None, ref.evidence, url, label, ref.repo != r.repo.lower()))
    return out


def revert_links(ctx: DayContext) -> list[Link]:
    """A change titled 'Revert "X"' reverts the change of the same repository and day titled X."""
    out = []
    for r in ctx.repos:
        changes = {c.key: c for c in r.changes}
        for src, target in references.revert_pairs((c.key, c.title) for c in r.changes):
            c = changes[src]
            out.append(Link(c.key, "reverts", target, (c.title or "")[:80], None, _label(changes[target], r.repo), False))
    return out


def _identity(item: Item) -> tuple[str, str] | None:
    """A GitHub login; names (of commits without a login) are not unique enough to link items by."""
    if not item.author or not item.author_is_login:
        return None
    return ("login", item.author.casefold())


def author_links(ctx: DayContext) -> list[Link]:
    """Items by the same author in several repositories on the day (both ways)."""
    by_author: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for r in ctx.repos:
        for item in r.items():
            ident = _identity(item)
            if ident and ident[1] not in ("web-flow", "github"):
                by_author[ident].append(item)
    out = []
    for ident, items in by_author.items():
        if len({i.repo for i in items}) < 2:
            continue
        items = items[:MAX_PAIRED // 10]
        for a in items:
            for b in items:
                if a.repo != b.repo:
                    out.append(Link(a.key, "same-author", b.key, f"author {ident[1]}", None, _label(b, a.repo), True))
    return out


def _problem(item: Item) -> bool:
    flags = set(item.labels.flags)
    if flags & {"crash", "regression"}:
        return True
    if isinstance(item, Issue):
        return item.labels.change_type in ("bug", "ci-failure")
    return item.labels.change_type in ("fix", "revert")


def symptom_links(ctx: DayContext) -> list[Link]:
    """Problem items sharing a hardware tag and a precision tag, at least one of each pair an issue."""
    items = [i for r in ctx.repos for i in r.items() if _problem(i) and i.labels.hardware and i.labels.precision][:MAX_PAIRED]
    out = []
    for a in items:
        for b in items:
            if a.key == b.key or not (isinstance(a, Issue) or isinstance(b, Issue)):
                continue
            hw = sorted(set(a.labels.hardware) & set(b.labels.hardware))
            prec = sorted(set(a.labels.precision) & set(b.labels.precision))
            if hw and prec:
                out.append(Link(a.key, "same-symptom", b.key, "+".join([*hw, *prec]), None, _label(b, a.repo),
                                a.repo != b.repo))
    return out


def relate_day(ctx: DayContext, watched: Iterable[str] | None = None) -> dict[ItemKey, tuple[Link, ...]]:
    """Per item key, its links (explicit references both ways, same author, same symptom), one per linked item,
    the strongest kind first, at most ``MAX_LINKS_PER_ITEM``."""
    explicit = [*explicit_links(ctx, watched), *revert_links(ctx)]
    reverse = [Link(link.other, _REVERSE[link.kind], link.src,
                    link.evidence, None, "", link.cross_repo) for link in explicit if link.other is not None]
    items = {i.key: i for _, i in ctx.items()}
    reverse = [Link(lk.src, lk.kind, lk.other, lk.evidence, None, _label(items[lk.other], lk.src[0]), lk.cross_repo)
               for lk in reverse]
    rank = {k: n for n, k in enumerate(("reverts", "reverted-by", "fixes", "fixed-by", "closes", "closed-by", "mentions", "mentioned-by",
                                        "same-author", "same-symptom"))}
    by_src: dict[ItemKey, dict[object, Link]] = defaultdict(dict)
    for link in sorted([*explicit, *reverse, *symptom_links(ctx), *author_links(ctx)], key=lambda lk: rank.get(lk.kind, 9)):
        target = link.other or link.url
        by_src[link.src].setdefault(target, link)
    return {src: tuple(list(links.values())[:MAX_LINKS_PER_ITEM]) for src, links in by_src.items()}


def links_as_stats(links: Mapping[ItemKey, tuple[Link, ...]]) -> list[dict[str, str]]:
    return [{"from": " ".join(lk.src), "kind": lk.kind, "to": " ".join(lk.other) if lk.other else lk.url or "",
             "evidence": lk.evidence} for src in links for lk in links[src]]
