"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 serving a replay-layout directory.

Served with GitHub's semantics (as far as the digest uses them):

- ``GET /repos/{o}/{r}/commits``: ``sha`` (default branch name or a known sha; anything else 404; when
  ``manifest.json`` does not name the default branch, any branch name is taken as it),
  ``since``/``until`` on the committer date (inclusive), ``per_page`` (default 30, max 100), ``page``,
  ``Link`` header with ``rel="next"``/``"last"`` (and ``"prev"``/``"first"``), newest committer date first.
- ``GET /repos/{o}/{r}/commits/{sha}``: the commit's ``files`` 300 a page (``page``), ``Link`` for more,
  never more than 3000 files in all.
- ``GET /repos/{o}/{r}/issues``: items of every day's ``issues.json``; ``state`` (open|closed|all, default
  open), ``sort`` (created|updated, default created), ``direction`` (default desc), ``since`` (updated_at >=
  since), ``per_page``, ``page``. Recorded items may lack dates: a null ``updated_at`` counts as
  ``created_at``, a null ``created_at`` as the start of the day whose file holds the item.
- ``GET /repos/{o}/{r}/pulls``: items of every day's ``pulls.json`` plus pull requests derived from
  ``issues.json`` items carrying ``pull_request``; ``state``, ``sort`` (created|updated), ``direction``,
  ``per_page``, ``page``.
- ``GET /repos/{o}/{r}/releases``: items of every day's ``releases.json`` (drafts included, as GitHub shows them
  to a token with push access), newest ``created_at`` first, ``per_page``, ``page``.
- ``GET /repos/{o}/{r}`` (``default_branch`` from ``manifest.json`` when present, else ``main``) and
  ``GET /rate_limit``.
- A weak ``ETag`` (hash of the body) on every 200, and 304 for a matching ``If-None-Match``.
- ``X-RateLimit-Limit/Remaining/Reset/Used`` on every response: a counter over a window; 304s do not
  count; when it is used up, 403 "API rate limit exceeded" until the reset.
- 404 for unknown repositories; 401 for a wrong token when the server was given one.

Scripted faults: a list of dicts, each matched (substring, or ``"regex": True``) against the request
path with its query, applied ``times`` times (default 1, ``None`` = forever), first match wins:

==============================================  ===================================================
``{"match": "/commits/", "status": 502}``       that status (5xx, 404, 401, 422, ...) with a JSON message
``{"fault": "rate_limit", "reset_in": 30}``     403 with ``X-RateLimit-Remaining: 0`` and a reset time
                                                 (``"status": 429`` for the 429 flavour)
``{"fault": "secondary", "retry_after": 2}``    403 "secondary rate limit" with ``Retry-After``
                                                 (``"retry_after": None``: without the header)
``{"status": 429, "retry_after": 1}``           429 with ``Retry-After``
``{"fault": "reset"}``                          the connection is reset (RST) without a response
``{"fault": "slow", "delay": 2.0}``             the normal response, after ``delay`` seconds
``{"fault": "malformed"}``                      200 with a body that is not JSON
``{"fault": "json", "body": X}``                 200 (or ``"status"``) with ``X`` as the JSON body (hostile payloads)
``{"fault": "trickle", "interval": 0.2}``       200 whose body (``"size"`` bytes of a JSON list) comes one byte
                                                 every ``interval`` seconds
``{"fault": "trickle_headers", "interval": .2}`` the status line, then the headers one byte at a time
``{"fault": "hang"}``                            reads the request and never answers (until the server stops,
                                                 or ``"seconds"``)
``{"fault": "echo_auth", "where": "body"}``      echoes the request's Authorization header after ``"pad"``
                                                 (280) characters: in the JSON ``message`` (``"body"``), the
                                                 reason phrase (``"reason"``), or a ``Retry-After`` header of
                                                 a 429 (``"retry_after"``); ``"status"`` (403) for the first two.
                                                 ``"where": "etag"`` / ``"link"``: a normal 200 whose ETag, or
                                                 whose ``Link`` next URL, carries it
==============================================  ===================================================

``FakeGitHub.requests`` logs every request as ``Req(method, path, status)`` (status 0 for a reset).

Standalone (for ``GITHUB_API_URL=<url> infra-digest run ...``)::

    python -m infra_digest_tests.fakes.github_server REPLAY_DIR [--port 8765] [--faults FILE.json] [--standard-faults]

``--standard-faults`` scripts, for every repository, one 429 (Retry-After: 1) on its issue listing, one 502 on
its commit listing and one primary rate-limit exhaustion (reset in 2 s) on its pull listing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

FILES_PER_PAGE = 300
MAX_FILES = 3000


class Req(NamedTuple):
    method: str
    path: str  # path with query
    status: int  # 0: connection reset without a response


def _ts(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def _day_start(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)


@dataclass
class _Repo:
    full_name: str
    default_branch: str = "main"
    branch_known: bool = False  # from manifest.json; when unknown, any branch name is accepted
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> list item
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> detail
    issues: dict[int, tuple[dict[str, Any], str]] = field(default_factory=dict)  # number -> (item, file day)
    pulls: dict[int, tuple[dict[str, Any], str]] = field(default_factory=dict)  # from pulls.json
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # tag -> item, from releases.json


def load_replay(replay_dir: str | Path) -> dict[str, _Repo]:
    """Read a replay-layout directory into memory (keys: lower-case owner/name)."""
    root = Path(replay_dir)
    branches: dict[str, str] = {}
    manifest = root / "manifest.json"
    if manifest.exists():
        try:
            for name, info in (json.loads(manifest.read_text(encoding="utf-8")).get("repos") or {}).items():
                b = ((info or {}).get("source") or {}).get("default_branch")
                if b and str(b).split():
                    branches[name.lower()] = str(b).split()[0]  # "main (upstream default; ...)" -> "main"
        except (ValueError, AttributeError):
            pass
    repos: dict[str, _Repo] = {}
    manifest_names = {}
    if manifest.exists():
        with contextlib.suppress(ValueError, AttributeError):
            manifest_names = {n.lower(): n for n in (json.loads(manifest.read_text(encoding="utf-8")).get("repos") or {})}
    for low, full in manifest_names.items():  # a repository named in the manifest exists even with no activity
        repos[low] = _Repo(full, branches.get(low, "main"), low in branches)
    for day_dir in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)):
        day = day_dir.name
        for repo_dir in sorted(p for p in day_dir.iterdir() if p.is_dir() and "__" in p.name):
            full = repo_dir.name.replace("__", "/", 1)
            if full.lower() not in repos:
                known = full.lower() in branches
                repos[full.lower()] = _Repo(full, branches.get(full.lower(), "main"), known)
            repo = repos[full.lower()]
            cl = repo_dir / "commits_list.json"
            if cl.exists():
                for item in json.loads(cl.read_text(encoding="utf-8")):
                    repo.commits[item["sha"]] = item
            if (repo_dir / "commits").is_dir():
                for p in repo_dir.joinpath("commits").glob("*.json"):
                    repo.details[p.stem] = json.loads(p.read_text(encoding="utf-8"))
            rel = repo_dir / "releases.json"
            if rel.exists():
                for item in json.loads(rel.read_text(encoding="utf-8")):
                    repo.releases[item["tag_name"]] = item
            for name, target in (("issues.json", repo.issues), ("pulls.json", repo.pulls)):
                f = repo_dir / name
                if f.exists():
                    for item in json.loads(f.read_text(encoding="utf-8")):
                        target[int(item["number"])] = (item, day)
    return repos


def _committer_date(item: dict[str, Any]) -> dt.datetime:
    c = item.get("commit") or {}
    return _ts((c.get("committer") or {}).get("date") or (c.get("author") or {}).get("date")) or dt.datetime.min.replace(
        tzinfo=dt.timezone.utc
    )


def _pull_from_issue(item: dict[str, Any], api: str, repo: str) -> dict[str, Any]:
    pr = item.get("pull_request") or {}
    num = item["number"]
    return {
        "url": pr.get("url") or f"{api}/repos/{repo}/pulls/{num}",
        "html_url": pr.get("html_url") or item.get("html_url") or f"https://github.com/{repo}/pull/{num}",
        "number": num,
        "state": item.get("state"),
        "title": item.get("title"),
        "user": item.get("user"),
        "body": item.get("body"),
        "labels": item.get("labels") or [],
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "closed_at": item.get("closed_at"),
        "merged_at": pr.get("merged_at"),
    }


class FakeGitHub:
    """The server. Use :func:`serve_replay` (a context manager) or ``start()``/``stop()``."""

    def __init__(
        self,
        replay_dir: str | Path,
        faults: Sequence[dict[str, Any]] | None = None,
        *,
        token: str | None = None,
        rate_limit: int = 5000,
        rate_window: float = 3600.0,
    ) -> None:
        self.replay_dir = Path(replay_dir)
        self.token = token
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._lock = threading.Lock()
        self._faults: list[dict[str, Any]] = []
        self.requests: list[Req] = []
        self.authorizations: list[str | None] = []  # the Authorization header of each request (tests only)
        self.repos = load_replay(self.replay_dir)
        self._remaining = rate_limit
        self._reset = time.time() + rate_window
        self.set_faults(faults or [])
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()  # ends hanging and trickling answers

    # -- control ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_faults(self, faults: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._faults = [dict(f, times=f.get("times", 1)) for f in faults]

    def faults_left(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._faults if f["times"] is None or f["times"] > 0]

    def reload(self) -> None:
        repos = load_replay(self.replay_dir)
        with self._lock:
            self.repos = repos

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.authorizations.clear()

    def set_rate_limit(self, remaining: int, reset_in: float | None = None) -> None:
        with self._lock:
            self._remaining = remaining
            if reset_in is not None:
                self._reset = time.time() + reset_in

    def count(self, status: int | None = None, contains: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if (status is None or r.status == status) and (contains is None or contains in r.path))

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals used by the handler -----------------------------------------------------------------
    def _take_fault(self, target: str) -> dict[str, Any] | None:
        with self._lock:
            for f in self._faults:
                if f["times"] is not None and f["times"] <= 0:
                    continue
                m = f.get("match", "")
                hit = re.search(m, target) if f.get("regex") else m in target
                if hit:
                    if f["times"] is not None:
                        f["times"] -= 1
                    return dict(f)
        return None

    def _rate(self, spend: bool) -> tuple[bool, dict[str, str]]:
        """(allowed, headers). Spends one request when ``spend``; refuses when used up."""
        with self._lock:
            now = time.time()
            if now >= self._reset:
                self._remaining = self.rate_limit
                self._reset = now + self.rate_window
            allowed = self._remaining > 0
            if spend and allowed:
                self._remaining -= 1
            headers = {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(self._remaining),
                "X-RateLimit-Reset": str(int(self._reset + 0.999)),
                "X-RateLimit-Used": str(self.rate_limit - self._remaining),
                "X-RateLimit-Resource": "core",
            }
            return allowed, headers

    def _log(self, method: str, path: str, status: int, auth: str | None) -> None:
        with self._lock:
            self.requests.append(Req(method, path, status))
            self.authorizations.append(auth)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # resets and timeouts are expected
        pass


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one small response = one segment; avoids 40 ms delayed-ACK stalls
    server_version = "FakeGitHub/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- responses -------------------------------------------------------------------------------------
    def _log_once(self, status: int) -> None:
        # logged before the response leaves, so a client that has its answer always finds it in the log
        if not self._logged:
            self._logged = True
            self.fake._log("GET", self.path, status, self.headers.get("Authorization"))

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self._log_once(status)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> int:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        h = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        self._send(status, body, h)
        return status

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> int:
        return self._json(status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, headers)

    def _reset_connection(self) -> None:
        self._log_once(0)
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.close()
        self.close_connection = True

    # -- dispatch --------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        fake = self.fake
        target = self.path
        auth = self.headers.get("Authorization")
        self._logged = False
        self._echo = None
        fault = fake._take_fault(target)
        status = 0
        try:
            if fault is not None:
                status = self._apply_fault(fault)
                if status is not None:
                    return
            status = self._serve(target, auth)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        finally:
            if not self._logged:
                self._logged = True
                fake._log("GET", target, status or 0, auth)

    def _apply_fault(self, f: dict[str, Any]) -> int | None:
        """Answer with the fault and return its status (0 for a reset), or None to go on normally."""
        fake = self.fake
        kind = f.get("fault")
        _, rl = fake._rate(spend=False)
        if kind == "reset":
            self._reset_connection()
            return 0
        if kind == "slow":
            time.sleep(float(f.get("delay", 2.0)))
            return None
        if kind == "malformed":
            self._send(200, b'{"sha": "abc", "truncated', {"Content-Type": "application/json", **rl})
            return 200
        if kind == "json":  # ASCII-escaped, so that lone surrogates travel as JSON escapes
            self._send(int(f.get("status", 200)), json.dumps(f.get("body")).encode(), {"Content-Type": "application/json", **rl})
            return int(f.get("status", 200))
        if kind == "hang":
            self._log_once(0)
            fake.stopping.wait(float(f.get("seconds", 120)))
            self.close_connection = True
            return 0
        if kind == "trickle":
            size = int(f.get("size", 200))
            body = b"[" + b" " * max(0, size - 2) + b"]"
            self._log_once(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for i in range(len(body)):
                if fake.stopping.wait(float(f.get("interval", 0.2))):
                    break
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            self.close_connection = True
            return 200
        if kind == "trickle_headers":
            self._log_once(200)
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            for b in b"X-Slow: " + b"a" * int(f.get("size", 200)) + b"\r\nContent-Length: 2\r\n\r\n[]":
                if fake.stopping.wait(float(f.get("interval", 0.2))):
                    break
                self.wfile.write(bytes([b]))
                self.wfile.flush()
            self.close_connection = True
            return 200
        if kind == "echo_auth":
            echo = "x" * int(f.get("pad", 280)) + f"Authorization: {self.headers.get('Authorization')}"
            where = f.get("where", "body")
            if where == "body":
                return self._error(int(f.get("status", 403)), echo, rl)
            if where == "reason":
                body = b"<html>no</html>"
                self._log_once(int(f.get("status", 403)))
                self.send_response(int(f.get("status", 403)), echo)
                for k, v in {"Content-Type": "text/html", "Content-Length": str(len(body)), **rl}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
                return int(f.get("status", 403))
            if where == "retry_after":
                return self._error(429, "Too Many Requests", {**rl, "Retry-After": echo})
            self._echo = (where, echo)  # "etag" / "link": the normal answer, with the header carrying it
            return None
        if kind == "rate_limit":
            reset = int(time.time() + float(f.get("reset_in", 60)))
            rl.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": rl["X-RateLimit-Limit"]})
            return self._error(int(f.get("status", 403)), "API rate limit exceeded for user. (But here's the good news: ...)", rl)
        if kind == "secondary":
            h = dict(rl)
            if f.get("retry_after", 1) is not None:  # "retry_after": None -> no Retry-After header
                h["Retry-After"] = str(f.get("retry_after", 1))
            return self._error(
                int(f.get("status", 403)),
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                h,
            )
        status = int(f.get("status", 500))
        h = dict(rl)
        if "retry_after" in f:
            h["Retry-After"] = str(f["retry_after"])
        messages = {
            401: "Bad credentials",
            403: "Forbidden",
            404: "Not Found",
            422: "Validation Failed",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Server Error",
            503: "Service Unavailable",
        }
        if status >= 500 and status != 500:
            self._send(status, b"<html><body><h1>%d</h1></body></html>" % status, {"Content-Type": "text/html", **h})
            return status
        return self._error(status, messages.get(status, "Error"), h)

    def _serve(self, target: str, auth: str | None) -> int:
        fake = self.fake
        if fake.token is not None and auth not in (f"Bearer {fake.token}", f"token {fake.token}"):
            _, rl = fake._rate(spend=False)
            return self._error(401, "Bad credentials", rl)
        allowed, rl = fake._rate(spend=False)
        if not allowed:
            return self._error(403, "API rate limit exceeded for 127.0.0.1.", rl)
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        parts = [p for p in split.path.split("/") if p]
        result = self._route(parts, query)
        if result is None:
            _, rl = fake._rate(spend=True)
            return self._error(404, "Not Found", rl)
        if isinstance(result, _Err):
            _, rl = fake._rate(spend=True)
            return self._error(result.status, result.message, rl)
        data, link = result
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        inm = self.headers.get("If-None-Match")
        if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
            _, rl = fake._rate(spend=False)  # conditional hits do not count
            h = {"ETag": etag, **rl}
            self._send(304, b"", h)
            return 304
        _, rl = fake._rate(spend=True)
        h = {"Content-Type": "application/json; charset=utf-8", "ETag": etag, "Cache-Control": "private, max-age=60", **rl}
        if link:
            h["Link"] = link
        echo = getattr(self, "_echo", None)
        if echo is not None:
            self._echo = None
            if echo[0] == "etag":
                h["ETag"] = 'W/"' + echo[1].replace('"', "") + '"'
            elif echo[0] == "link":
                q = urlsplit(target)
                h["Link"] = f'<{self._base()}{q.path}?{q.query}&p={echo[1].replace(" ", "+")}&page=2>; rel="next"'

        self._send(200, body, h)
        return 200

    # -- routes ----------------------------------------------------------------------------------------
    def _base(self) -> str:
        return f"http://{self.headers.get('Host') or '%s:%s' % self.server.server_address[:2]}"

    def _page(self, items: list[Any], query: dict[str, str], path: str, default: int = 30, maximum: int = 100) -> tuple[list[Any], str | None]:
        try:
            per_page = max(1, min(maximum, int(query.get("per_page", default))))
        except ValueError:
            per_page = default
        try:
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            page = 1
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def url(p: int) -> str:
            q = dict(query, page=str(p))
            return f"{self._base()}{path}?{urlencode(q)}"

        links = []
        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links += [f'<{url(1)}>; rel="first"', f'<{url(min(page - 1, last))}>; rel="prev"']
        return chunk, (", ".join(links) or None)

    def _route(self, parts: list[str], query: dict[str, str]) -> tuple[Any, str | None] | _Err | None:
        fake = self.fake
        if parts == ["rate_limit"]:
            _, rl = fake._rate(spend=False)
            core = {"limit": int(rl["X-RateLimit-Limit"]), "remaining": int(rl["X-RateLimit-Remaining"]), "reset": int(rl["X-RateLimit-Reset"])}
            return {"resources": {"core": core}, "rate": core}, None
        if len(parts) < 3 or parts[0] != "repos":
            return None
        repo = fake.repos.get(f"{parts[1]}/{parts[2]}".lower())
        if repo is None:
            return None
        rest = parts[3:]
        path = "/" + "/".join(parts)
        if not rest:
            owner, name = repo.full_name.split("/")
            return {
                "full_name": repo.full_name,
                "name": name,
                "owner": {"login": owner},
                "private": False,
                "default_branch": repo.default_branch,
                "html_url": f"https://github.com/{repo.full_name}",
                "url": f"{self._base()}/repos/{repo.full_name}",
            }, None
        if rest == ["commits"]:
            return self._commits(repo, query, path)
        if len(rest) == 2 and rest[0] == "commits":
            return self._commit(repo, rest[1], query, path)
        if rest == ["issues"]:
            return self._issues(repo, query, path)
        if rest == ["pulls"]:
            return self._pulls(repo, query, path)
        if rest == ["releases"]:
            items = sorted(repo.releases.values(), key=lambda r: (_ts(r.get("created_at")) or _day_start("2000-01-01"), r["tag_name"]), reverse=True)
            return self._page(items, query, path)
        return None

    def _commits(self, repo: _Repo, query: dict[str, str], path: str) -> Any:
        sha = query.get("sha") or repo.default_branch
        items = sorted(repo.commits.values(), key=_committer_date, reverse=True)
        if sha != repo.default_branch and (repo.branch_known or re.fullmatch(r"[0-9a-f]{40}", sha)):
            if sha not in repo.commits:
                return _Err(404, f"No commit found for SHA: {sha}")
            # history reachable from that sha: approximated by date
            tip = _committer_date(repo.commits[sha])
            items = [c for c in items if _committer_date(c) <= tip]
        try:
            since = _ts(query.get("since"))
            until = _ts(query.get("until"))
        except ValueError:
            return _Err(422, "Invalid value for since/until")
        if since:
            items = [c for c in items if _committer_date(c) >= since]
        if until:
            items = [c for c in items if _committer_date(c) <= until]
        return self._page(items, query, path)

    def _commit(self, repo: _Repo, ref: str, query: dict[str, str], path: str) -> Any:
        detail = repo.details.get(ref)
        if detail is None and len(ref) >= 7:
            matches = [s for s in repo.details if s.startswith(ref)]
            detail = repo.details[matches[0]] if len(matches) == 1 else None
        if detail is None:
            return _Err(422 if not re.fullmatch(r"[0-9a-fA-F]{4,40}", ref) else 404, f"No commit found for SHA: {ref}")
        files = list(detail.get("files") or [])[:MAX_FILES]
        chunk, link = self._page(files, query, path, default=FILES_PER_PAGE, maximum=FILES_PER_PAGE)
        return {**detail, "files": chunk}, link

    @staticmethod
    def _created(item: dict[str, Any], day: str) -> dt.datetime:
        return _ts(item.get("created_at")) or _day_start(day)

    def _updated(self, item: dict[str, Any], day: str) -> dt.datetime:
        return _ts(item.get("updated_at")) or self._created(item, day)

    def _listing(self, pairs: list[tuple[dict[str, Any], str]], query: dict[str, str], path: str, since_ok: bool) -> Any:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return _Err(422, f"Invalid state: {state}")
        sort = query.get("sort", "created")
        if sort not in ("created", "updated", "comments", "popularity", "long-running"):
            return _Err(422, f"Invalid sort: {sort}")
        direction = query.get("direction", "desc")
        if state != "all":
            pairs = [(it, d) for it, d in pairs if it.get("state") == state]
        if since_ok and query.get("since"):
            try:
                since = _ts(query["since"])
            except ValueError:
                return _Err(422, "Invalid since")
            pairs = [(it, d) for it, d in pairs if self._updated(it, d) >= since]
        key = self._updated if sort == "updated" else self._created
        pairs = sorted(pairs, key=lambda p: (key(p[0], p[1]), p[0]["number"]), reverse=(direction != "asc"))
        return self._page([it for it, _ in pairs], query, path)

    def _issues(self, repo: _Repo, query: dict[str, str], path: str) -> Any:
        return self._listing(list(repo.issues.values()), query, path, since_ok=True)

    def _pulls(self, repo: _Repo, query: dict[str, str], path: str) -> Any:
        pulls = dict(repo.pulls)
        for num, (item, day) in repo.issues.items():
            if "pull_request" in item and num not in pulls:
                pulls[num] = (_pull_from_issue(item, self._base(), repo.full_name), day)
        return self._listing(list(pulls.values()), query, path, since_ok=False)


@dataclass
class _Err:
    status: int
    message: str


@contextlib.contextmanager
def serve_replay(
    replay_dir: str | Path,
    faults: Sequence[dict[str, Any]] | None = None,
    *,
    token: str | None = None,
    rate_limit: int = 5000,
    rate_window: float = 3600.0,
) -> Iterator[FakeGitHub]:
    """Serve ``replay_dir`` on 127.0.0.1 (random port) for the duration of the ``with`` block."""
    fake = FakeGitHub(replay_dir, faults, token=token, rate_limit=rate_limit, rate_window=rate_window)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def standard_faults(repos: Sequence[str]) -> list[dict[str, Any]]:
    """One 429, one 502 and one rate-limit reset per repository."""
    out: list[dict[str, Any]] = []
    for repo in repos:
        out += [
            {"match": f"/repos/{repo}/issues", "status": 429, "retry_after": 1},
            {"match": f"/repos/{repo}/commits?", "status": 502},
            {"match": f"/repos/{repo}/pulls", "fault": "rate_limit", "reset_in": 2},
        ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Serve a replay-layout directory as a fake GitHub REST API.")
    ap.add_argument("replay_dir")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--faults", help="a JSON file with a list of fault dicts")
    ap.add_argument("--standard-faults", action="store_true", help="one 429, one 502, one rate-limit reset per repository")
    ap.add_argument("--token", help="require this bearer token (401 otherwise)")
    args = ap.parse_args(argv)
    fake = FakeGitHub(args.replay_dir, token=args.token)
    faults: list[dict[str, Any]] = []
    if args.faults:
        faults += json.loads(Path(args.faults).read_text(encoding="utf-8"))
    if args.standard_faults:
        faults += standard_faults([r.full_name for r in fake.repos.values()])
    fake.set_faults(faults)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server((args.host, args.port), handler)
    fake._server = server
    print(f"fake GitHub API serving {args.replay_dir} at {fake.url} ({len(faults)} scripted faults); Ctrl-C to stop", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        left = fake.faults_left()
        print(f"{len(fake.requests)} requests served; {len(left)} scripted faults not triggered", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
