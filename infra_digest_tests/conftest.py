"""Shared fixtures: a small replay directory written with the builders, a temp history, the CLI in-process."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from pathlib import Path

import pytest

from infra_digest.demo.builders import commit, fake_sha, issue, write_replay

DAY = "2026-02-18"
PREV_DAY = "2026-02-17"
SHARED = Path(os.environ.get("INFRA_DIGEST_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def ts(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}:00Z"


def small_replay(root: Path) -> Path:
    """Three repositories on 2026-02-18: squash commits with PR numbers, a merge bringing in a side commit
    (recorded in the previous day's folder, committed on the day), an issue with a hostile title, a PR."""
    vllm, fi, cutile = "vllm-project/vllm", "flashinfer-ai/flashinfer", "NVIDIA/cutile-python"
    base, side = fake_sha("base"), fake_sha("side")
    commits = [
        (vllm, commit(vllm, "[Bugfix] Fix NVFP4 TRTLLM MoE non-gated support (#34725)", date=ts("03:10"), login="dev1",
                      files=[("vllm/model_executor/layers/fused_moe/trtllm_moe.py", "modified", 12, 4)])),
        (vllm, commit(vllm, "[ROCm] Skip tests that should not run on ROCm (#34655)", date=ts("09:00"),
                      files=[("tests/kernels/test_rocm.py", "modified", 5, 1)])),
        (fi, commit(fi, "fix: W4A8 autotune crash (#2564)", date=ts("11:30"),
                    files=[("csrc/fused_moe/kernels.cuh", "modified", 9, 6), ("tests/moe/test_moe.py", "modified", 16, 12)])),
        # merge commit on the day, side commit authored earlier but committed 00:10 on the day
        (cutile, commit(cutile, "Add FP8 helpers", sha=side, parents=[base], date="2026-02-10T08:00:00Z",
                        committer_date=ts("00:10"), committer=("Lee", "lee@example.com"),
                        files=[("src/fp8.py", "added", 40, 0)])),
        (cutile, commit(cutile, "Merge branch 'fp8' into 'main'", parents=[base, side], date=ts("01:54"),
                        committer=("Lee", "lee@example.com"), files=[("src/fp8.py", "added", 40, 0)])),
    ]
    issues = [
        (DAY, fi, issue(fi, 2577, "[Bug] NVFP4 mm_fp4 GEMM broken on SM120 <script>alert(1)</script>", login="isensez",
                        created_at=ts("02:48"), labels=["bug"],
                        body="All NVFP4 backends fail on RTX PRO 6000 Blackwell. <img src=x onerror=alert(1)>")),
        (DAY, fi, issue(fi, 2580, "FlashInfer Jetson Orin compatibility (sm87)", login="ericettes", created_at=None,
                        pull_request=True, body="Adds sm87.")),
        (DAY, vllm, issue(vllm, 34851, None, login=None, created_at=None, body=None)),
    ]
    from infra_digest.watchlist import load_watchlist

    # Recorded: every watched repository on the day and the day before (record mode writes a folder for each, with
    # empty listings where nothing happened; an absent folder means "not recorded").
    write_replay(root, commits, issues, recorded=[(d, r.repo) for d in (PREV_DAY, DAY) for r in load_watchlist()])

    manifest = {"days_utc": [DAY], "repos": {r.repo: {"source": {"default_branch": r.branch}} for r in load_watchlist()}}
    (root / "manifest.json").write_text(json.dumps(manifest))
    # Move the side commit into the previous day's folder, as a recording made in another timezone would.
    src = root / DAY / "NVIDIA__cutile-python"
    prev = root / "2026-02-17" / "NVIDIA__cutile-python" / "commits"
    prev.mkdir(parents=True, exist_ok=True)

    listing = json.loads((src / "commits_list.json").read_text())
    keep = [c for c in listing if c["sha"] != side]
    (src / "commits_list.json").write_text(json.dumps(keep))
    (prev.parent / "commits_list.json").write_text(json.dumps([c for c in listing if c["sha"] == side]))
    (src / "commits" / f"{side}.json").rename(prev / f"{side}.json")
    return root


@pytest.fixture
def replay_dir(tmp_path: Path) -> Path:
    return small_replay(tmp_path / "replay")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working folder with an isolated Dagster home (SQLite) and no infra-digest variables."""
    for var in [v for v in os.environ if v.startswith("INFRA_DIGEST_")]:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args: str) -> int:
    from infra_digest.cli import main

    return main(list(args))


def day(s: str = DAY) -> dt.date:
    return dt.date.fromisoformat(s)


# The local PostgreSQL (CI starts it); libpq's usual variables override.
PG = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": int(os.environ.get("PGPORT", "5432")),
      "user": os.environ.get("PGUSER", "postgres"), "password": os.environ.get("PGPASSWORD", "")}


def pg_admin():
    """An autocommit connection to the server's `postgres` database."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    conn.autocommit = True
    return conn


def create_pg_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return name


def drop_pg_database(name: str) -> None:
    """Drop it (closing its sessions) and make sure it is gone."""
    conn = pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()


@contextlib.contextmanager
def temp_pg_database(prefix: str):
    """A fresh PostgreSQL database on the local server, dropped afterwards even on failure."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        name = create_pg_database(prefix)
    except psycopg2.OperationalError as exc:  # pragma: no cover - CI starts the server (.ci/run)
        pytest.fail(f"PostgreSQL is not reachable on {PG['host']}:{PG['port']}: {exc}")
    try:
        yield name
    finally:
        drop_pg_database(name)
