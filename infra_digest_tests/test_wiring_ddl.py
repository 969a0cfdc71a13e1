"""A history created before a column existed gets it: DuckDB files and DuckLake (issue 15's `flags`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from infra_digest.storage.db import connect, ddl_added_columns

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("SELECT column_name FROM information_schema.columns WHERE table_schema = 'classified' "
           "AND table_name = 'changes'")


def test_flags_column_is_added_to_an_old_duckdb_history(tmp_path: Path):
    db = tmp_path / "old.duckdb"
    with connect(db) as conn:
        conn.execute("ALTER TABLE classified.changes DROP COLUMN flags")
    with connect(db) as conn:
        assert "flags" in {r[0] for r in conn.execute(COLUMNS).fetchall()}
    with duckdb.connect(str(db)) as conn:  # applying the DDL again changes nothing
        before = conn.execute(COLUMNS).fetchall()
    with connect(db):
        pass
    with duckdb.connect(str(db)) as conn:
        assert conn.execute(COLUMNS).fetchall() == before
    assert ("classified", "changes", "flags") in ddl_added_columns()


@pytest.mark.slow
@pytest.mark.postgres
def test_flags_column_is_added_to_an_old_ducklake(tmp_path: Path):
    from infra_digest.storage import lake
    from infra_digest_tests.conftest import PG, create_pg_database, drop_pg_database
    from infra_digest_tests.test_ducklake import pg_available

    why = pg_available()
    if why:
        pytest.skip(why)
    name = create_pg_database("infra_digest_wiring_ddl")
    uri = f"ducklake:postgres:dbname={name} host={PG['host']} port={PG['port']} user={PG['user']}?data_path={tmp_path}/"
    code = ("import sys\nfrom infra_digest.storage.db import connect\n"
            f"with connect({uri!r}) as c:\n"
            "    if sys.argv[1] == 'drop':\n        c.execute('ALTER TABLE classified.changes DROP COLUMN flags')\n"
            f"    print(','.join(r[0] for r in c.execute({COLUMNS!r}).fetchall()))\n")
    try:  # each step in its own process: the DDL check runs once per process
        out = [subprocess.run([sys.executable, "-c", code, step], capture_output=True, text=True, cwd=ROOT, check=True,
                              timeout=120).stdout.strip() for step in ("drop", "check")]
    finally:
        lake.reset_sessions()
        drop_pg_database(name)
    assert "flags" not in out[0].split(",") and "flags" in out[1].split(",")
