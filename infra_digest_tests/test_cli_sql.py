"""`infra-digest sql` reads and never writes: what a user types at the terminal, through the CLI."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from wcwidth import wcswidth

from infra_digest.storage.db import connect
from infra_digest_tests.conftest import run_cli


@pytest.fixture
def history(workdir: Path) -> Path:
    db = workdir / "h.duckdb"
    with connect(db) as conn:
        conn.executemany("INSERT INTO report.daily VALUES (?, ?, ?, '<p/>', now(), 'extractive', '{}')", [
            ("2026-02-18", "zh", "# 日报 中文标题"),
            ("2026-02-18", "en", "evil \x1b[31mred\x1b[0m \u202eoverride\u202c \x07bell"),
            ("2026-02-17", "en", "👍 ok"),
        ])
    other = workdir / "other.duckdb"
    with duckdb.connect(str(other)) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    return db


def _sql(capsys, *args: str) -> tuple[int, str, str]:
    code = run_cli("sql", *args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("query,leftover", [
    ("COPY (SELECT * FROM report.daily) TO 'dump.csv'", "dump.csv"),
    ("EXPORT DATABASE 'exported'", "exported"),
    ("SELECT 1; COPY (SELECT 1) TO 'second.csv'", "second.csv"),  # refused as a whole, before the first runs
    ("ATTACH 'other.duckdb' AS o (READ_ONLY false); DELETE FROM o.t", None),
    ("INSTALL httpfs", None),
    ("LOAD httpfs", None),
    ("SET enable_external_access = true", None),
    ("CREATE TABLE report.x AS SELECT 1", None),
    ("DELETE FROM report.daily", None),
])
def test_writing_statements_are_refused_before_anything_runs(history, workdir, capsys, query, leftover):
    before = (workdir / "other.duckdb").read_bytes(), history.read_bytes()
    code, out, err = _sql(capsys, query, "--db", str(history))
    assert code == 2, err
    assert out == "" and len(err.strip().splitlines()) == 1 and "read-only and never writes" in err
    if leftover:
        assert not (workdir / leftover).exists()
    assert ((workdir / "other.duckdb").read_bytes(), history.read_bytes()) == before
    with duckdb.connect(str(workdir / "other.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_queries_cannot_reach_files_or_extensions(history, workdir, capsys):
    (workdir / "secret.csv").write_text("a\n1\n")
    for query in ("SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM 'secret.csv'",
                  "SELECT * FROM read_parquet('https://example.invalid/x.parquet')"):
        code, out, err = _sql(capsys, query, "--db", str(history))
        assert code == 1 and "query failed" in err and "Traceback" not in err, (query, err)


def test_parameters_are_bound_not_pasted(history, capsys):
    value = "x'); DROP TABLE report.daily; --"
    code, out, err = _sql(capsys, "SELECT getvariable('v') AS v", "--db", str(history), "--param", "v", value, "--format", "csv")
    assert code == 0 and out.splitlines()[1] == value
    code, out, err = _sql(capsys, "SELECT 1", "--db", str(history), "--param", "v = 1; DROP TABLE x; SET VARIABLE y", "1")
    assert code == 2 and "--param" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (("",), "empty"),
    (("-- only a comment\n",), "empty"),
    (("  ;  ",), "empty"),
    (("missing.sql",), "no query file missing.sql"),
    (("SELECT 1", "--limit", "-1"), "--limit"),
    (("SELECT 1", "--wait", "-5"), "--wait"),
    (("SELEC 1",), "does not parse"),
])
def test_bad_input_is_one_clear_line_and_exit_2(history, capsys, args, needle):
    code, out, err = _sql(capsys, *args, "--db", str(history))
    assert code == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_several_statements_print_each_result(history, capsys):
    code, out, err = _sql(capsys, "SELECT 1 AS one; SELECT 2 AS two, 3 AS three;", "--db", str(history))
    assert code == 0, err
    assert "one" in out and "two" in out and out.count("(1 row)") == 2


def test_table_lines_up_with_wide_characters_and_shows_control_characters(history, capsys):
    code, out, err = _sql(capsys, "SELECT lang, markdown, day FROM report.daily ORDER BY day, lang", "--db", str(history))
    assert code == 0, err
    for raw in ("\x1b", "\x07", "\u202e", "\u202c"):
        assert raw not in out
    assert "\\x1b[31mred" in out and "\\u202e" in out and "\\x07bell" in out
    lines = [ln for ln in out.splitlines() if " | " in ln]
    assert len(lines) == 4  # header and three rows
    # every column separator sits at the same display column
    positions = {tuple(wcswidth(ln[:i]) for i in range(len(ln)) if ln.startswith(" | ", i)) for ln in lines}
    assert len(positions) == 1, out


def test_output_into_a_closed_pipe_stops_quietly(history: Path):
    """`infra-digest sql ... | head -1`: no traceback when the reader goes away."""
    import subprocess
    import sys as _sys

    exe = Path(_sys.executable).with_name("infra-digest")
    db = history
    query = "SELECT range AS n, repeat('x', 50) AS pad FROM range(100000)"
    proc = subprocess.run(f"'{exe}' sql --db '{db}' --limit 0 \"{query}\" | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("n")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
