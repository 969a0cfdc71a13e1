"""A template change marks the report partitions stale in Dagster; a backfill of the stale ones updates them.

The project is copied (package and sql/) and run from the copy in subprocesses, so the changed template is a real
file change, as a developer makes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra_digest_tests.conftest import DAY

ROOT = Path(__file__).resolve().parents[1]
PREV = "2026-02-17"
STATUS = """
import sys, dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver
from dagster._core.loader import LoadingContextForTest
from infra_digest.definitions import build_defs
from infra_digest.settings import Settings
defs = build_defs(Settings.from_env(db=sys.argv[1], source=sys.argv[2]))
with dg.DagsterInstance.get() as instance:
    resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
    for asset, day in (a.split("@") for a in sys.argv[3:]):
        print(asset, day, resolver.get_status(dg.AssetKey(asset), day).value)
"""


def _copy_project(dest: Path) -> Path:
    shutil.copytree(ROOT / "infra_digest", dest / "infra_digest", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "sql", dest / "sql")
    return dest


def _run(code_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    env = {k: v for k, v in env.items() if not k.startswith("INFRA_DIGEST_")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _statuses(code_dir: Path, cwd: Path, source: str) -> dict[tuple[str, str], str]:
    targets = [f"{a}@{d}" for a in ("daily_report", "daily_digest") for d in (PREV, DAY)]
    done = _run(code_dir, cwd, "-c", STATUS, "h.duckdb", source, *targets)
    assert done.returncode == 0, done.stderr
    return {(a, d): s for a, d, s in (ln.split() for ln in done.stdout.splitlines())}


def test_changed_template_makes_reports_stale_and_a_backfill_updates_them(workdir: Path, replay_dir: Path):
    code = _copy_project(workdir / "code")
    source = f"replay:{replay_dir}"
    run = ["-m", "infra_digest.cli", "run", "--date", PREV, "--to", DAY, "--source", source, "--db", "h.duckdb", "--out", "out"]
    done = _run(code, workdir, *run)
    assert done.returncode == 0, done.stderr
    assert set(_statuses(code, workdir, source).values()) == {"FRESH"}

    template = code / "infra_digest" / "report" / "templates" / "daily.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n<!-- template v2 -->\n", encoding="utf-8")
    after_change = _statuses(code, workdir, source)
    assert {after_change[("daily_report", d)] for d in (PREV, DAY)} == {"STALE"}
    assert {after_change[("daily_digest", d)] for d in (PREV, DAY)} == {"FRESH"}  # prompts did not change

    done = _run(code, workdir, *run)  # the backfill of the stale days
    assert done.returncode == 0, done.stderr
    assert set(_statuses(code, workdir, source).values()) == {"FRESH"}
    for d in (PREV, DAY):
        assert "template v2" in (workdir / "out" / f"{d}.zh.md").read_text(encoding="utf-8")
