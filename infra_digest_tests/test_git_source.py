"""The git source against real git repositories built here with `git`, and against the replay derivation.

- A small repository (root commit, rename, binary file, odd file names, a side branch merged with --no-ff,
  author/committer dates on different days, latin-1 messages, a type change, a skewed committer date, an
  empty day, an unmerged branch) is used as a remote; the facts are checked exactly.
- The same repository, and the real histories of deepseek-ai/DeepGEMM and deepseek-ai/FlashMLA
  (``shared/git/*.bundle``), are run through ``shared/replay/derive/export_commits.py`` (the script that
  produced ``shared/replay``) and every payload must equal the script's JSON files byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra_digest.sources import git as gitmod
from infra_digest.sources.base import DayBatch, Source
from infra_digest.sources.git import GitSource, login_for
from infra_digest.watchlist import RepoSpec

SHARED = Path(os.environ.get("INFRA_DIGEST_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BUNDLES = SHARED / "git"
REPLAY = SHARED / "replay"
EXPORT_SCRIPT = REPLAY / "derive" / "export_commits.py"

D = dt.date


# ------------------------------------------------------------------------------------------------
# helpers: building repositories with git
# ------------------------------------------------------------------------------------------------
def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), LC_ALL="C")
    return env


class WorkRepo:
    """A non-bare repository driven with `git`, with full control over author/committer identities and dates."""

    def __init__(self, path: Path, home: Path, branch: str = "main"):
        self.path = path
        self.home = home
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", branch)
        self.git("config", "user.name", "Test User")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "core.autocrlf", "false")

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        full = _git_env(self.home)
        full.update(env or {})
        out = subprocess.run(["git", *args], cwd=self.path, env=full, input=input, capture_output=True)
        if out.returncode:
            raise AssertionError(f"git {' '.join(args)} failed: {out.stderr.decode(errors='replace')}")
        return out.stdout.decode("utf-8", "replace")

    def write(self, name: str, content: bytes | str) -> None:
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(self, message: bytes | str, date: str, *, author_date: str | None = None,
               author: tuple[str, str] = ("Alice A", "12345+alice@users.noreply.github.com"),
               committer: tuple[str, str] = ("GitHub", "noreply@github.com"),
               extra: tuple[str, ...] = (), config: tuple[str, ...] = ()) -> str:
        msg = message.encode() if isinstance(message, str) else message
        msgfile = self.home / "msg.txt"
        msgfile.write_bytes(msg)
        env = {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author_date or date,
            "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1], "GIT_COMMITTER_DATE": date,
        }
        cfg = [x for c in config for x in ("-c", c)]
        self.git("add", "-A")
        self.git(*cfg, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", str(msgfile), *extra, env=env)
        return self.git("rev-parse", "HEAD").strip()

    def raw_commit(self, message: bytes, epoch: int, tz: str = "+0000") -> str:
        """A commit object written by hand, bytes as given (``git commit`` would re-encode a latin-1 message)."""
        self.git("add", "-A")
        tree = self.git("write-tree").strip()
        parent = self.git("rev-parse", "HEAD").strip()
        obj = (f"tree {tree}\nparent {parent}\n"
               f"author Dana <dana@users.noreply.github.com> {epoch} {tz}\n"
               f"committer Dana <dana@users.noreply.github.com> {epoch} {tz}\n\n").encode() + message
        sha = self.git("hash-object", "-t", "commit", "-w", "--stdin", input=obj).strip()
        self.git("update-ref", "HEAD", sha)
        return sha

    def merge(self, branch: str, message: str, date: str) -> str:
        env = {"GIT_AUTHOR_NAME": "Merger", "GIT_AUTHOR_EMAIL": "merger@users.noreply.github.com",
               "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_NAME": "Merger",
               "GIT_COMMITTER_EMAIL": "merger@users.noreply.github.com", "GIT_COMMITTER_DATE": date}
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=env)
        return self.git("rev-parse", "HEAD").strip()


BINARY_1 = bytes(range(256)) * 4
BINARY_2 = bytes(reversed(range(256))) * 8
BIG = "".join(f"line {i} of a file that is long enough to be detected as a rename\n" for i in range(40))
NEWLINE_NAME = "odd\nname.txt"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small repository: returns (WorkRepo, {label: sha})."""
    base = tmp_path_factory.mktemp("small")
    home = base / "home"
    home.mkdir()
    r = WorkRepo(base / "remote", home)
    s: dict[str, str] = {}
    # 2026-01-03: nothing yet (the skewed commit below lands here)
    # 2026-01-05
    r.write("README.md", "hello\nworld\n")
    r.write("dir with space/file one.txt", "one\n")
    r.write("ünïcode/naïve.txt", "çà\n")
    r.write(NEWLINE_NAME, "x\n")
    r.write("bin/blob.bin", BINARY_1)
    r.write("big.txt", BIG)
    r.write("link-or-file", "plain file\n")
    s["root"] = r.commit("Initial import\n\nWith a body.\n", "2026-01-05T10:00:00+00:00")
    (r.path / "big.txt").unlink()
    r.write("moved/big-renamed.txt", BIG.replace("line 3 of", "LINE 3 of"))
    r.write("bin/blob.bin", BINARY_2)
    s["rename"] = r.commit("Rename big.txt (#12)", "2026-01-05T11:00:00+00:00",
                           author=("Bob", "bob@users.noreply.github.com"), committer=("Bob", "bob@example.org"))
    # 2026-01-06: side branch merged with --no-ff; s["side"] is reachable only through the merge
    r.git("checkout", "-q", "-b", "side")
    r.write("side.txt", "a\nb\nc\n")
    s["side"] = r.commit("Side work", "2026-01-06T08:00:00+00:00",
                         author=("Carol", "carol@corp.example"), committer=("Carol", "carol@corp.example"))
    r.git("checkout", "-q", "main")
    r.write("README.md", "hello\nworld\nmore\n")
    s["main1"] = r.commit("Main work", "2026-01-06T09:00:00+00:00")
    s["merge"] = r.merge("side", "Merge branch 'side'", "2026-01-06T12:00:00+00:00")
    # 2026-01-07: latin-1 message without encoding header (invalid UTF-8), one with an ISO-8859-1 header,
    # an empty commit; author 2026-01-07 but committer 2026-01-08 UTC (local 2026-01-07 -05:00)
    r.write("latin.txt", "1\n")
    s["latin_raw"] = r.raw_commit(b"caf\xe9 without header, bad \xff\xfe UTF-8\n", 1767776400)  # 2026-01-07T09:00Z
    r.write("latin.txt", "1\n2\n")
    s["latin_hdr"] = r.commit(b"caf\xe9 with header\n", "2026-01-07T10:00:00+00:00",
                              config=("i18n.commitEncoding=ISO-8859-1",))
    s["empty"] = r.commit("Empty commit\n\n\n", "2026-01-07T11:00:00+00:00")
    r.write("late.txt", "late\n")
    s["late"] = r.commit("Committed after midnight UTC", "2026-01-07T20:10:00-05:00",
                         author_date="2026-01-07T23:50:00+00:00")
    # 2026-01-08: a type change (file -> symlink)
    (r.path / "link-or-file").unlink()
    os.symlink("README.md", r.path / "link-or-file")
    s["typechange"] = r.commit("Make it a link", "2026-01-08T15:00:00+01:00")
    # 2026-01-09: empty day
    # 2026-01-10: a removal on main, and a commit on an unmerged branch
    r.git("rm", "-q", "dir with space/file one.txt")
    s["remove"] = r.commit("Remove a file", "2026-01-10T06:00:00+00:00")
    r.git("checkout", "-q", "-b", "feature")
    r.write("feature.txt", "f\n")
    s["unmerged"] = r.commit("Never merged", "2026-01-10T07:00:00+00:00")
    r.git("checkout", "-q", "main")
    # a skewed committer date: 2026-01-03, older than all its ancestors, then a normal commit on top;
    # `git log --since=2026-01-10` stops at the skewed commit and never sees s["remove"] (checked below)
    r.write("skew.txt", "s\n")
    s["skewed"] = r.commit("Skewed clock", "2026-01-03T12:00:00+00:00")
    r.write("skew.txt", "t\n")
    s["after_skew"] = r.commit("After the skew", "2026-01-10T08:00:00+00:00")
    return r, s


DAYS = [D(2026, 1, d) for d in range(2, 12)]


def _spec(repo: str = "test/small", branch: str = "main") -> RepoSpec:
    return RepoSpec(repo=repo, name=repo.split("/")[1], branch=branch)


def _by_day(batches: list[DayBatch]) -> dict[dt.date, list[str]]:
    return {b.day: [e.id for e in b.events] for b in batches}


def _files(batches: list[DayBatch], sha: str) -> list[dict]:
    for b in batches:
        for e in b.events:
            if e.id == sha:
                return e.payload["files"]
    raise KeyError(sha)


def _payload(batches: list[DayBatch], sha: str) -> dict:
    for b in batches:
        for e in b.events:
            if e.id == sha:
                return e.payload
    raise KeyError(sha)


@pytest.fixture(scope="module")
def small_batches(small, tmp_path_factory):
    r, s = small
    logs: list[str] = []
    src = GitSource(tmp_path_factory.mktemp("mirrors"), remotes={"test/small": str(r.path)}, log=logs.append)
    batches = list(src.fetch(_spec(), DAYS))
    return batches, logs, src


# ------------------------------------------------------------------------------------------------
# the small repository: exact facts
# ------------------------------------------------------------------------------------------------
def test_protocol_and_one_batch_per_day(small_batches):
    batches, logs, src = small_batches
    assert isinstance(src, Source) and src.name == "git"
    assert [b.day for b in batches] == DAYS
    assert all(b.ok and b.repo == "test/small" and b.notes == [] for b in batches)
    assert all(e.kind == "commit" for b in batches for e in b.events)  # commits only, no issues
    assert any("cloned" in line for line in logs)
    assert (src.mirror_dir / "test__small.git" / "HEAD").is_file()


def test_selection_by_committer_date_in_date_order(small, small_batches):
    batches, _, _ = small_batches
    _, s = small
    assert _by_day(batches) == {
        D(2026, 1, 2): [],
        D(2026, 1, 3): [s["skewed"]],  # found although older than every ancestor: no --since early stop
        D(2026, 1, 4): [],
        D(2026, 1, 5): [s["rename"], s["root"]],
        D(2026, 1, 6): [s["merge"], s["main1"], s["side"]],  # side commit reached only through the merge
        D(2026, 1, 7): [s["empty"], s["latin_hdr"], s["latin_raw"]],
        D(2026, 1, 8): [s["typechange"], s["late"]],  # late: authored 01-07, committed 01-08 01:10Z
        D(2026, 1, 9): [],  # empty day
        D(2026, 1, 10): [s["after_skew"], s["remove"]],  # not the unmerged branch's commit
        D(2026, 1, 11): [],
    }
    assert s["unmerged"] not in {e.id for b in batches for e in b.events}
    since = small[0].git("log", "--format=%H", "--since=2026-01-10T00:00:00Z", "main").split()
    assert s["remove"] not in since  # why the source walks the whole history instead of using --since


def test_root_commit_files_names_and_binary(small, small_batches):
    batches, _, _ = small_batches
    _, s = small
    p = _payload(batches, s["root"])
    assert p["parents"] == []
    assert p["commit"]["message"] == "Initial import\n\nWith a body."
    files = {f["filename"]: f for f in p["files"]}
    assert set(files) == {"README.md", "dir with space/file one.txt", "ünïcode/naïve.txt", NEWLINE_NAME,
                          "bin/blob.bin", "big.txt", "link-or-file"}
    assert all(f["status"] == "added" for f in files.values())
    assert files["bin/blob.bin"] == {"filename": "bin/blob.bin", "status": "added", "additions": 0,
                                     "deletions": 0, "changes": 0}
    assert files["big.txt"]["additions"] == 40
    assert files["README.md"] == {"filename": "README.md", "status": "added", "additions": 2, "deletions": 0,
                                  "changes": 2}
    assert p["stats"] == {"total": 2 + 1 + 1 + 1 + 40 + 1, "additions": 46, "deletions": 0}


def test_rename_binary_modify_and_logins(small, small_batches):
    batches, _, _ = small_batches
    _, s = small
    p = _payload(batches, s["rename"])
    assert p["files"] == [
        {"filename": "bin/blob.bin", "status": "modified", "additions": 0, "deletions": 0, "changes": 0},
        {"filename": "moved/big-renamed.txt", "status": "renamed", "additions": 1, "deletions": 1, "changes": 2,
         "previous_filename": "big.txt"},
    ]
    assert p["stats"] == {"total": 2, "additions": 1, "deletions": 1}
    assert p["author"] == {"login": "bob"} and p["committer"] == {"login": None}
    assert p["commit"]["committer"] == {"name": "Bob", "email": "bob@example.org", "date": "2026-01-05T11:00:00Z"}
    root = _payload(batches, s["root"])
    assert root["author"] == {"login": "alice"} and root["committer"] == {"login": "web-flow"}
    assert p["parents"] == [{"sha": s["root"], "url": f"https://api.github.com/repos/test/small/commits/{s['root']}",
                             "html_url": f"https://github.com/test/small/commit/{s['root']}"}]
    assert p["url"] == f"https://api.github.com/repos/test/small/commits/{s['rename']}"
    assert p["html_url"] == f"https://github.com/test/small/commit/{s['rename']}"
    assert p["commit"]["url"] == f"https://api.github.com/repos/test/small/git/commits/{s['rename']}"
    assert p["commit"]["tree"]["url"] == f"https://api.github.com/repos/test/small/git/trees/{p['commit']['tree']['sha']}"
    assert list(p) == ["sha", "commit", "url", "html_url", "author", "committer", "parents", "stats", "files"]


def test_merge_against_first_parent(small, small_batches):
    batches, _, _ = small_batches
    _, s = small
    p = _payload(batches, s["merge"])
    assert [q["sha"] for q in p["parents"]] == [s["main1"], s["side"]]
    assert p["files"] == [{"filename": "side.txt", "status": "added", "additions": 3, "deletions": 0, "changes": 3}]
    assert p["author"] == {"login": "merger"}
    side = _payload(batches, s["side"])
    assert side["files"] == p["files"] and side["author"] == {"login": None}


def test_encodings_empty_commit_and_cross_day_dates(small, small_batches):
    batches, _, _ = small_batches
    _, s = small
    assert _payload(batches, s["latin_raw"])["commit"]["message"] == "caf\ufffd without header, bad \ufffd\ufffd UTF-8"
    assert _payload(batches, s["latin_hdr"])["commit"]["message"] == "café with header"
    empty = _payload(batches, s["empty"])
    assert empty["commit"]["message"] == "Empty commit"
    assert empty["files"] == [] and empty["stats"] == {"total": 0, "additions": 0, "deletions": 0}
    late = _payload(batches, s["late"])
    assert late["commit"]["author"]["date"] == "2026-01-07T23:50:00Z"
    assert late["commit"]["committer"]["date"] == "2026-01-08T01:10:00Z"
    tc = _payload(batches, s["typechange"])
    assert tc["commit"]["committer"]["date"] == "2026-01-08T14:00:00Z"
    assert [(f["filename"], f["status"]) for f in tc["files"]] == [("link-or-file", "changed")]
    rm = _payload(batches, s["remove"])
    assert rm["files"] == [{"filename": "dir with space/file one.txt", "status": "removed", "additions": 0,
                            "deletions": 1, "changes": 1}]


def test_days_order_duplicates_and_empty_request(small, tmp_path):
    r, s = small
    src = GitSource(tmp_path / "m", remotes={"test/small": str(r.path)})
    days = [D(2026, 1, 10), D(2026, 1, 5), D(2026, 1, 9), D(2026, 1, 5)]
    batches = list(src.fetch(_spec(), days))
    assert [b.day for b in batches] == days
    assert [len(b.events) for b in batches] == [2, 2, 0, 2]
    assert list(src.fetch(_spec(), [])) == []


def test_other_timezone_days(small, tmp_path):
    r, s = small
    src = GitSource(tmp_path / "m", remotes={"test/small": str(r.path)}, tz=dt.timezone(dt.timedelta(hours=-5)))
    (b7,) = src.fetch(_spec(), [D(2026, 1, 7)])
    assert s["late"] in [e.id for e in b7.events]  # committed 2026-01-07 20:10 -05:00


def test_huge_commit_streamed_in_tiny_chunks(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "huge", home)
    for i in range(3000):
        r.write(f"d{i % 7}/file {i}\n.txt", f"{i}\n" * (i % 3 + 1))
    r.write("blob.bin", BINARY_1)
    sha = r.commit("Thousands of files " + "x" * 5000, "2026-02-01T12:00:00Z")
    for i in range(0, 3000, 2):
        r.write(f"d{i % 7}/file {i}\n.txt", "changed\n")
    sha2 = r.commit("Half of them", "2026-02-01T13:00:00Z")
    monkeypatch.setattr(gitmod, "CHUNK_SIZE", 7)  # tokens and records split across reads
    src = GitSource(tmp_path / "m", remotes={"t/huge": str(r.path)})
    (b,) = src.fetch(_spec("t/huge"), [D(2026, 2, 1)])
    assert b.ok, b.error
    assert [e.id for e in b.events] == [sha2, sha]
    first = b.events[1].payload
    assert len(first["files"]) == 3001
    assert first["stats"]["additions"] == sum(i % 3 + 1 for i in range(3000))
    assert first["commit"]["message"] == "Thousands of files " + "x" * 5000
    second = b.events[0].payload
    assert len(second["files"]) == 1500 and all(f["status"] == "modified" for f in second["files"])
    assert second["files"][0]["filename"].endswith("\n.txt")


def test_login_rules():
    assert login_for("12345+some-user@users.noreply.github.com") == "some-user"
    assert login_for("some-user@users.noreply.github.com") == "some-user"
    assert login_for("dependabot[bot]@users.noreply.github.com") == "dependabot[bot]"
    assert login_for("49699333+dependabot[bot]@users.noreply.github.com") == "dependabot[bot]"
    assert login_for("NoReply@GitHub.com") == "web-flow"
    assert login_for("someone@nvidia.com") is None
    assert login_for("") is None and login_for(None) is None


# ------------------------------------------------------------------------------------------------
# mirrors: update, fetch once per instance, failures
# ------------------------------------------------------------------------------------------------
def test_mirror_update_once_per_instance(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "remote", home)
    r.write("a.txt", "a\n")
    first = r.commit("first", "2026-03-01T10:00:00Z")
    logs: list[str] = []
    mirrors = tmp_path / "mirrors"
    spec = RepoSpec("o/r", "r", remote=f"file://{r.path}")  # remote from the watchlist entry
    src = GitSource(mirrors, log=logs.append)
    assert [e.id for b in src.fetch(spec, [D(2026, 3, 1)]) for e in b.events] == [first]
    r.write("a.txt", "a\nb\n")
    second = r.commit("second", "2026-03-01T11:00:00Z")
    # same instance: no second fetch, the new commit is not seen yet
    assert [e.id for b in src.fetch(spec, [D(2026, 3, 1)]) for e in b.events] == [first]
    assert sum("cloned" in m or "fetched" in m for m in logs) == 1
    # a new instance (a new run) fetches once
    logs2: list[str] = []
    src2 = GitSource(mirrors, log=logs2.append)
    (b,) = src2.fetch(spec, [D(2026, 3, 1)])
    assert [e.id for e in b.events] == [second, first] and b.notes == []
    assert len([m for m in logs2 if "fetched" in m]) == 1
    list(src2.fetch(spec, [D(2026, 3, 1)]))
    assert len([m for m in logs2 if "fetched" in m]) == 1
    # fetch=False reads the mirror as it is
    r.write("a.txt", "c\n")
    r.commit("third", "2026-03-01T12:00:00Z")
    (b,) = GitSource(mirrors, fetch=False).fetch(spec, [D(2026, 3, 1)])
    assert [e.id for e in b.events] == [second, first]


def test_fetch_failure_keeps_previous_mirror(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    r = WorkRepo(tmp_path / "remote", home)
    r.write("a.txt", "a\n")
    sha = r.commit("first", "2026-03-01T10:00:00Z")
    mirrors = tmp_path / "mirrors"
    remotes = {"o/r": str(r.path)}
    list(GitSource(mirrors, remotes=remotes).fetch(_spec("o/r"), [D(2026, 3, 1)]))
    shutil.rmtree(r.path)  # the remote is gone
    logs: list[str] = []
    batches = list(GitSource(mirrors, remotes=remotes, log=logs.append).fetch(_spec("o/r"), [D(2026, 3, 1), D(2026, 3, 2)]))
    assert [b.day for b in batches] == [D(2026, 3, 1), D(2026, 3, 2)]
    assert all(b.ok for b in batches)
    assert [e.id for e in batches[0].events] == [sha] and batches[1].events == []
    for b in batches:
        assert b.stale  # a field, not a phrase: readers never match the note's wording
        assert len(b.notes) == 1
        assert b.notes[0].startswith("git fetch failed (") and "data may be stale" in b.notes[0]
    assert any("git fetch failed" in m for m in logs)


def test_no_mirror_and_unreachable_remote_is_an_error_per_day(tmp_path):
    src = GitSource(tmp_path / "mirrors", remotes={"o/r": str(tmp_path / "does-not-exist")})
    batches = list(src.fetch(_spec("o/r"), [D(2026, 3, 1), D(2026, 3, 2)]))
    assert [b.day for b in batches] == [D(2026, 3, 1), D(2026, 3, 2)]
    for b in batches:
        assert not b.ok and b.events == []
        assert "no git mirror of o/r" in b.error and "does-not-exist" in b.error
    assert not any(p.name.endswith(".git") for p in (tmp_path / "mirrors").iterdir())  # no half-made mirror


def test_missing_branch_is_an_error(small, tmp_path):
    r, _ = small
    src = GitSource(tmp_path / "m", remotes={"test/small": str(r.path)})
    (b,) = src.fetch(_spec(branch="develop"), [D(2026, 1, 5)])
    assert not b.ok and "branch 'develop' not found" in b.error


def test_bundle_as_remote_and_refetch(tmp_path):
    if not (BUNDLES / "deepseek-ai__FlashMLA.bundle").is_file():
        pytest.skip(f"{BUNDLES} (shared/git bundles) is absent")
    spec = RepoSpec("deepseek-ai/FlashMLA", "FlashMLA")
    src = GitSource(tmp_path / "m", remotes={spec.repo: str(BUNDLES / "deepseek-ai__FlashMLA.bundle")})
    (b,) = src.fetch(spec, [D(2025, 2, 24)])
    assert b.ok and b.events
    # a new run fetches again from the bundle (no error, no stale note)
    again = GitSource(tmp_path / "m", remotes={spec.repo: str(BUNDLES / "deepseek-ai__FlashMLA.bundle")})
    (b2,) = again.fetch(spec, [D(2025, 2, 24)])
    assert b2.ok and b2.notes == [] and [e.id for e in b2.events] == [e.id for e in b.events]


# ------------------------------------------------------------------------------------------------
# against the documented derivation (shared/replay/derive/export_commits.py) and the replay files
# ------------------------------------------------------------------------------------------------
_DRIVER = r"""
import importlib.util, sys
script, repo, gitdir, tip, out, days = sys.argv[1:7]
spec = importlib.util.spec_from_file_location("export_commits", script)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
m.REPOS = {repo: (gitdir, tip, "test")}   # the script's own main(), for this one repository
sys.argv = [script, out, days]
m.main()
"""


def _need_export_script():
    if not EXPORT_SCRIPT.is_file():
        pytest.skip(f"{EXPORT_SCRIPT} is absent (shared folder not available)")


def run_export(gitdir: Path, repo: str, days: list[dt.date], out: Path) -> None:
    """Run export_commits.py's main() for one repository into ``out`` (its REPOS table names the 8 real ones)."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", _DRIVER, str(EXPORT_SCRIPT), repo, str(gitdir), "refs/heads/main", str(out),
                    ",".join(d.isoformat() for d in days)], check=True, capture_output=True)


def assert_same_as_export(batches: list[DayBatch], out: Path, repo: str) -> int:
    """Every batch equals the script's files: same shas in the same order, byte-identical JSON."""
    n = 0
    for b in batches:
        assert b.ok, b.error
        folder = out / b.day.isoformat() / repo.replace("/", "__")
        listing = json.loads((folder / "commits_list.json").read_text(encoding="utf-8"))
        assert [e.id for e in b.events] == [i["sha"] for i in listing], b.day
        for e, item in zip(b.events, listing):
            text = (folder / "commits" / f"{e.id}.json").read_text(encoding="utf-8")
            assert json.dumps(e.payload, indent=2, ensure_ascii=False) + "\n" == text, (b.day, e.id)
            assert {k: v for k, v in e.payload.items() if k not in ("stats", "files")} == item
            n += 1
    return n


def _committer_days(gitdir: Path) -> list[dt.date]:
    out = subprocess.run(["git", f"--git-dir={gitdir}", "log", "--format=%cI", "refs/heads/main"],
                         capture_output=True, text=True, check=True).stdout.split()
    return sorted({dt.datetime.fromisoformat(x).astimezone(dt.timezone.utc).date() for x in out})


def test_small_repo_matches_export_script(small, small_batches, tmp_path):
    _need_export_script()
    batches, _, src = small_batches
    out = tmp_path / "export"
    run_export(src.mirror_dir / "test__small.git", "test/small", DAYS, out)
    assert assert_same_as_export(batches, out, "test/small") == 13


@pytest.fixture(scope="module")
def bundle_mirrors(tmp_path_factory):
    if not BUNDLES.is_dir():
        pytest.skip(f"{BUNDLES} (shared/git bundles of DeepGEMM and FlashMLA) is absent")
    mirrors = tmp_path_factory.mktemp("bundle-mirrors")
    remotes = {f"deepseek-ai/{n}": str(BUNDLES / f"deepseek-ai__{n}.bundle") for n in ("DeepGEMM", "FlashMLA")}
    return GitSource(mirrors, remotes=remotes)


@pytest.mark.parametrize("repo, n_commits", [("deepseek-ai/DeepGEMM", 192), ("deepseek-ai/FlashMLA", 60)])
def test_bundles_every_commit_matches_export_script(bundle_mirrors, repo, n_commits, tmp_path):
    """Every day with commits in the whole history: the git source equals the documented derivation."""
    _need_export_script()
    spec = RepoSpec(repo, repo.split("/")[1])
    state = bundle_mirrors.ensure_mirror(spec)
    assert state.usable, state.error
    days = _committer_days(state.path)
    days = [days[0] - dt.timedelta(days=1), *days, days[-1] + dt.timedelta(days=1)]  # and two empty days
    batches = list(bundle_mirrors.fetch(spec, days))
    assert batches[0].events == [] and batches[-1].events == []
    out = tmp_path / "export"
    run_export(state.path, repo, days, out)
    assert assert_same_as_export(batches, out, repo) == n_commits


@pytest.mark.parametrize("repo", ["deepseek-ai/DeepGEMM", "deepseek-ai/FlashMLA"])
def test_bundles_match_replay_days(bundle_mirrors, repo):
    """The public replay days: the replay files of these repositories equal the git source's payloads."""
    if not REPLAY.is_dir():
        pytest.skip(f"{REPLAY} is absent")
    days = sorted(D.fromisoformat(p.name) for p in REPLAY.iterdir() if p.is_dir() and p.name[:2] == "20")
    assert days
    spec = RepoSpec(repo, repo.split("/")[1])
    for b in bundle_mirrors.fetch(spec, days):
        assert b.ok, b.error
        folder = REPLAY / b.day.isoformat() / spec.dirname
        listing = json.loads((folder / "commits_list.json").read_text(encoding="utf-8"))
        assert [e.id for e in b.events] == [i["sha"] for i in listing]
        for e in b.events:
            assert e.payload == json.loads((folder / "commits" / f"{e.id}.json").read_text(encoding="utf-8"))


def test_changed_remote_is_followed(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    a = WorkRepo(tmp_path / "a", home)
    a.write("x.txt", "1\n")
    first = a.commit("first", "2026-04-01T10:00:00Z")
    mirrors = tmp_path / "mirrors"
    list(GitSource(mirrors, remotes={"o/r": str(a.path)}).fetch(_spec("o/r"), [D(2026, 4, 1)]))
    subprocess.run(["git", "clone", "-q", str(a.path), str(tmp_path / "b")], check=True, env=_git_env(home))
    b = WorkRepo.__new__(WorkRepo)
    b.path, b.home = tmp_path / "b", home
    b.write("x.txt", "2\n")
    second = b.commit("second", "2026-04-01T11:00:00Z")
    logs: list[str] = []
    (batch,) = GitSource(mirrors, remotes={"o/r": str(b.path)}, log=logs.append).fetch(_spec("o/r"), [D(2026, 4, 1)])
    assert [e.id for e in batch.events] == [second, first] and batch.notes == []
    assert any("remote changed" in m for m in logs)
