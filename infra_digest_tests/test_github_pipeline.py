"""`--source github` through the CLI and Dagster against the fake GitHub API gives the same core tables and
the same report as `--source replay` on the same data, with and without scripted faults; the token never
reaches the database, the logs or the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from infra_digest_tests.conftest import DAY, run_cli
from infra_digest_tests.fakes.github_server import serve_replay, standard_faults

TOKEN = "ghp_testtoken_never_printed_1234567890"
CORE = {"core.commits": "sha", "core.pull_requests": "number", "core.issues": "number", "classified.changes": "item_id"}


def recorded(replay_dir: Path) -> Path:
    """Every watched repository has a folder for the day (absent is "not recorded", not "no activity")."""
    from infra_digest.watchlist import load_watchlist

    for spec in load_watchlist():
        folder = replay_dir / DAY / spec.dirname
        if not folder.is_dir():
            folder.mkdir(parents=True)
            (folder / "commits_list.json").write_text("[]")
    return replay_dir


def core_tables(db: Path) -> dict[str, list]:
    out = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for table in CORE:
            cols = [c[0] for c in conn.execute(f"SELECT * FROM {table} LIMIT 0").description if c[0] != "source"]
            out[table] = sorted(map(repr, conn.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table}").fetchall()))
    return out


def normalised_report(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<time>", text)
    return re.sub(r"(\*\*数据源\*\*: ).*", r"\1<source>", text)


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "429-502-ratelimit"])
def test_github_source_equals_replay(workdir: Path, replay_dir: Path, monkeypatch, capsys, faults):
    recorded(replay_dir)
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "replay.duckdb", "--out", "replay") == 0
    # one 429, one 502 and one rate-limit reset for each repository that has data (each costs real seconds)
    script = standard_faults(["vllm-project/vllm", "flashinfer-ai/flashinfer", "NVIDIA/cutile-python"]) if faults else None
    with serve_replay(replay_dir, script, token=TOKEN) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        assert run_cli("run", "--date", DAY, "--source", "github", "--db", "gh.duckdb", "--out", "gh") == 0
        if faults:
            assert not fake.faults_left()  # every scripted fault was met
            statuses = {r.status for r in fake.requests}
            assert {429, 502, 403} <= statuses
    assert core_tables(workdir / "gh.duckdb") == core_tables(workdir / "replay.duckdb")
    assert normalised_report(workdir / "gh" / f"{DAY}.zh.md") == normalised_report(workdir / "replay" / f"{DAY}.zh.md")
    printed = capsys.readouterr()
    assert TOKEN not in printed.out + printed.err
    with duckdb.connect(str(workdir / "gh.duckdb"), read_only=True) as conn:
        for schema, table in conn.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall():
            dump = repr(conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
            assert TOKEN not in dump, f"{schema}.{table}"
    logs = "".join(p.read_text(errors="replace") for p in (workdir / "dagster_home").rglob("*") if p.is_file() and p.suffix in (".log", ".err", ".out", ".db", ""))
    assert TOKEN not in logs


def test_github_404_repository_keeps_previous_data_and_says_so(workdir: Path, replay_dir: Path, monkeypatch, capsys):
    recorded(replay_dir)
    with serve_replay(replay_dir) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        assert run_cli("run", "--date", DAY, "--source", "github", "--db", "gh.duckdb", "--out", "gh") == 0
        before = core_tables(workdir / "gh.duckdb")
        fake.set_faults([{"match": "/repos/vllm-project/vllm", "status": 404, "times": None}])
        assert run_cli("run", "--date", DAY, "--source", "github", "--db", "gh.duckdb", "--out", "gh") == 1
    err = capsys.readouterr().err
    assert "vllm-project/vllm" in err and "404" in err
    assert core_tables(workdir / "gh.duckdb") == before  # previous good data kept
    md = (workdir / "gh" / f"{DAY}.zh.md").read_text(encoding="utf-8")
    section = md.split("### [vllm-project/vllm]")[1].split("### [")[0]
    assert "数据读取失败" in section and "404" in section and "#34725" in section


def test_record_then_replay_offline(workdir: Path, replay_dir: Path, monkeypatch):
    # the fixture has folders for only some repositories: record mode writes one for every repository it
    # fetched (empty lists included), so the capture replays with every repository-day answered
    with serve_replay(replay_dir) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        assert run_cli("run", "--date", DAY, "--source", "github", "--record", "rec", "--db", "gh.duckdb", "--out", "gh") == 0
    assert (workdir / "rec" / DAY / "vllm-project__vllm" / "commits_list.json").exists()
    assert json.loads((workdir / "rec" / DAY / "deepseek-ai__DeepGEMM" / "commits_list.json").read_text()) == []
    assert run_cli("run", "--date", DAY, "--source", "replay:rec", "--db", "rec.duckdb", "--out", "rec_out") == 0
    assert core_tables(workdir / "rec.duckdb") == core_tables(workdir / "gh.duckdb")
