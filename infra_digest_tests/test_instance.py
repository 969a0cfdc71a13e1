"""The documented PostgreSQL instance (deploy/postgres/dagster.yaml) records a real CLI run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra_digest_tests.conftest import DAY, PG, run_cli, temp_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

psycopg2 = pytest.importorskip("psycopg2")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pg_database():
    with temp_pg_database("infra_digest_test") as name:
        yield name


def test_cli_run_is_recorded_in_postgres_instance(workdir: Path, replay_dir: Path, pg_database: str, monkeypatch):
    home = workdir / "pg_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_HOST", PG["host"])
    monkeypatch.setenv("DAGSTER_PG_PORT", str(PG["port"]))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", PG["user"])
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "unused-with-trust-auth")
    monkeypatch.setenv("DAGSTER_PG_DB", pg_database)

    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0

    conn = psycopg2.connect(dbname=pg_database, **PG)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pipeline_name, status FROM runs ORDER BY create_timestamp")
            runs = cur.fetchall()
            cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
            materializations = cur.fetchone()[0]
    finally:
        conn.close()
    assert runs == [("ingest_job", "SUCCESS"), ("report_job", "SUCCESS")]
    # one materialization per asset and partition: 3 assets x 8 repositories, then 2 day-level assets
    assert materializations == 3 * 8 + 2
    assert not any(home.glob("history")), "nothing should be written to SQLite"
