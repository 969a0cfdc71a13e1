"""The listings the GitHub source reads, as generators over a :class:`GitHubClient`, with their stop rules.

``commit``  ``GET /repos/{o}/{r}/commits?sha=<branch>&since=<start>&until=<end>&per_page=100`` (all pages);
            then ``GET /repos/{o}/{r}/commits/{sha}`` per kept commit (stats + files). A commit's file list
            comes 300 files a page: the pages named by the ``Link`` header are fetched and their ``files``
            appended to the first page's object, which is otherwise unchanged. GitHub lists at most 3000 files.
``issue``   ``GET /repos/{o}/{r}/issues?state=all&sort=created&direction=desc&per_page=100``: issues *and*
            pull requests (``pull_request`` key), newest created first. Paging stops after the first page that
            reaches an item created before the range start, so the cost is the pages of items created since
            the range start. ``since`` is not sent: it filters by ``updated_at``, which would not remove a
            single item before that stopping point (updated_at >= created_at).
``pull``    ``GET /repos/{o}/{r}/pulls?state=closed&sort=updated&direction=desc&per_page=100``, stopped the
            same way at the first page reaching ``updated_at`` < range start (merging a PR updates it, so every
            PR merged in the range is before that point). Only merged ones are yielded.
``release`` ``GET /repos/{o}/{r}/releases?per_page=100`` (newest created first), stopped at the first page
            reaching a release created more than 30 days before the range start (see ``RELEASE_GRACE``).

Items are yielded as the API sent them (validation is the source's job). A listing that the repository does not
offer (an empty repository, issues disabled...) raises :class:`Unavailable`, whose text is the note to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from infra_digest.sources.github.client import GitHubClient, GitHubFetchError, GitHubHTTPError, next_link
from infra_digest.watchlist import RepoSpec

MAX_COMMIT_FILES = 3000  # GitHub lists at most 3000 files of a commit (300 a page)


class Unavailable(Exception):
    """This repository does not offer the listing; ``str()`` is the note for every requested day."""


class BranchNotFound(GitHubFetchError):
    """The commit listing said 404 because the branch, not the repository, is missing."""


@dataclass(frozen=True)
class CommitDetail:
    url: str
    body: Any  # as sent (an object, if the server behaves)
    truncated: bool  # GitHub's 3000-file cap was reached


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_base(client: GitHubClient, repo: RepoSpec) -> str:
    return f"{client.api_url}/repos/{repo.owner}/{repo.short}"


def _numbered(pages: Iterable[list[Any]]) -> Iterator[dict[str, Any]]:
    """The items of issue/PR listing pages, once each by number (a page boundary that shifts between requests
    can repeat an item). Anything without a hashable number is passed on (the source's validation names it)."""
    seen: set[Any] = set()
    for page in pages:
        for item in page:
            num = item.get("number") if isinstance(item, dict) else None
            key = num if isinstance(num, (int, str)) and not isinstance(num, bool) else None
            if key is None:
                yield item
            elif key not in seen:
                seen.add(key)
                yield item


def commits(client: GitHubClient, repo: RepoSpec, start: dt.datetime, end: dt.datetime, per_page: int) -> Iterator[tuple[str, Any]]:
    """(page URL, item) of the commit listing of ``repo.branch`` in [start, end], once each by sha."""
    base = repo_base(client, repo)
    url = f"{base}/commits?{urlencode({'sha': repo.branch, 'since': _iso(start), 'until': _iso(end), 'per_page': per_page})}"
    seen: set[str] = set()
    try:
        for page in client.pages(url):
            for item in page:
                sha = item.get("sha") if isinstance(item, dict) else None
                if isinstance(sha, str):
                    if sha in seen:
                        continue
                    seen.add(sha)
                yield url, item
    except GitHubHTTPError as exc:
        if exc.status == 409:  # "Git Repository is empty."
            raise Unavailable(f"{repo.repo}: the repository is empty (GitHub returned 409 for the commit listing)") from None
        if exc.status == 404:
            _explain_404(client, repo, base)
        raise


def _explain_404(client: GitHubClient, repo: RepoSpec, base: str) -> None:
    """The commit listing said 404: a missing branch, or a missing repository? One request to tell."""
    try:
        info, _ = client.get(base)
    except GitHubFetchError:
        return  # the repository itself is not there: the 404 message says so
    default = info.get("default_branch") if isinstance(info, dict) else None
    if isinstance(default, str) and default and default != repo.branch:
        raise BranchNotFound(
            f"GitHub returned 404 for {repo.repo}: branch {repo.branch!r} not found (the default branch is "
            f"{client.redact(default, 100)!r}); fix the branch in the watchlist"
        ) from None


def issues(client: GitHubClient, repo: RepoSpec, start: dt.datetime, per_page: int) -> Iterator[tuple[str, Any]]:
    """(listing URL, item) of issues and pull requests created since ``start`` (and the few older ones on the
    last page read), newest created first, once each by number."""
    url = f"{repo_base(client, repo)}/issues?{urlencode({'state': 'all', 'sort': 'created', 'direction': 'desc', 'per_page': per_page})}"
    try:
        for item in _numbered(client.pages(url, stop_key="created_at", start=start)):
            yield url, item
    except GitHubHTTPError as exc:
        if exc.status in (404, 410):  # issues disabled (410); the repository itself answered the commit listing
            raise Unavailable(f"{repo.repo}: issues are not available (GitHub returned {exc.status} for the issue listing)") from None
        raise


def merged_pulls(client: GitHubClient, repo: RepoSpec, start: dt.datetime, per_page: int) -> Iterator[tuple[str, Any]]:
    """(listing URL, item) of closed pull requests with a ``merged_at``, updated since ``start`` (and a few older)."""
    url = f"{repo_base(client, repo)}/pulls?{urlencode({'state': 'closed', 'sort': 'updated', 'direction': 'desc', 'per_page': per_page})}"
    try:
        for item in _numbered(client.pages(url, stop_key="updated_at", start=start)):
            if not isinstance(item, dict) or item.get("merged_at"):
                yield url, item
    except GitHubHTTPError as exc:
        if exc.status in (404, 410):  # the repository answered the commit listing: the endpoint is missing
            raise Unavailable(
                f"{repo.repo}: merged pull requests are not available (GitHub returned {exc.status} for the pull request listing)"
            ) from None
        raise


#: releases are listed newest created first; a release published in the range may have been created (as a draft,
#: or for an older tag) up to this long before the range start and is still found
RELEASE_GRACE = dt.timedelta(days=30)


def releases(client: GitHubClient, repo: RepoSpec, start: dt.datetime, per_page: int) -> Iterator[tuple[str, Any]]:
    """(listing URL, item) of ``GET /repos/{o}/{r}/releases``, newest created first, up to the first page reaching
    a release created more than :data:`RELEASE_GRACE` before ``start``. Drafts included (the source drops them)."""
    url = f"{repo_base(client, repo)}/releases?{urlencode({'per_page': per_page})}"
    try:
        for page in client.pages(url, stop_key="created_at", start=start - RELEASE_GRACE):
            for item in page:
                yield url, item
    except GitHubHTTPError as exc:
        if exc.status in (404, 410):
            raise Unavailable(f"{repo.repo}: releases are not available (GitHub returned {exc.status} for the release listing)") from None
        raise


def commit_detail(client: GitHubClient, repo: RepoSpec, sha: str) -> CommitDetail:
    """``GET /repos/{o}/{r}/commits/{sha}`` with every page of its files. ``sha`` must be validated already."""
    url = f"{repo_base(client, repo)}/commits/{sha}"
    body, link = client.get(url, immutable=True)
    if not isinstance(body, dict):
        raise GitHubFetchError(f"GET {client.path_of(url)} returned {type(body).__name__}, not an object")
    first = body.get("files")
    files = list(first) if isinstance(first, list) else []
    seen = {url}
    next_url = client.follow(next_link(link))
    paged = False
    while next_url and next_url not in seen:
        seen.add(next_url)
        page, link = client.get(next_url, immutable=True)
        paged = True
        more = page.get("files") if isinstance(page, dict) else None
        if isinstance(more, list):
            files.extend(more)
        next_url = client.follow(next_link(link))
    if paged:
        body = {**body, "files": files}
    return CommitDetail(url, body, len(files) >= MAX_COMMIT_FILES)
