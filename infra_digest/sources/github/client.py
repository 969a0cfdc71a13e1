"""The HTTP side of the GitHub source: one session, conditional requests, rate limits, retries, deadlines.

:class:`GitHubClient` knows nothing about repositories or days. It GETs URLs of the API's origin and returns
parsed JSON bodies, and it owns what a run needs to be frugal and safe:

- **Conditional requests** through an :class:`~infra_digest.sources.http_cache.HttpCache`
  (``If-None-Match`` / ``If-Modified-Since``; a 304 reuses the stored body and ``Link``). Bodies addressed
  by an immutable URL (a commit by sha) are reused without any request (``reuse_immutable``).
- **Rate limits.** Primary (``X-RateLimit-Remaining: 0`` before a request, or on 403/429): wait until
  ``X-RateLimit-Reset`` with a message through ``log``, or fail when the wait is longer than
  ``max_rate_limit_wait``. Secondary (403/429 with ``Retry-After``, or a "secondary rate limit" message):
  wait ``Retry-After`` (at least 60 s when absent or not a number), bounded the same way.
- **Retries**: 5xx, connection errors and malformed JSON in a 200 are retried with exponential backoff and
  jitter (``max_retries``); a request that timed out or missed its deadline is retried at most
  ``max_timeout_retries`` times, and once a request has failed that way the client stops asking the server
  for the rest of its life (one run): a server that never answers costs one request's deadline, not minutes
  per repository.
- **Deadlines**: ``timeout`` bounds each connect and each read; ``request_deadline`` bounds a whole request
  (connect, headers and body: a server trickling one byte every few seconds is cut off when it passes);
  ``fetch_budget`` bounds everything the client does (requests, retries and waits) from its first request.
  Past the budget every request fails at once with a message saying so.
- **Secrets**: ``Authorization: Bearer <token>`` is sent only when a token is given and only to the API's
  own origin. Every message, log line and body goes through a :class:`~infra_digest.sources.secrets.Redactor`
  (which redacts before cutting), so no piece of the token reaches errors, notes, stats, logs, the cache or
  recorded files.
- **Stats**: :attr:`GitHubClient.stats` counts requests, 304s, retries, cache hits and rate-limit waits for
  the client's whole life; callers take :meth:`RequestStats.snapshot` before and after a piece of work.

Errors are :class:`GitHubFetchError` (``str()`` is a clear, token-free message) and its subclasses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import parse_header_links
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from infra_digest.sources.base import SourceError
from infra_digest.sources.http_cache import CachedResponse, HttpCache
from infra_digest.sources.secrets import Redactor
from infra_digest.sources.validate import safe_ts

_logger = logging.getLogger("infra_digest.sources.github")

DEFAULT_API_URL = "https://api.github.com"
MESSAGE_LIMIT = 300  # characters of a server's message kept in an error (after redaction)
MAX_BODY_BYTES = 64 << 20  # a JSON body larger than this is refused (GitHub's largest are a few MB)


class GitHubFetchError(Exception):
    """Ends the fetch of one repository. ``str()`` is a clear, token-free, user-facing message."""


class GitHubHTTPError(GitHubFetchError):
    def __init__(self, status: int, path: str, gh_message: str) -> None:
        self.status = status
        self.path = path
        self.gh_message = gh_message
        super().__init__(f"GitHub returned {status} for GET {path}" + (f": {gh_message}" if gh_message else ""))


class RateLimitError(GitHubFetchError):
    """The rate limit needs a longer wait than allowed (``max_rate_limit_wait`` or the fetch budget)."""


class DeadlineError(GitHubFetchError):
    """The server did not answer within the deadlines, or the run's fetch budget is spent."""


@dataclass(frozen=True)
class GitHubConfig:
    """How the client talks to the API. Every duration is in seconds."""

    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0  # each connect and each read
    request_deadline: float = 120.0  # one whole request: connect, headers and body
    fetch_budget: float = 10800.0  # everything the client does in a run: requests, retries, waits (3 h)
    max_retries: int = 5  # 5xx, connection errors, malformed JSON
    max_timeout_retries: int = 1  # requests that timed out or missed their deadline
    max_rate_limit_wait: float = 900.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    reuse_immutable: bool = True
    user_agent: str = "infra-digest"

    @classmethod
    def fields(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}


@dataclass
class RequestStats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    cache_hits: int = 0
    rate_limit_waits: int = 0

    def snapshot(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """What was counted since ``before`` (a :meth:`snapshot`)."""
        now = self.snapshot()
        return {k: now[k] - before.get(k, 0) for k in now}


def next_link(link: str | None) -> str | None:
    if not link:
        return None
    try:
        parts = parse_header_links(link)
    except Exception:  # a hostile Link header is no next page
        return None
    for part in parts:
        if "next" in str(part.get("rel", "")).split():
            url = part.get("url")
            return url if isinstance(url, str) else None
    return None


# -- the whole-request deadline ------------------------------------------------------------------------------
class _Watchdog:
    """Shuts the socket of the request in flight on this thread down when its deadline passes, so a server that
    trickles its headers or body cannot hold a request longer than the deadline (per-read timeouts cannot)."""

    _current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    @classmethod
    def attach(cls, sock: Any) -> None:
        dog = getattr(cls._current, "dog", None)
        if dog is not None and sock is not None:
            with dog._lock:
                dog._sock = sock
                fired = dog.fired
            if fired:
                dog._shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._sock
        if sock is not None:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: Any) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._current.dog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._current.dog = None


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _Watchdog.attach(self.sock)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:  # a kept-alive connection skips connect()
        _Watchdog.attach(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _Watchdog.attach(self.sock)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _Watchdog.attach(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class _Problem(Exception):
    """A failure worth retrying (internal)."""

    def __init__(self, text: str, *, timed_out: bool = False) -> None:
        super().__init__(text)
        self.timed_out = timed_out


# -- the client --------------------------------------------------------------------------------------------
class GitHubClient:
    """One per source (one per run): the session, the validators store, the rate-limit state and the stats."""

    def __init__(
        self,
        config: GitHubConfig | None = None,
        token: str | None = None,
        *,
        http_cache: HttpCache | None = None,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config = config or GitHubConfig()
        self.api_url = (config.api_url or DEFAULT_API_URL).rstrip("/")
        split = urlsplit(self.api_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise SourceError(f"GitHub API URL {config.api_url!r} is not an http(s) URL (GITHUB_API_URL)")
        self._origin = (split.scheme, split.netloc)
        self._token = token or None
        self.redactor = Redactor(self._token)
        self.cache = http_cache
        self._log = log or (lambda msg: _logger.warning("%s", msg))
        self.sleep = sleep
        self.clock = clock
        self.monotonic = monotonic
        self.max_limit_waits = max(3, config.max_retries)
        self.session = requests.Session()
        adapter = _WatchedAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/vnd.github+json", "User-Agent": config.user_agent})
        self.stats = RequestStats()
        self.rl_limit: int | None = None
        self.rl_remaining: int | None = None
        self.rl_reset: float | None = None
        self._started: float | None = None  # monotonic time of the first request (the budget starts there)
        self._unresponsive: str | None = None  # set when a request timed out for good: do not ask again

    @classmethod
    def from_options(cls, api_url: str = DEFAULT_API_URL, token: str | None = None, **options: Any) -> GitHubClient:
        """The keyword form: GitHubConfig fields and the client's own arguments in one call."""
        fields = GitHubConfig.fields()
        config = GitHubConfig(api_url=api_url, **{k: v for k, v in options.items() if k in fields})
        return cls(config, token, **{k: v for k, v in options.items() if k not in fields})

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubClient(api_url={self.api_url!r}, token={'***' if self._token else None})"

    # -- hygiene ---------------------------------------------------------------------------------------
    def redact(self, text: str, limit: int | None = None) -> str:
        return self.redactor.text(text, limit)

    def log(self, msg: str) -> None:
        self._log(self.redact(msg, 2000))

    def path_of(self, url: str) -> str:
        s = urlsplit(url)
        return self.redact(s.path + (f"?{s.query}" if s.query else ""), 500)

    def _same_origin(self, url: str) -> bool:
        s = urlsplit(url)
        return (s.scheme, s.netloc) == self._origin

    def close(self) -> None:
        self.session.close()

    # -- the budget ------------------------------------------------------------------------------------
    def budget_left(self) -> float:
        if self._started is None:
            return self.config.fetch_budget
        return self.config.fetch_budget - (self.monotonic() - self._started)

    def _check_budget(self, what: str) -> float:
        if self._started is None:
            self._started = self.monotonic()
        left = self.budget_left()
        if left <= 0:
            raise DeadlineError(
                f"the run's fetch budget of {self.config.fetch_budget:g}s is spent ({what} not sent); "
                "re-run the remaining days, or raise the budget"
            )
        return left

    # -- rate limits -----------------------------------------------------------------------------------
    def _note_rate_limit(self, resp: requests.Response) -> None:
        h = resp.headers
        for attr, name, kind in (("rl_remaining", "X-RateLimit-Remaining", int), ("rl_limit", "X-RateLimit-Limit", int),
                                 ("rl_reset", "X-RateLimit-Reset", float)):
            if name in h:
                try:
                    value = kind(h[name])
                except (TypeError, ValueError):
                    continue
                if kind is float and not (0 <= value < 1e11):
                    continue
                setattr(self, attr, value)

    def _wait(self, seconds: float, what: str, until: str = "") -> None:
        """Wait ``seconds`` for a rate limit, with a visible message, or raise if longer than allowed."""
        seconds = max(0.0, seconds)
        if seconds > self.config.max_rate_limit_wait:
            when = f"; it resets {until}, in {seconds:.0f}s" if until else f"; GitHub asks to wait {seconds:.0f}s"
            raise RateLimitError(
                f"{what}{when}, longer than the allowed wait of {self.config.max_rate_limit_wait:.0f}s "
                "(max_rate_limit_wait). Re-run after that time"
            )
        left = self.budget_left()
        if seconds > left:
            raise RateLimitError(
                f"{what}; waiting {seconds:.0f}s would pass the run's fetch budget ({left:.0f}s left of "
                f"{self.config.fetch_budget:g}s). Re-run after that time"
            )
        self.stats.rate_limit_waits += 1
        self.log(f"{what}, waiting {seconds:.0f}s" + (f" until reset {until}" if until else ""))
        self.sleep(seconds)

    def _primary_wait(self) -> None:
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
        self._wait(seconds, f"GitHub rate limit exhausted (0{limit} requests left)", reset)
        self.rl_remaining = None

    def _limit_wait(self, resp: requests.Response, gh_message: str) -> bool:
        """A 403/429 that is a rate limit: wait (or raise RateLimitError) and return True; else False."""
        h = resp.headers
        status = resp.status_code
        if h.get("X-RateLimit-Remaining") == "0" and h.get("X-RateLimit-Reset"):
            if self.rl_reset is not None and self.rl_reset <= self.clock():
                # reset already passed (clock skew): a short pause, then try again
                self._wait(1.0, f"GitHub rate limit exhausted ({status}), reset time already passed")
            else:
                self._primary_wait()
            return True
        retry_after = h.get("Retry-After")
        if retry_after is not None:
            try:
                seconds = float(retry_after)
                if seconds != seconds or seconds < 0:  # NaN, negative
                    raise ValueError
                shown = f"{seconds:g}"
            except ValueError:
                seconds, shown = 60.0, "not a number"
            self._wait(seconds, f"GitHub secondary rate limit ({status}, Retry-After: {shown})")
            return True
        if status == 429 or "rate limit" in gh_message.lower():
            self._wait(60.0, f"GitHub secondary rate limit ({status}, no Retry-After)")
            return True
        return False

    # -- requests --------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        delay = min(self.config.backoff_max, self.config.backoff_base * (2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)

    def _gh_message(self, resp: requests.Response) -> str:
        """The server's message (JSON ``message``, else the reason phrase), redacted, THEN cut."""
        msg: Any = None
        try:
            data = json.loads(resp.content[: 1 << 20])
            msg = data.get("message") if isinstance(data, dict) else None
        except (ValueError, RecursionError):
            msg = None
        if not isinstance(msg, str) or not msg:
            msg = resp.reason or ""
        if isinstance(msg, bytes):
            msg = msg.decode("latin-1", "replace")
        return self.redact(" ".join(str(msg).split()), MESSAGE_LIMIT)

    def _send(self, url: str, headers: dict[str, str], left: float) -> requests.Response:
        """One HTTP GET within the request deadline (and ``left``, what is left of the budget)."""
        deadline = min(self.config.request_deadline, left)
        read_timeout = min(self.config.timeout, deadline)
        if deadline < self.config.request_deadline:
            late = f"the run's fetch budget of {self.config.fetch_budget:g}s is spent (while waiting for a response)"
        else:
            late = f"no complete response within {deadline:g}s (request deadline)"
        t0 = self.monotonic()
        with _Watchdog(deadline) as dog:
            try:
                resp = self.session.get(url, headers=headers, timeout=(read_timeout, read_timeout),
                                        allow_redirects=True, stream=True)
                try:
                    body = bytearray()
                    for chunk in resp.iter_content(1 << 16):
                        body += chunk
                        if len(body) > MAX_BODY_BYTES:
                            raise _Problem(f"response larger than {MAX_BODY_BYTES >> 20} MB refused")
                        if self.monotonic() - t0 > deadline:
                            dog._fire()
                            raise _Problem(late, timed_out=True)
                    resp._content = bytes(body)
                finally:
                    resp.close()
            except _Problem:
                raise
            except requests.Timeout:
                if dog.fired:
                    raise _Problem(late, timed_out=True) from None
                raise _Problem(f"no response within {read_timeout:g}s (timeout)", timed_out=True) from None
            except (requests.RequestException, OSError) as exc:
                if dog.fired:
                    raise _Problem(late, timed_out=True) from None
                kind = "connection error" if isinstance(exc, (requests.ConnectionError, OSError)) else "request failed"
                raise _Problem(f"{kind} ({type(exc).__name__})") from None
        if dog.fired:
            raise _Problem(late, timed_out=True)
        return resp

    def get(self, url: str, *, immutable: bool = False) -> tuple[Any, str | None]:
        """GET ``url`` and return (parsed JSON body, Link header). Raises :class:`GitHubFetchError`."""
        cached: CachedResponse | None = self.cache.get(url) if self.cache is not None else None
        if cached is not None and cached.body is None:
            cached = None
        if immutable and self.config.reuse_immutable and cached is not None:
            self.stats.cache_hits += 1
            return cached.body, cached.link
        path = self.path_of(url)
        if self._unresponsive is not None:
            raise DeadlineError(f"GET {path} not sent: {self._unresponsive}")
        retries = timeouts = limit_waits = 0
        while True:
            self._primary_wait()
            headers: dict[str, str] = {}
            if cached is not None:
                if cached.etag:
                    headers["If-None-Match"] = cached.etag
                if cached.last_modified:
                    headers["If-Modified-Since"] = cached.last_modified
            if self._token and self._same_origin(url):
                headers["Authorization"] = f"Bearer {self._token}"
            left = self._check_budget(f"GET {path}")
            try:
                self.stats.requests += 1
                resp = self._send(url, headers, left)
                result = self._answer(resp, url, path, cached, immutable)
            except _Problem as problem:
                text = self.redact(str(problem), MESSAGE_LIMIT)
                if problem.timed_out:
                    timeouts += 1
                    if timeouts > self.config.max_timeout_retries:
                        self._unresponsive = f"GitHub did not answer GET {path} in time ({text}); the server is not asked again in this run"
                        raise DeadlineError(f"GET {path} failed: {text} (tried {timeouts} times)") from None
                if retries >= self.config.max_retries:
                    raise GitHubFetchError(f"GET {path} failed after {retries} retries: {text}") from None
                delay = self._backoff(retries)
                retries += 1
                self.stats.retries += 1
                if delay > self.budget_left():
                    raise DeadlineError(f"GET {path} failed: {text}; no fetch budget left to retry") from None
                self.log(f"GitHub GET {path}: {text}; retry {retries}/{self.config.max_retries} in {delay:.1f}s")
                self.sleep(delay)
                continue
            if result is _LIMITED:
                limit_waits += 1
                if limit_waits > self.max_limit_waits:
                    raise RateLimitError(f"GitHub kept answering {resp.status_code} (rate limited) for GET {path} after {limit_waits - 1} waits")
                continue
            return result

    def _answer(self, resp: requests.Response, url: str, path: str, cached: CachedResponse | None, immutable: bool) -> Any:
        """(body, link) for a usable response, _LIMITED after a rate-limit wait; raises _Problem or GitHubHTTPError."""
        self._note_rate_limit(resp)
        status = resp.status_code
        if status == 304 and cached is not None:
            self.stats.not_modified += 1
            return cached.body, cached.link
        if 200 <= status < 300:
            try:
                body = json.loads(resp.content)
            except (ValueError, RecursionError):
                raise _Problem(f"malformed JSON in a {status} response") from None
            body = self.redactor.json(body)
            link = resp.headers.get("Link")
            link = self.redact(link) if link else None
            etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
            etag = self.redact(etag, 200) if etag else None
            modified = self.redact(modified, 100) if modified else None
            if self.cache is not None and (etag or modified or immutable):
                self.cache.put(url, etag, modified, body, link)
            return body, link
        if status in (403, 429):
            gh_message = self._gh_message(resp)
            if self._limit_wait(resp, gh_message):
                return _LIMITED
            raise GitHubHTTPError(status, path, gh_message)
        if status >= 500:
            raise _Problem(f"{status} {self.redact(' '.join(str(resp.reason or '').split()), 80)}".strip())
        raise GitHubHTTPError(status, path, self._gh_message(resp))

    def pages(self, url: str, *, stop_key: str | None = None, start: dt.datetime | None = None) -> Iterator[list[Any]]:
        """Yield each page (a JSON list) of a listing, following ``Link: rel="next"``.

        With ``stop_key``/``start``: stop after a page that is sorted newest first by ``stop_key`` and whose last
        dated item is older than ``start`` (the listing must be requested with that sort, descending). A value
        that is not a sane timestamp counts as undated here (the item's own validation reports it).
        """
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and next_url not in seen:
            seen.add(next_url)
            body, link = self.get(next_url)
            if not isinstance(body, list):
                raise GitHubFetchError(f"GET {self.path_of(next_url)} returned {type(body).__name__}, not a list")
            yield body
            if stop_key and start is not None and body:
                stamps = [safe_ts(it.get(stop_key)) for it in body if isinstance(it, dict)]
                dated = [t for t in stamps if t is not None]
                if dated and dated[-1] < start and all(a >= b for a, b in zip(dated, dated[1:])):
                    return
            next_url = self.follow(next_link(link))

    def follow(self, url: str | None) -> str | None:
        """A next-page URL to request: only on the API's origin, and never one carrying any piece of the token."""
        if not url or not self._same_origin(url):
            return None
        if self.redact(url) != url:
            raise GitHubFetchError("the server's next-page link carries the credentials; it was not followed")
        return url


_LIMITED = object()
