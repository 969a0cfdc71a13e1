"""`infra-digest run` as a user meets it: bad output places fail first, the demo keeps to itself, and the first
partition is recent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra_digest.settings import Settings
from infra_digest.storage.db import connect
from infra_digest_tests.conftest import DAY, run_cli
from infra_digest_tests.fakes.github_server import serve_replay


@pytest.mark.parametrize("flag,value", [
    ("--db", "afile/h.duckdb"),       # its parent is a file
    ("--db", "adir"),                 # a folder, not a database file
    ("--out", "afile"),               # a file, not a folder
    ("--out", "afile/reports"),       # its parent is a file
    ("--out", "/proc/infra-digest"),  # cannot be created, not even by root
    ("--db", "/proc/infra-digest/h.duckdb"),
])
def test_unwritable_db_or_out_fails_before_the_source_is_read(workdir: Path, replay_dir: Path, capsys, monkeypatch, flag, value):
    (workdir / "afile").write_text("x")
    (workdir / "adir").mkdir()
    args = {"--db": "h.duckdb", "--out": "out", flag: value}
    with serve_replay(replay_dir) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        code = run_cli("run", "--date", DAY, "--source", "github", "--db", args["--db"], "--out", args["--out"])
        assert code == 2
        assert fake.requests == []  # no API call was made
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"infra-digest: {flag} ") and "Traceback" not in err[0]


def test_the_demo_is_its_own_world(workdir: Path, capsys):
    assert run_cli("run", "--date", "2026-03-02", "--source", "replay:demo") == 0
    assert (workdir / "data" / "demo.duckdb").is_file()
    assert (workdir / "reports" / "demo" / "2026-03-02.zh.md").is_file()
    assert not (workdir / "data" / "infra_digest.duckdb").exists()
    assert not list((workdir / "reports").glob("*.md"))
    # an explicit database is honoured
    assert run_cli("run", "--date", "2026-03-02", "--source", "replay:demo", "--db", "mine.duckdb", "--out", "mine") == 0
    assert (workdir / "mine.duckdb").is_file() and (workdir / "mine" / "2026-03-02.zh.md").is_file()


def test_first_partition_is_recent_unless_the_history_or_the_variable_says_otherwise(workdir: Path, monkeypatch):
    from infra_digest.defs.partitions import partition_start

    today = dt.date(2026, 12, 1)
    s = Settings.from_env({}, db=str(workdir / "h.duckdb"))
    assert partition_start(s, today) == "2026-09-02"  # 90 days back, not 2025-01-01
    with connect(workdir / "h.duckdb") as conn:
        conn.execute("INSERT INTO raw.fetch_log (repo, day, source, status, items, fetched_at) "
                     "VALUES ('a/b', DATE '2026-02-18', 'replay', 'ok', 0, now())")
    assert partition_start(s, today) == "2026-02-18"  # the first day in the history is earlier
    assert partition_start(Settings.from_env({"INFRA_DIGEST_START_DATE": "2026-11-30"}, db=s.db), today) == "2026-11-30"
    # what the UI shows: the code location's partitions start there
    from infra_digest.definitions import build_defs

    defs = build_defs(s)
    daily = defs.resolve_asset_graph().get(__import__("dagster").AssetKey("daily_report")).partitions_def
    assert daily.start.date() == dt.date(2026, 2, 18)
