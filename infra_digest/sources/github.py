"""The live GitHub REST source: complete per day, frugal with the API, and robust to GitHub's bad days.

Per repository and requested range of days (one listing per endpoint for the whole range
``[first day 00:00, last day + 1 00:00)``, split by day afterwards):

``commit``  ``GET /repos/{o}/{r}/commits?sha=<branch>&since=<start>&until=<end>&per_page=100`` (all pages),
            kept when the *committer* date falls in a requested day; then ``GET /repos/{o}/{r}/commits/{sha}``
            per kept commit (stats + files). A commit's file list comes 300 files a page: the pages named by
            the ``Link`` header are fetched and their ``files`` appended to the first page's object, which is
            otherwise unchanged. GitHub lists at most 3000 files; a commit with that many gets a note
            ``commit <sha>: file list truncated by GitHub at 3000 files`` in its day's batch.
``issue``   ``GET /repos/{o}/{r}/issues?state=all&sort=created&direction=desc&per_page=100``: issues *and*
            pull requests (``pull_request`` key), newest created first. Paging stops after the first page
            that reaches an item created before the range start (a page sorted newest first whose last
            dated item is older than the start), so the cost is the pages of items created since the range
            start. ``since`` is not sent: it filters by ``updated_at``, which would not remove a single item
            before that stopping point (updated_at >= created_at), so it saves nothing and only adds a way
            to be wrong. Kept: items created in a requested day. Items without ``created_at`` (never on
            github.com; seen in recorded data) are placed by ``provenance.created_date_from_archive`` if
            present, else by their number between dated neighbours (issue numbers grow with creation time),
            else on the only requested day; each such placement is written to the day's notes.
``pull``    ``GET /repos/{o}/{r}/pulls?state=closed&sort=updated&direction=desc&per_page=100``, stopped the
            same way at the first page reaching ``updated_at`` < range start (merging a PR updates it, so
            every PR merged in the range is before that point). Kept: PRs whose ``merged_at`` is in a
            requested day. PRs *opened* in a day come through the issues listing.

HTTP: one ``requests.Session``; a timeout on every call; ``Authorization: Bearer <token>`` only when a token
is given and only to the API's own origin; conditional requests through an :class:`HttpCache`
(``If-None-Match`` / ``If-Modified-Since``; a 304 reuses the stored body and ``Link``). Commit details are
addressed by sha and never change, so a stored one is reused without any request (``reuse_immutable``).
Primary rate limit (``X-RateLimit-Remaining: 0``, before a request or on 403/429): wait until
``X-RateLimit-Reset`` with a message through ``log``, or fail the repository's days when the wait is longer than
``max_rate_limit_wait``. Secondary limits (403/429 with ``Retry-After``, or a "secondary rate limit"
message): wait ``Retry-After`` (at least 60 s when absent), bounded the same way. 5xx, connection errors,
timeouts and malformed JSON in a 200: bounded retries with exponential backoff and jitter. 401, 404, 422
(and other 4xx) end that repository's fetch: every requested day gets a batch with ``error`` set, and the
source goes on with the next repository. The token never appears in messages, logs, stats, notes,
the cache or recorded files.

Stats per batch (``DayBatch.stats``): ``requests`` (HTTP requests sent, retries included), ``not_modified``
(304s), ``retries``, ``cache_hits`` (immutable bodies reused with no request), ``rate_limit_waits``,
``commits``, ``issues``, ``pulls`` (events in the batch). The range-wide listing requests are counted
in the first batch yielded, each commit detail's requests in its own day's batch, so summing the batches
gives the repository's total.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.utils import parse_header_links

from infra_digest.sources import record as _record
from infra_digest.sources.base import DayBatch, RawEvent, day_bounds, parse_ts
from infra_digest.sources.http_cache import CachedResponse, HttpCache
from infra_digest.watchlist import RepoSpec

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
MAX_COMMIT_FILES = 3000  # GitHub lists at most 3000 files of a commit (300 a page)
TRUNCATION_NOTE = "commit {sha}: file list truncated by GitHub at 3000 files"
TRUNCATION_NOTE_RE = re.compile(r"^commit ([0-9a-f]{7,40}): file list truncated by GitHub")
_IMMUTABLE_RE = re.compile(r"/repos/[^/?#]+/[^/?#]+/commits/[0-9a-fA-F]{40}(?:[?#]|$)")


class GitHubFetchError(Exception):
    """Ends the fetch of one repository. ``str()`` is a clear, token-free, user-facing message."""


class GitHubHTTPError(GitHubFetchError):
    def __init__(self, status: int, path: str, gh_message: str) -> None:
        self.status = status
        self.path = path
        self.gh_message = gh_message
        super().__init__(f"GitHub returned {status} for GET {path}" + (f": {gh_message}" if gh_message else ""))


class RateLimitError(GitHubFetchError):
    """The rate limit needs a longer wait than allowed (``max_rate_limit_wait``)."""


class _Explained(GitHubFetchError):
    """An error whose message is already complete (names the repository)."""


@dataclass
class Counters:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    cache_hits: int = 0
    rate_limit_waits: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "not_modified": self.not_modified,
            "retries": self.retries,
            "cache_hits": self.cache_hits,
            "rate_limit_waits": self.rate_limit_waits,
        }


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_link(link: str | None) -> str | None:
    if not link:
        return None
    for part in parse_header_links(link):
        if "next" in str(part.get("rel", "")).split():
            return part.get("url")
    return None


def _numbered_items(pages: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The items of issue/PR listing pages, once each by number (a page boundary that shifts between requests
    can repeat an item); anything that is not an object with a number is skipped."""
    seen: set[Any] = set()
    for page in pages:
        for item in page:
            if isinstance(item, dict) and item.get("number") is not None and item["number"] not in seen:
                seen.add(item["number"])
                yield item


class GitHubClient:
    """The HTTP side: one session, conditional requests, rate limits, retries. One per source."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
        http_cache: HttpCache | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_rate_limit_wait: float = 900.0,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        reuse_immutable: bool = True,
        user_agent: str = "infra-digest",
    ) -> None:
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        split = urlsplit(self.api_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            from infra_digest.sources.base import SourceError

            raise SourceError(f"GitHub API URL {api_url!r} is not an http(s) URL (GITHUB_API_URL)")
        self._origin = (split.scheme, split.netloc)
        self._token = token or None
        self.cache = http_cache
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        self.max_limit_waits = max(3, max_retries)
        self._log = log or (lambda msg: _logger.warning("%s", msg))
        self.sleep = sleep
        self.clock = clock
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.reuse_immutable = reuse_immutable
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/vnd.github+json", "User-Agent": user_agent})
        self.rl_limit: int | None = None
        self.rl_remaining: int | None = None
        self.rl_reset: float | None = None

    # -- hygiene ---------------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        if self._token and self._token in text:
            text = text.replace(self._token, "***")
        return text

    def log(self, msg: str) -> None:
        self._log(self.redact(msg))

    def path_of(self, url: str) -> str:
        s = urlsplit(url)
        return s.path + (f"?{s.query}" if s.query else "")

    def _same_origin(self, url: str) -> bool:
        s = urlsplit(url)
        return (s.scheme, s.netloc) == self._origin

    def close(self) -> None:
        self.session.close()

    # -- rate limits -----------------------------------------------------------------------------------
    def _note_rate_limit(self, resp: requests.Response) -> None:
        h = resp.headers
        try:
            if "X-RateLimit-Remaining" in h:
                self.rl_remaining = int(h["X-RateLimit-Remaining"])
            if "X-RateLimit-Limit" in h:
                self.rl_limit = int(h["X-RateLimit-Limit"])
            if "X-RateLimit-Reset" in h:
                self.rl_reset = float(h["X-RateLimit-Reset"])
        except ValueError:
            pass

    def _wait(self, seconds: float, what: str, counters: Counters, until: str = "") -> None:
        """Wait ``seconds`` for a rate limit, with a visible message, or raise if longer than allowed."""
        seconds = max(0.0, seconds)
        if seconds > self.max_rate_limit_wait:
            when = f"; it resets {until}, in {seconds:.0f}s" if until else f"; GitHub asks to wait {seconds:.0f}s"
            raise RateLimitError(
                f"{what}{when}, longer than the allowed wait of {self.max_rate_limit_wait:.0f}s "
                "(max_rate_limit_wait). Re-run after that time"
            )
        counters.rate_limit_waits += 1
        self.log(f"{what}, waiting {seconds:.0f}s" + (f" until reset {until}" if until else ""))
        self.sleep(seconds)

    def _primary_wait(self, counters: Counters) -> None:
        """Before a request: if the primary limit is used up and not yet reset, wait (or fail)."""
        if self.rl_remaining != 0 or self.rl_reset is None:
            return
        now = self.clock()
        if self.rl_reset <= now:
            self.rl_remaining = None
            return
        seconds = self.rl_reset - now + 1.0  # one second of margin for clock skew
        reset = dt.datetime.fromtimestamp(self.rl_reset, dt.timezone.utc).strftime("at %Y-%m-%d %H:%M:%S UTC")
        limit = f" of {self.rl_limit}" if self.rl_limit is not None else ""
        self._wait(seconds, f"GitHub rate limit exhausted (0{limit} requests left)", counters, reset)
        self.rl_remaining = None

    def _limit_wait(self, resp: requests.Response, gh_message: str, counters: Counters) -> bool:
        """A 403/429 that is a rate limit: wait (or raise RateLimitError) and return True; else False."""
        h = resp.headers
        if h.get("X-RateLimit-Remaining") == "0" and h.get("X-RateLimit-Reset"):
            if self.rl_reset is not None and self.rl_reset <= self.clock():
                # reset already passed (clock skew): a short pause, then try again
                self._wait(1.0, f"GitHub rate limit exhausted ({resp.status_code}), reset time already passed", counters)
            else:
                self._primary_wait(counters)
            return True
        retry_after = h.get("Retry-After")
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = 60.0
            self._wait(seconds, f"GitHub secondary rate limit ({resp.status_code}, Retry-After: {retry_after})", counters)
            return True
        if resp.status_code == 429 or "rate limit" in gh_message.lower():
            self._wait(60.0, f"GitHub secondary rate limit ({resp.status_code}, no Retry-After)", counters)
            return True
        return False

    # -- requests --------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)

    @staticmethod
    def _gh_message(resp: requests.Response) -> str:
        try:
            data = resp.json()
            msg = data.get("message") if isinstance(data, dict) else None
        except ValueError:
            msg = None
        if not msg:
            msg = resp.reason or ""
        return str(msg)[:300]

    def get(self, url: str, counters: Counters, *, immutable: bool = False) -> tuple[Any, str | None]:
        """GET ``url`` and return (parsed JSON body, Link header). Raises :class:`GitHubFetchError`."""
        cached: CachedResponse | None = self.cache.get(url) if self.cache is not None else None
        if cached is not None and cached.body is None:
            cached = None
        if immutable and self.reuse_immutable and cached is not None:
            counters.cache_hits += 1
            return cached.body, cached.link
        path = self.path_of(url)
        retries = 0
        limit_waits = 0
        while True:
            self._primary_wait(counters)
            headers: dict[str, str] = {}
            if cached is not None:
                if cached.etag:
                    headers["If-None-Match"] = cached.etag
                if cached.last_modified:
                    headers["If-Modified-Since"] = cached.last_modified
            if self._token and self._same_origin(url):
                headers["Authorization"] = f"Bearer {self._token}"
            counters.requests += 1
            problem: str
            try:
                resp = self.session.get(url, headers=headers, timeout=self.timeout, allow_redirects=True)
            except requests.Timeout:
                problem = f"no response within {self.timeout:g}s (timeout)"
            except requests.ConnectionError as exc:
                problem = f"connection error ({type(exc).__name__})"
            except requests.RequestException as exc:
                problem = f"request failed ({type(exc).__name__})"
            else:
                self._note_rate_limit(resp)
                status = resp.status_code
                if status == 304 and cached is not None:
                    counters.not_modified += 1
                    return cached.body, cached.link
                if 200 <= status < 300:
                    try:
                        body = resp.json()
                    except ValueError:
                        problem = f"malformed JSON in a {status} response"
                    else:
                        link = resp.headers.get("Link")
                        if self.cache is not None and (resp.headers.get("ETag") or resp.headers.get("Last-Modified") or immutable):
                            self.cache.put(url, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), body, link)
                        return body, link
                elif status in (403, 429):
                    gh_message = self._gh_message(resp)
                    if self._limit_wait(resp, gh_message, counters):
                        limit_waits += 1
                        if limit_waits > self.max_limit_waits:
                            raise RateLimitError(
                                f"GitHub kept answering {status} (rate limited) for GET {path} after {limit_waits - 1} waits"
                            )
                        continue
                    raise GitHubHTTPError(status, path, self.redact(gh_message))
                elif status >= 500:
                    problem = f"{status} {resp.reason or ''}".strip()
                else:
                    raise GitHubHTTPError(status, path, self.redact(self._gh_message(resp)))
            if retries >= self.max_retries:
                raise GitHubFetchError(f"GET {path} failed after {retries} retries: {problem}")
            delay = self._backoff(retries)
            retries += 1
            counters.retries += 1
            self.log(f"GitHub GET {path}: {problem}; retry {retries}/{self.max_retries} in {delay:.1f}s")
            self.sleep(delay)

    def pages(
        self, url: str, counters: Counters, *, stop_key: str | None = None, start: dt.datetime | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield each page (a JSON list) of a listing, following ``Link: rel="next"``.

        With ``stop_key``/``start``: stop after a page that is sorted newest first by ``stop_key`` and whose last
        dated item is older than ``start`` (the listing must be requested with that sort, descending).
        """
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and next_url not in seen:
            seen.add(next_url)
            body, link = self.get(next_url, counters)
            if not isinstance(body, list):
                raise GitHubFetchError(f"GET {self.path_of(next_url)} returned {type(body).__name__}, not a list")
            yield body
            if stop_key and start is not None and body:
                stamps = [parse_ts(it.get(stop_key)) for it in body if isinstance(it, dict)]
                dated = [t for t in stamps if t is not None]
                if dated and dated[-1] < start and all(a >= b for a, b in zip(dated, dated[1:])):
                    return
            next_url = _next_link(link)


# ----------------------------------------------------------------------------------------------------------
@dataclass
class _Day:
    day: dt.date
    commits_list: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    error: str | None = None


class GitHubSource:
    """:class:`~infra_digest.sources.base.Source` reading github.com (or GitHub Enterprise, or a fake) over REST."""

    name = "github"

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
        http_cache: HttpCache | None = None,
        record_dir: str | Path | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_rate_limit_wait: float = 900.0,
        per_page: int = 100,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        tz: dt.tzinfo = dt.timezone.utc,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        reuse_immutable: bool = True,
    ) -> None:
        self.client = GitHubClient(
            api_url,
            token,
            http_cache=http_cache,
            timeout=timeout,
            max_retries=max_retries,
            max_rate_limit_wait=max_rate_limit_wait,
            log=log,
            sleep=sleep,
            clock=clock,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            reuse_immutable=reuse_immutable,
        )
        self.api_url = self.client.api_url
        self.http_cache = http_cache
        self.record_dir = Path(record_dir) if record_dir else None
        self.per_page = max(1, min(100, int(per_page)))
        self.tz = tz

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubSource(api_url={self.api_url!r}, token={'***' if self.client._token else None})"

    def close(self) -> None:
        self.client.close()

    # -- the Source interface --------------------------------------------------------------------------
    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        days = list(days)
        if not days:
            return
        try:
            per_day, range_counters = self._fetch(repo, days)
        except Exception as exc:  # never raise for one repository
            msg = self.client.redact(f"{repo.repo}: unexpected error while reading GitHub: {type(exc).__name__}: {exc}")
            _logger.error("%s", msg, exc_info=_logger.isEnabledFor(logging.DEBUG))
            per_day = {d: _Day(d, error=msg) for d in days}
            range_counters = Counters()
        finally:
            self._flush_cache()
        first = True
        for d in days:
            data = per_day[d]
            counters = data.counters
            stats = counters.as_dict()
            if first:
                for k, v in range_counters.as_dict().items():
                    stats[k] += v
                first = False
            events = (
                [RawEvent("commit", sha, data.details[sha]) for sha in (c["sha"] for c in data.commits_list) if sha in data.details]
                + [RawEvent("issue", str(it["number"]), it) for it in data.issues]
                + [RawEvent("pull", str(it["number"]), it) for it in data.pulls]
            )
            stats.update(commits=len(data.details), issues=len(data.issues), pulls=len(data.pulls))
            yield DayBatch(
                repo=repo.repo,
                day=d,
                events=events,
                error=data.error,
                notes=[self.client.redact(n) for n in data.notes],
                stats=stats,
            )

    def _flush_cache(self) -> None:
        flush = getattr(self.http_cache, "flush", None)
        if flush is None:
            return
        try:
            flush()
        except Exception as exc:  # a busy database must not lose the fetched data
            self.client.log(f"could not save HTTP validators to the database: {type(exc).__name__}: {exc}")

    # -- the work --------------------------------------------------------------------------------------
    def _day_of(self, value: str | None) -> dt.date | None:
        ts = parse_ts(value)
        return ts.astimezone(self.tz).date() if ts else None

    def _error_message(self, repo: RepoSpec, exc: GitHubFetchError, stage: str) -> str:
        if isinstance(exc, GitHubHTTPError):
            if exc.status == 401:
                if self.client._token:
                    return (
                        f"GitHub returned 401 for {repo.repo}: bad credentials; the token (GITHUB_TOKEN) was rejected, "
                        "has expired or was revoked"
                    )
                return f"GitHub returned 401 for {repo.repo}: authentication required; set GITHUB_TOKEN"
            if exc.status == 404:
                return (
                    f"GitHub returned 404 for {repo.repo}: the repository was renamed, deleted or is private "
                    "(or the token cannot see it); check the watchlist"
                )
            if exc.status == 422:
                return f"GitHub returned 422 for {repo.repo} ({stage}, GET {exc.path}): the request was rejected as invalid: {exc.gh_message}"
            if exc.status == 403:
                return f"GitHub returned 403 for {repo.repo} ({stage}, GET {exc.path}): access forbidden: {exc.gh_message}"
            return f"GitHub returned {exc.status} for {repo.repo} ({stage}, GET {exc.path}): {exc.gh_message}"
        if isinstance(exc, _Explained):
            return str(exc)
        if isinstance(exc, RateLimitError):
            return f"{repo.repo} was not fetched completely: {exc}"
        return f"{repo.repo} could not be read from GitHub ({stage}): {exc}"

    def _fetch(self, repo: RepoSpec, days: list[dt.date]) -> tuple[dict[dt.date, _Day], Counters]:
        client = self.client
        wanted = sorted(set(days))
        per_day = {d: _Day(d) for d in wanted}
        start = day_bounds(wanted[0], self.tz)[0]
        end = day_bounds(wanted[-1], self.tz)[1]
        base = f"{self.api_url}/repos/{repo.owner}/{repo.short}"
        rc = Counters()

        def fail_all(msg: str, only: Sequence[dt.date] | None = None) -> None:
            for d in only if only is not None else wanted:
                if per_day[d].error is None:
                    per_day[d].error = client.redact(msg)

        # 1) the three range-wide listings
        stage = "commit listing"
        try:
            commits = self._list_commits(repo, base, start, end, rc, per_day)
            stage = "issue listing"
            issues, issue_notes = self._list_issues(repo, base, start, wanted, rc)
            stage = "pull request listing"
            pull_notes: list[str] = []
            pulls = self._list_pulls(repo, base, start, rc, pull_notes)
        except GitHubFetchError as exc:
            fail_all(self._error_message(repo, exc, stage))
            return per_day, rc

        for item in commits:
            per_day[item["_day"]].commits_list.append(item["item"])
        for day, note in issue_notes:
            per_day[day].notes.append(note)
        for note in pull_notes:
            for data in per_day.values():
                data.notes.append(note)
        for day, item in issues:
            per_day[day].issues.append(item)
        for item in pulls:
            d = self._day_of(item.get("merged_at"))
            if d in per_day:
                per_day[d].pulls.append(item)

        # 2) commit details, day by day; a failure ends the repository: that day and the later ones fail
        for i, d in enumerate(wanted):
            data = per_day[d]
            for item in data.commits_list:
                sha = item["sha"]
                try:
                    detail, truncated = self._commit_detail(base, sha, data.counters)
                except GitHubFetchError as exc:
                    fail_all(self._error_message(repo, exc, f"commit {sha[:12]}"), wanted[i:])
                    return per_day, rc
                data.details[sha] = detail
                if truncated:
                    data.notes.append(TRUNCATION_NOTE.format(sha=sha))

        # 3) record mode
        if self.record_dir is not None:
            for d in wanted:
                data = per_day[d]
                if data.error is not None:
                    continue
                try:
                    _record.write_day(
                        self.record_dir,
                        repo.repo,
                        d,
                        commits_list=data.commits_list,
                        commit_details=data.details,
                        issues=data.issues,
                        pulls=data.pulls,
                    )
                    _record.update_manifest(
                        self.record_dir,
                        repo.repo,
                        repo.branch,
                        d,
                        {"commits": len(data.details), "issues_json_items": len(data.issues), "pulls_json_items": len(data.pulls)},
                    )
                except OSError as exc:
                    data.notes.append(f"record mode: could not write {d} to {self.record_dir}: {exc}")
        return per_day, rc

    # -- listings --------------------------------------------------------------------------------------
    def _list_commits(
        self, repo: RepoSpec, base: str, start: dt.datetime, end: dt.datetime, counters: Counters, per_day: dict[dt.date, _Day]
    ) -> list[dict[str, Any]]:
        query = urlencode({"sha": repo.branch, "since": _iso(start), "until": _iso(end), "per_page": self.per_page})
        url = f"{base}/commits?{query}"
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        try:
            for page in self.client.pages(url, counters):
                for item in page:
                    sha = item.get("sha") if isinstance(item, dict) else None
                    if not sha or sha in seen:
                        continue
                    seen.add(sha)
                    commit = item.get("commit") or {}
                    when = (commit.get("committer") or {}).get("date") or (commit.get("author") or {}).get("date")
                    d = self._day_of(when)
                    if d in per_day:
                        out.append({"_day": d, "item": item})
        except GitHubHTTPError as exc:
            if exc.status == 409:  # "Git Repository is empty."
                for data in per_day.values():
                    data.notes.append(f"{repo.repo}: the repository is empty (GitHub returned 409 for the commit listing)")
                return []
            if exc.status == 404:
                self._explain_404(repo, base, counters, exc)
            raise
        return out

    def _explain_404(self, repo: RepoSpec, base: str, counters: Counters, exc: GitHubHTTPError) -> None:
        """The commit listing said 404: a missing branch, or a missing repository? One request to tell."""
        try:
            info, _ = self.client.get(base, counters)
        except GitHubFetchError:
            return  # the repository itself is not there: the 404 message says so
        default = info.get("default_branch") if isinstance(info, dict) else None
        if default and default != repo.branch:
            raise _Explained(
                f"GitHub returned 404 for {repo.repo}: branch {repo.branch!r} not found (the default branch is "
                f"{default!r}); fix the branch in the watchlist"
            ) from None

    def _list_issues(
        self, repo: RepoSpec, base: str, start: dt.datetime, wanted: list[dt.date], counters: Counters
    ) -> tuple[list[tuple[dt.date, dict[str, Any]]], list[tuple[dt.date, str]]]:
        query = urlencode({"state": "all", "sort": "created", "direction": "desc", "per_page": self.per_page})
        url = f"{base}/issues?{query}"
        try:
            listed = list(_numbered_items(self.client.pages(url, counters, stop_key="created_at", start=start)))
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):  # issues disabled (410); the repository itself answered the commit listing
                return [], [(d, f"{repo.repo}: issues are not available (GitHub returned {exc.status} for the issue listing)") for d in wanted]
            raise
        return self._place_issues(repo, listed, wanted)

    def _place_issues(
        self, repo: RepoSpec, listed: list[dict[str, Any]], wanted: list[dt.date]
    ) -> tuple[list[tuple[dt.date, dict[str, Any]]], list[tuple[dt.date, str]]]:
        """Day of each listed item: its ``created_at``; for the rare item without one, see the module doc."""
        wanted_set = set(wanted)
        known: dict[Any, dt.date] = {}
        for item in listed:
            d = self._day_of(item.get("created_at"))
            if d is None:
                prov = item.get("provenance")
                raw = prov.get("created_date_from_archive") if isinstance(prov, dict) else None
                try:
                    d = dt.date.fromisoformat(str(raw)) if raw else None
                except ValueError:
                    d = None
            if d is not None:
                known[item["number"]] = d
        anchors = sorted((n, d) for n, d in known.items() if isinstance(n, int))
        out: list[tuple[dt.date, dict[str, Any]]] = []
        notes: list[tuple[dt.date, str]] = []
        for item in listed:
            num = item["number"]
            kind = "pull request" if "pull_request" in item else "issue"
            d = known.get(num)
            if d is not None:
                if d in wanted_set:
                    out.append((d, item))
                    if not item.get("created_at"):
                        notes.append((d, f"{kind} #{num} has no created_at; placed on {d} by provenance.created_date_from_archive"))
                continue
            # no date at all: between dated neighbours by number, else the only requested day
            lower = max(((n, dd) for n, dd in anchors if isinstance(num, int) and n < num), default=None)
            upper = min(((n, dd) for n, dd in anchors if isinstance(num, int) and n > num), default=None)
            lo_day = max(lower[1], wanted[0]) if lower else wanted[0]
            hi_day = min(upper[1], wanted[-1]) if upper else wanted[-1]
            if lo_day > hi_day:
                continue  # its numbered neighbours put it outside the requested days
            if lower and upper and lower[1] == upper[1]:
                d, how = lower[1], f"by its number, between #{lower[0]} and #{upper[0]} created that day"
            elif lo_day == hi_day:
                after = f" after #{lower[0]} ({lower[1]})" if lower else ""
                before = f" before #{upper[0]} ({upper[1]})" if upper else ""
                d, how = lo_day, f"as the only requested day its number allows{after}{before}"
            elif lower and upper:
                nearer = lower if num - lower[0] <= upper[0] - num else upper
                d, how = nearer[1], f"next to #{nearer[0]} (its creation day is unknown: between {lower[1]} and {upper[1]})"
            else:
                d, how = hi_day, f"on the last possible day (its creation day is unknown: between {lo_day} and {hi_day})"
            if d in wanted_set:
                out.append((d, item))
                notes.append((d, f"{kind} #{num} has no created_at; placed on {d} {how}"))
        return out, notes

    def _list_pulls(
        self, repo: RepoSpec, base: str, start: dt.datetime, counters: Counters, notes: list[str]
    ) -> list[dict[str, Any]]:
        query = urlencode({"state": "closed", "sort": "updated", "direction": "desc", "per_page": self.per_page})
        url = f"{base}/pulls?{query}"
        out: list[dict[str, Any]] = []
        try:
            for item in _numbered_items(self.client.pages(url, counters, stop_key="updated_at", start=start)):
                if item.get("merged_at"):
                    out.append(item)
        except GitHubHTTPError as exc:
            if exc.status in (404, 410):  # the repository answered the commit listing: the endpoint is missing
                notes.append(f"{repo.repo}: merged pull requests are not available (GitHub returned {exc.status} for the pull request listing)")
                return out
            raise
        return out

    # -- commit details --------------------------------------------------------------------------------
    def _commit_detail(self, base: str, sha: str, counters: Counters) -> tuple[dict[str, Any], bool]:
        url = f"{base}/commits/{sha}"
        body, link = self.client.get(url, counters, immutable=True)
        if not isinstance(body, dict):
            raise GitHubFetchError(f"GET {self.client.path_of(url)} returned {type(body).__name__}, not an object")
        files = list(body.get("files") or [])
        seen = {url}
        next_url = _next_link(link)
        paged = False
        while next_url and next_url not in seen:
            seen.add(next_url)
            page, link = self.client.get(next_url, counters, immutable=True)
            paged = True
            if isinstance(page, dict):
                files.extend(page.get("files") or [])
            next_url = _next_link(link)
        if paged:
            body = {**body, "files": files}
        return body, len(files) >= MAX_COMMIT_FILES
