"""`--source git` through the CLI: mirrors made from a real throwaway repository, and a stale mirror said so."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb

from infra_digest_tests.conftest import DAY, run_cli


def git(cwd: Path, *args: str, date: str = f"{DAY}T10:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "1+ada@users.noreply.github.com",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_git_source_end_to_end_and_stale_mirror(workdir: Path, monkeypatch):
    remote = workdir / "remote"
    remote.mkdir()
    git(remote, "init", "-q", "-b", "main")
    (remote / "kernel.cu").write_text("// sm120\n")
    git(remote, "add", ".")
    git(remote, "commit", "-q", "-m", "[Kernel] Add NVFP4 GEMM for SM120 (#11)")
    (remote / "kernel.cu").write_text("// sm120 fixed\n")
    git(remote, "commit", "-qam", "[Bugfix] Fix FP8 scale on ROCm (#12)", date=f"{DAY}T23:59:59Z")
    shas = git(remote, "log", "--format=%H").split()
    (workdir / "watch.yaml").write_text(f"repos:\n  - {{repo: acme/kernels, name: Kernels, branch: main, remote: {remote}}}\n")
    monkeypatch.setenv("INFRA_DIGEST_WATCHLIST", str(workdir / "watch.yaml"))
    monkeypatch.setenv("INFRA_DIGEST_GIT_DIR", str(workdir / "mirrors"))
    from infra_digest.watchlist import load_watchlist

    load_watchlist.cache_clear()
    try:
        assert run_cli("run", "--date", DAY, "--source", "git", "--db", "h.duckdb", "--out", "out", "--lang", "en") == 0
        md = (workdir / "out" / f"{DAY}.en.md").read_text()
        for sha in shas:
            assert f"[`{sha[:7]}`](https://github.com/acme/kernels/commit/{sha})" in md
        assert "git (local git mirrors)" in md and "Blackwell RTX/SM120" in md
        with duckdb.connect("h.duckdb", read_only=True) as conn:
            rows = conn.execute("SELECT sha, pr_number, author_login, files_changed FROM core.commits ORDER BY pr_number").fetchall()
        assert [(r[1], r[2], r[3]) for r in rows] == [(11, "ada", 1), (12, "ada", 1)]
        # the remote disappears: the mirror keeps its data and the report says it may be stale
        shutil.rmtree(remote)
        assert run_cli("run", "--date", DAY, "--source", "git", "--db", "h.duckdb", "--out", "out", "--lang", "en") == 0
        md = (workdir / "out" / f"{DAY}.en.md").read_text()
        assert "could not be updated" in md and shas[0][:7] in md
    finally:
        load_watchlist.cache_clear()
