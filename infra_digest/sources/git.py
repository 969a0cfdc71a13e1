"""The git source: commit facts read from a local bare mirror of each repository, no API calls.

One mirror per repository under ``mirror_dir`` (``<owner>__<name>.git``), created on first use and
updated with ``git fetch`` at most once per :class:`GitSource` instance (the pipeline makes one per run).
The payloads are the shape of ``GET /repos/{o}/{r}/commits/{sha}`` exactly as ``shared/replay`` derives
them (``shared/replay/derive/export_commits.py``), so ``core.commits`` is identical to what the replay
source gives for the same commits:

- **Selection**: every commit reachable from ``refs/heads/<branch>`` whose *committer* date falls in the
  day (UTC by default). One ``git log --date-order`` walks the whole history with a compact NUL-separated
  format, parsed as a stream; the day filter is applied in Python. ``--since`` is not used because git
  stops walking early on skewed committer dates (a child older than its parent), which would silently
  drop commits; walking everything costs well under a second even on 17k-commit histories, and only the
  selected commits' names and messages are decoded.
- **Order**: ``--date-order`` (newest committer date first, children before parents).
- **Files**: ONE ``git diff-tree --stdin -r -z -M --raw --numstat`` call for all selected commits, each
  against its FIRST parent (merges) or the empty tree (``--root``, root commits); parsed as a token
  stream read in fixed-size chunks, so a commit with thousands of files never needs the whole output in
  memory. Status A/D/M/R/T/C map to added/removed/modified/renamed/changed/copied (renamed and copied
  carry ``previous_filename``), binary files count 0/0, ``changes`` = additions + deletions.
- **Text**: git re-encodes messages that declare an encoding (``encoding`` header) to UTF-8; everything
  else (latin-1 without header, invalid UTF-8, odd file names) is decoded as UTF-8 with
  ``errors="replace"``. Paths are read with ``-z``, so spaces, newlines and non-ASCII names are exact.
- **Logins** only where the e-mail names them (``<id>+<login>@users.noreply.github.com``,
  ``<login>@users.noreply.github.com``; ``noreply@github.com`` is ``web-flow``), else ``null``.

The git source yields ``commit`` events (and, with ``tags=True``, ``release`` events for tags): issues and pull
requests come from the github source.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infra_digest.sources import validate
from infra_digest.sources.base import DayBatch, RawEvent, SourceError, day_bounds
from infra_digest.sources.secrets import hide_credentials
from infra_digest.watchlist import RepoSpec

__all__ = ["GitSource", "MirrorState", "read_commits", "login_for", "STATUS"]

#: bytes read from a git pipe at a time (tests shrink it to exercise tokens split across reads)
CHUNK_SIZE = 1 << 16
#: file in a mirror holding the time of its last successful clone or fetch (ISO 8601)
FETCHED_MARK = "infra-digest-fetched-at"
#: seconds allowed for one clone/fetch before it counts as failed
NETWORK_TIMEOUT = 1800

STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}

_NOREPLY = re.compile(
    r"^(?:\d+\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)@users\.noreply\.github\.com$"
)
# sha, parents, tree, author name/email/date, committer name/email/date, raw message
_LOG_FORMAT = "%H%x00%P%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
_LOG_FIELDS = 10
_HEX = re.compile(rb"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
# Never let git prompt for credentials, never honour refs/replace (GitHub does not).
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def login_for(email: str | None) -> str | None:
    """GitHub login only where the e-mail itself names it; otherwise None (unknown)."""
    m = _NOREPLY.match(email or "")
    if m:
        return m.group(1)
    if (email or "").lower() == "noreply@github.com":
        return "web-flow"
    return None


def _utc(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitCommandError(RuntimeError):
    pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_GIT_ENV)
    return env


def _run(args: list[str], *, timeout: float | None = None, cwd: str | None = None) -> bytes:
    try:
        proc = subprocess.run(args, capture_output=True, env=_env(), timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise GitCommandError(f"timed out after {timeout:.0f} s") from None
    except OSError as exc:
        raise GitCommandError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        err = _dec(proc.stderr).strip().splitlines()
        msg = next((line for line in reversed(err) if line.startswith(("fatal:", "error:"))), err[-1] if err else "")
        raise GitCommandError(f"exit {proc.returncode}: {msg.strip() or 'no message'}")
    return proc.stdout


def _tokens(stream: IO[bytes], chunk: int | None = None) -> Iterator[bytes]:
    """NUL-separated tokens of a pipe, read ``chunk`` bytes at a time (a trailing NUL ends the last one)."""
    size = chunk or CHUNK_SIZE
    rest = b""
    while True:
        data = stream.read(size)
        if not data:
            break
        parts = (rest + data).split(b"\x00")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


class _Pipe:
    """A git process whose stdout is consumed as a stream; stdin (optional) is fed by a thread."""

    def __init__(self, args: list[str], stdin_lines: Iterable[bytes] | None = None):
        self.args = args
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if stdin_lines is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_env(),
            )
        except OSError as exc:
            raise GitCommandError(f"cannot run git: {exc}") from None
        self._stderr: list[bytes] = []
        self._threads = [threading.Thread(target=self._drain_stderr, daemon=True)]
        if stdin_lines is not None:
            self._threads.append(threading.Thread(target=self._feed, args=(stdin_lines,), daemon=True))
        for t in self._threads:
            t.start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.append(self.proc.stderr.read())

    def _feed(self, lines: Iterable[bytes]) -> None:
        assert self.proc.stdin is not None
        try:
            for line in lines:
                self.proc.stdin.write(line)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def tokens(self) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        return _tokens(self.proc.stdout)

    def close(self) -> None:
        """Wait for git; raise GitCommandError if it failed."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        rc = self.proc.wait()
        for t in self._threads:
            t.join(timeout=10)
        if rc != 0:
            err = _dec(b"".join(self._stderr)).strip().splitlines()
            sub = next((a for a in self.args[1:] if not a.startswith("-") and "=" not in a), "git")
            raise GitCommandError(f"git {sub}: exit {rc}: {err[-1] if err else 'no message'}")

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()


# --------------------------------------------------------------------------------------------------
# Reading a mirror
# --------------------------------------------------------------------------------------------------
@dataclass
class _Commit:
    sha: str
    parents: list[str]
    tree: str
    raw: list[bytes]  # an, ae, aI, cn, ce, cI, message (undecoded)


def _walk(gitdir: Path, ref: str, wanted: set[dt.date], tz: dt.tzinfo,
          problems: list[str]) -> tuple[dict[dt.date, list[_Commit]], int]:
    """One ``git log --date-order`` over everything reachable from ``ref``; keep commits of ``wanted`` days."""
    pipe = _Pipe(["git", f"--git-dir={gitdir}", "-c", "log.showSignature=false", "log", "--date-order", "-z",
                  f"--format={_LOG_FORMAT}", ref, "--"])
    selected: dict[dt.date, list[_Commit]] = {d: [] for d in wanted}
    walked = 0
    try:
        rec: list[bytes] = []
        for tok in pipe.tokens():
            rec.append(tok)
            if len(rec) < _LOG_FIELDS:
                continue
            sha_b, parents_b, tree_b, an, ae, ad, cn, ce, cd, msg = rec
            rec = []
            sha = sha_b.strip(b"\n").decode("ascii", "replace")
            walked += 1
            try:
                day = dt.datetime.fromisoformat(cd.decode("ascii")).astimezone(tz).date()
            except (ValueError, UnicodeDecodeError):
                problems.append(f"commit {sha} has an unreadable committer date {_dec(cd)!r}: skipped")
                continue
            if day in selected:
                selected[day].append(_Commit(sha, parents_b.decode("ascii").split(), tree_b.decode("ascii"),
                                             [an, ae, ad, cn, ce, cd, msg]))
        if any(tok.strip(b"\n") for tok in rec):
            raise GitCommandError(f"git log output ended inside a record ({len(rec)} of {_LOG_FIELDS} fields)")
    except BaseException:
        pipe.kill()
        raise
    pipe.close()
    return selected, walked


def _diff_tree(gitdir: Path, commits: Sequence[_Commit]) -> Iterator[tuple[str, list[dict[str, Any]], str | None]]:
    """Per-file stats of ``commits`` (against the first parent) from ONE streaming ``git diff-tree --stdin``.

    Yields (sha, files, problem) for every commit git printed something for; commits with an empty diff
    print nothing (the caller defaults them to no files).
    """
    lines = (f"{c.sha} {c.parents[0]}\n".encode() if c.parents else f"{c.sha}\n".encode() for c in commits)
    pipe = _Pipe(["git", f"--git-dir={gitdir}", "diff-tree", "--stdin", "--root", "-r", "-z", "-M",
                  "--raw", "--numstat"], lines)
    try:
        it = pipe.tokens()
        cur: str | None = None
        raw: list[tuple[str, str | None, str]] = []
        files: list[dict[str, Any]] = []
        problem: str | None = None
        for t in it:
            if not t:
                continue
            if t[:1] == b":":  # ":100644 100644 <old> <new> R087" then path(s)
                st = _dec(t.split()[-1])[:1] or "M"
                if st in "RC":
                    old, new = _dec(next(it)), _dec(next(it))
                    raw.append((st, old, new))
                else:
                    raw.append((st, None, _dec(next(it))))
            elif b"\t" in t:  # "<add>\t<del>\t<path>" or "<add>\t<del>\t" then old, new
                a_b, d_b, p = t.split(b"\t", 2)
                a = 0 if a_b == b"-" else int(a_b)
                d = 0 if d_b == b"-" else int(d_b)
                if p == b"":
                    next(it)
                    path = _dec(next(it))
                else:
                    path = _dec(p)
                k = len(files)
                if k >= len(raw):
                    problem = problem or f"commit {cur}: more numstat than raw entries"
                    continue
                st, old, new = raw[k]
                raw[k] = ("", None, "")  # drop what we no longer need
                if new != path and problem is None:
                    problem = f"commit {cur}: raw/numstat order mismatch {new!r} vs {path!r}"
                f: dict[str, Any] = {"filename": new, "status": STATUS.get(st, "modified"), "additions": a,
                                     "deletions": d, "changes": a + d}
                if st in "RC":
                    f["previous_filename"] = old
                files.append(f)
            elif _HEX.match(t.strip(b"\n")):
                if cur is not None:
                    if len(files) != len(raw) and problem is None:
                        problem = f"commit {cur}: raw/numstat mismatch {len(raw)} vs {len(files)}"
                    yield cur, files, problem
                cur, raw, files, problem = _dec(t.strip(b"\n")), [], [], None
            else:
                raise GitCommandError(f"unexpected diff-tree output {_dec(t[:80])!r}")
        if cur is not None:
            if len(files) != len(raw) and problem is None:
                problem = f"commit {cur}: raw/numstat mismatch {len(raw)} vs {len(files)}"
            yield cur, files, problem
    except StopIteration:
        pipe.kill()
        raise GitCommandError("diff-tree output ended inside a record") from None
    except BaseException:
        pipe.kill()
        raise
    pipe.close()


def _payload(repo: str, c: _Commit, files: list[dict[str, Any]]) -> dict[str, Any]:
    an, ae, ad, cn, ce, cd, msg = (_dec(b) for b in c.raw)
    api = f"https://api.github.com/repos/{repo}"
    web = f"https://github.com/{repo}"
    adds = sum(f["additions"] for f in files)
    dels = sum(f["deletions"] for f in files)
    return {
        "sha": c.sha,
        "commit": {
            "author": {"name": an, "email": ae, "date": _utc(ad)},
            "committer": {"name": cn, "email": ce, "date": _utc(cd)},
            "message": msg.rstrip("\n"),
            "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            "url": f"{api}/git/commits/{c.sha}",
        },
        "url": f"{api}/commits/{c.sha}",
        "html_url": f"{web}/commit/{c.sha}",
        "author": {"login": login_for(ae)},
        "committer": {"login": login_for(ce)},
        "parents": [{"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{web}/commit/{p}"} for p in c.parents],
        "stats": {"total": adds + dels, "additions": adds, "deletions": dels},
        "files": files,
    }


@dataclass
class CommitsByDay:
    days: dict[dt.date, list[dict[str, Any]]]
    walked: int  # commits reachable from the ref (all walked once)
    problems: dict[dt.date, list[str]] = field(default_factory=dict)  # per-day errors (unparseable file lists)
    notes: list[str] = field(default_factory=list)  # repository-wide remarks (unreadable dates)


def read_commits(gitdir: str | Path, repo: str, ref: str, days: Iterable[dt.date],
                 tz: dt.tzinfo = dt.timezone.utc) -> CommitsByDay:
    """Commit payloads (GitHub API shape) per day for everything reachable from ``ref`` in ``gitdir``.

    Exactly two git processes whatever the number of days: one ``git log``, one ``git diff-tree --stdin``.
    Raises GitCommandError if git fails.
    """
    gitdir = Path(gitdir)
    notes: list[str] = []
    selected, walked = _walk(gitdir, ref, set(days), tz, notes)
    order = [c for cs in selected.values() for c in cs]
    stats: dict[str, tuple[list[dict[str, Any]], str | None]] = {}
    if order:
        for sha, files, problem in _diff_tree(gitdir, order):
            stats[sha] = (files, problem)
    out: dict[dt.date, list[dict[str, Any]]] = {}
    problems: dict[dt.date, list[str]] = {}
    for day, cs in selected.items():
        out[day] = []
        for c in cs:
            files, problem = stats.get(c.sha, ([], None))
            if problem:
                problems.setdefault(day, []).append(problem)
            out[day].append(_payload(repo, c, files))
    return CommitsByDay(out, walked, problems, notes)


_TAG_FORMAT = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(taggerdate:iso-strict)%00%(committerdate:iso-strict)%00%(*objectname)%00%(contents:subject)"


def read_tags(gitdir: str | Path, repo: str, days: Iterable[dt.date],
              tz: dt.tzinfo = dt.timezone.utc) -> tuple[dict[dt.date, list[dict[str, Any]]], list[str]]:
    """Tags of the mirror as release-shaped payloads (``GET /repos/{o}/{r}/releases`` fields), per day.

    An annotated tag is dated by its tagger date and named by its subject; a lightweight tag by the committer date
    of its commit, with ``lightweight: true`` (and no name). Tags of trees or blobs are skipped. ``draft`` is
    false and ``prerelease`` null (a tag says nothing about it); ``target_commitish`` is the tagged commit.
    Returns (payloads by day, notes about unreadable tags).
    """
    wanted = set(days)
    out: dict[dt.date, list[dict[str, Any]]] = {d: [] for d in wanted}
    notes: list[str] = []
    raw = _run(["git", f"--git-dir={gitdir}", "for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags"])
    for line in raw.split(b"\n"):
        if not line:
            continue
        fields = line.split(b"\x00")
        if len(fields) != 7:
            notes.append(f"tag line not understood: {_dec(line[:80])!r}")
            continue
        name, otype, oid, tagger_date, commit_date, peeled, subject = (_dec(f) for f in fields)
        lightweight = otype == "commit"
        if otype not in ("commit", "tag"):
            continue
        when = commit_date if lightweight else tagger_date
        try:
            day = dt.datetime.fromisoformat(when).astimezone(tz).date()
        except ValueError:
            notes.append(f"tag {name!r} has no readable date: skipped")
            continue
        if day not in wanted:
            continue
        out[day].append({
            "tag_name": name,
            "name": None if lightweight else subject,
            "body": None,
            "draft": False,
            "prerelease": None,
            "created_at": _utc(when),
            "published_at": _utc(when),
            "html_url": f"https://github.com/{repo}/releases/tag/{name}",
            "target_commitish": oid if lightweight else peeled,
            "lightweight": lightweight,
            "author": None,
        })
    return out, notes


# --------------------------------------------------------------------------------------------------
# Mirrors
# --------------------------------------------------------------------------------------------------
@dataclass
class MirrorState:
    path: Path
    usable: bool  # a mirror exists (old or new) and can be read
    action: str  # "cloned", "fetched", "fetch failed", "not fetched", "clone failed"
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    updated_at: dt.datetime | None = None  # when a mirror whose fetch failed was last updated (None: unknown)


def _is_url(remote: str) -> bool:
    return "://" in remote or re.match(r"^[\w.-]+@[\w.-]+:", remote) is not None


def _normalize_remote(remote: str) -> str:
    """Local paths (repositories, bundles) become absolute, so the mirror does not depend on the cwd."""
    if _is_url(remote):
        return remote
    return str(Path(remote).expanduser().resolve())


class GitSource:
    """Commits from local bare mirrors. ``name`` is "git"; yields only ``commit`` events.

    ``mirror_dir``: folder of the mirrors (``<owner>__<name>.git``), created as needed.
    ``fetch``: update existing mirrors with ``git fetch`` (once per instance and repository). With
    ``fetch=False`` existing mirrors are read as they are; a missing mirror is still cloned.
    ``remotes``: ``{"owner/name": url-or-path}`` overriding ``RepoSpec.git_remote``.
    ``log``: receives one line per clone/fetch (progress for the CLI / Dagster logs).
    ``tz``: the days' timezone (UTC by default, like every source).
    ``now``: the clock (aware UTC datetime) deciding which days have begun.
    ``tags``: also fetch tags and yield them as ``release`` events (see :func:`read_tags`), dated by the tagger
    date of an annotated tag, or by its commit's committer date for a lightweight tag (marked ``lightweight``).

    A day the source cannot answer for fails: one that has not begun, and, when ``git fetch`` failed, one that
    began after the mirror was last updated. A day before that is answered from the old mirror with
    ``DayBatch.stale`` set (and the note "data may be stale"). Every payload passes
    :mod:`infra_digest.sources.validate` (text normalised); one that does not fails its day.
    """

    name = "git"

    def __init__(self, mirror_dir: Path | str = "data/git", *, fetch: bool = True,
                 remotes: dict[str, str] | None = None, log: Callable[[str], None] | None = None,
                 tz: dt.tzinfo = dt.timezone.utc, now: Callable[[], dt.datetime] | None = None, tags: bool = False):
        if shutil.which("git") is None:
            raise SourceError("the git source needs the `git` command, which is not on PATH")
        self.mirror_dir = Path(mirror_dir)
        self.update_mirrors = fetch
        self.remotes = dict(remotes or {})
        self._log = log or (lambda _msg: None)
        self.tz = tz
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.tags = tags
        self._states: dict[str, MirrorState] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"GitSource({str(self.mirror_dir)!r}, fetch={self.update_mirrors})"

    def log(self, msg: str) -> None:
        """Progress lines, with any credentials in a remote URL hidden."""
        self._log(hide_credentials(msg))

    # -- mirrors ---------------------------------------------------------------------------------
    def mirror_path(self, repo: RepoSpec) -> Path:
        return self.mirror_dir / f"{repo.dirname}.git"

    def remote_for(self, repo: RepoSpec) -> str:
        return _normalize_remote(self.remotes.get(repo.repo) or repo.git_remote)

    def _lock(self, repo: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(repo, threading.Lock())

    def ensure_mirror(self, repo: RepoSpec) -> MirrorState:
        """Clone the mirror if missing, else fetch it (at most once per instance). Never raises."""
        with self._lock(repo.repo):
            state = self._states.get(repo.repo)
            if state is None:
                state = self._states[repo.repo] = self._update(repo)
            return state

    def _update(self, repo: RepoSpec) -> MirrorState:
        path = self.mirror_path(repo)
        remote = self.remote_for(repo)
        t0 = time.perf_counter()
        if not (path / "HEAD").is_file():
            try:
                self._clone(remote, path, repo.branch)
            except (GitCommandError, OSError) as exc:
                msg = f"no git mirror of {repo.repo}: cloning {remote} into {path} failed ({exc})"
                self.log(f"git: {msg}")
                return MirrorState(path, False, "clone failed", error=msg, seconds=time.perf_counter() - t0)
            secs = time.perf_counter() - t0
            self.log(f"git: {repo.repo}: cloned {remote} into {path} in {secs:.1f} s")
            self._mark_fetched(path)
            return MirrorState(path, True, "cloned", seconds=secs)
        if not self.update_mirrors:
            return MirrorState(path, True, "not fetched")
        last_update = self._last_update_time(path)  # before `git fetch`, which touches FETCH_HEAD even when it fails
        try:
            current = _dec(_run(["git", f"--git-dir={path}", "config", "--get", "remote.origin.url"])).strip()
        except GitCommandError:
            current = ""
        try:
            if current != remote:
                if current:
                    _run(["git", f"--git-dir={path}", "remote", "set-url", "origin", remote])
                else:
                    self._configure_remote(path, remote)
                self.log(f"git: {repo.repo}: remote changed from {current or '(none)'} to {remote}")
            _run(["git", f"--git-dir={path}", "fetch", "--prune", "--no-tags", "--quiet", "origin", *self._refspecs()],
                 timeout=NETWORK_TIMEOUT)
        except GitCommandError as exc:
            secs = time.perf_counter() - t0
            when = f"{last_update:%Y-%m-%dT%H:%M:%SZ}" if last_update else "at an unknown time"
            note = f"git fetch failed ({exc}): data may be stale (mirror last updated {when})"
            self.log(f"git: {repo.repo}: {note}")
            return MirrorState(path, True, "fetch failed", notes=[note], seconds=secs, updated_at=last_update)
        secs = time.perf_counter() - t0
        self.log(f"git: {repo.repo}: fetched {remote} in {secs:.1f} s")
        self._mark_fetched(path)
        return MirrorState(path, True, "fetched", seconds=secs)

    @staticmethod
    def _configure_remote(gitdir: Path, remote: str) -> None:
        g = ["git", f"--git-dir={gitdir}", "config"]
        _run([*g, "remote.origin.url", remote])
        # Branches only: a `--mirror` refspec (+refs/*:refs/*) would also pull GitHub's refs/pull/*
        # (every PR head and merge ref with their objects), many times the size for vllm or sglang.
        _run([*g, "--replace-all", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"])
        _run([*g, "remote.origin.mirror", "true"])

    def _clone(self, remote: str, path: Path, branch: str) -> None:
        """A bare mirror of the remote's branches, created in a temporary folder and renamed into place."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        try:
            _run(["git", "init", "--bare", "--quiet", str(tmp)])
            self._configure_remote(tmp, remote)
            _run(["git", f"--git-dir={tmp}", "symbolic-ref", "HEAD", f"refs/heads/{branch}"])
            _run(["git", f"--git-dir={tmp}", "fetch", "--no-tags", "--quiet", "origin", *self._refspecs()], timeout=NETWORK_TIMEOUT)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _refspecs(self) -> list[str]:
        """Explicit refspecs when tags are wanted (branches and tags); none: the configured ones (branches)."""
        return ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"] if self.tags else []

    def _mark_fetched(self, path: Path) -> None:
        """Remember when the mirror was last brought up to date (git keeps no such time of its own)."""
        try:
            (path / FETCHED_MARK).write_text(self.now().astimezone(dt.timezone.utc).isoformat() + "\n", encoding="utf-8")
        except OSError:
            pass

    @staticmethod
    def _last_update_time(path: Path) -> dt.datetime | None:
        """When the mirror was last updated: our mark, else the newest of its refs' files (None: unknown)."""
        try:
            mark = dt.datetime.fromisoformat((path / FETCHED_MARK).read_text(encoding="utf-8").strip())
            return mark if mark.tzinfo else mark.replace(tzinfo=dt.timezone.utc)
        except (OSError, ValueError):
            pass
        stamps = [p.stat().st_mtime for p in (path / "packed-refs", path / "refs" / "heads", path / "HEAD") if p.exists()]
        return dt.datetime.fromtimestamp(max(stamps), dt.timezone.utc) if stamps else None

    # -- Source protocol -------------------------------------------------------------------------
    def fetch(self, repo: RepoSpec, days: Sequence[dt.date]) -> Iterator[DayBatch]:
        days = list(days)
        if not days:
            return
        state = self.ensure_mirror(repo)
        notes = list(state.notes)
        error: str | None = state.error
        result: CommitsByDay | None = None
        tags_by_day: dict[dt.date, list[dict[str, Any]]] = {}
        t0 = time.perf_counter()
        if error is None:
            ref = f"refs/heads/{repo.branch}"
            try:
                _run(["git", f"--git-dir={state.path}", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
            except GitCommandError:
                error = f"branch {repo.branch!r} not found in the git mirror {state.path} of {self.remote_for(repo)}"
            else:
                try:
                    result = read_commits(state.path, repo.repo, ref, days, self.tz)
                    if self.tags:
                        tags_by_day, tag_notes = read_tags(state.path, repo.repo, days, self.tz)
                        notes += tag_notes
                except (GitCommandError, OSError, ValueError) as exc:
                    error = f"reading the git mirror {state.path} failed: {exc}"
                    result = None
        ms = int((time.perf_counter() - t0) * 1000)
        now = self.now()
        for d in days:
            batch = DayBatch(repo=repo.repo, day=d, notes=list(notes), stale=state.action == "fetch failed")
            begins = day_bounds(d, self.tz)[0]
            if result is None:
                batch.error = error
                batch.stats = {"items": 0}
            elif begins > now:
                batch.error = f"{repo.repo}: {d} has not begun yet (it is {now:%Y-%m-%d %H:%M} UTC); the git mirror cannot answer for it"
                batch.stats = {"items": 0}
            elif batch.stale and (state.updated_at is None or begins >= state.updated_at):
                when = f"{state.updated_at:%Y-%m-%dT%H:%M:%SZ}" if state.updated_at else "at an unknown time"
                batch.error = (f"{repo.repo}: the git mirror {state.path} was last updated {when}, before {d} began, and "
                               f"could not be fetched; it cannot answer for that day")
                batch.stats = {"items": 0}
            else:
                where = f"git mirror {state.path}"
                events, problems = [], list(result.problems.get(d, []))
                for p in result.days.get(d, []):
                    try:
                        p = validate.commit(p, where, notes=batch.notes)
                    except validate.Invalid as exc:
                        problems.append(str(exc))
                        continue
                    events.append(RawEvent("commit", p["sha"], p))
                for p in tags_by_day.get(d, []):
                    try:
                        p = validate.release(p, where, notes=batch.notes)
                    except validate.Invalid as exc:
                        problems.append(str(exc))
                        continue
                    events.append(RawEvent("release", p["tag_name"], p))
                batch.events = events
                batch.notes += result.notes
                if problems:
                    batch.error = "; ".join(problems)
                batch.stats = {"items": len(batch.events), "commits_walked": result.walked, "read_ms": ms}
            batch.error = hide_credentials(batch.error) if batch.error else None
            batch.notes = [hide_credentials(n) for n in batch.notes]
            yield batch
