"""One history, one Dagster instance: a run against another database never shows in the instance serving this one."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
import yaml

from infra_digest.defs.instance import BINDING_FILE, INSTANCE_YAML
from infra_digest_tests.conftest import DAY, run_cli

ROOT = Path(__file__).resolve().parents[1]


def _histories(instance: dg.DagsterInstance) -> list[str]:
    records = instance.fetch_materializations(dg.AssetKey("raw_events"), limit=1000).records
    return [rec.asset_materialization.metadata["history"].value for rec in records]


def test_a_run_against_another_database_never_shows_in_this_instance(workdir: Path, replay_dir: Path, capsys):
    home = Path(os.environ["DAGSTER_HOME"])
    source = f"replay:{replay_dir}"
    assert run_cli("run", "--date", DAY, "--source", source, "--db", "h.duckdb", "--out", "out") == 0
    main = str((workdir / "h.duckdb").resolve())
    assert (home / BINDING_FILE).read_text().strip() == main
    capsys.readouterr()
    # the CLI against another history: recorded beside that history, and says so
    assert run_cli("run", "--date", DAY, "--source", source, "--db", "other/o.duckdb", "--out", "out2") == 0
    assert f"is recorded in {(workdir / 'other' / 'o.dagster').resolve()}" in capsys.readouterr().err
    with dg.DagsterInstance.get() as instance:
        assert set(_histories(instance)) == {main} and len(_histories(instance)) == 8
    with dg.DagsterInstance.from_config(str(workdir / "other" / "o.dagster")) as side:
        assert set(_histories(side)) == {str((workdir / "other" / "o.duckdb").resolve())}

    # a run launched in this instance (as the UI or the daemon would) against another history fails before it
    # materializes anything, naming both
    from infra_digest.definitions import INGEST_JOB, build_defs
    from infra_digest.defs.partitions import range_tags
    from infra_digest.settings import Settings
    from infra_digest.watchlist import load_watchlist

    repos = [r.repo for r in load_watchlist()]
    defs = build_defs(Settings.from_env({}, source=source, db=str(workdir / "third.duckdb"), start_date=DAY))
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=instance, raise_on_error=False, tags=range_tags(DAY, DAY, repos[0], repos[-1]))
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        assert "records the history" in str(failure.event_specific_data.error.message) and main in str(failure.event_specific_data.error.message)
        assert set(_histories(instance)) == {main} and len(_histories(instance)) == 8
    assert not (workdir / "third.duckdb").exists()


def test_the_instance_does_not_depend_on_the_working_directory(workdir: Path, replay_dir: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")
    db = workdir / "abs" / "h.duckdb"
    for cwd in ("a", "b"):
        (workdir / cwd).mkdir()
        monkeypatch.chdir(workdir / cwd)
        assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", str(db), "--out", "out") == 0
    assert not any((workdir / cwd / name).exists() for cwd in ("a", "b") for name in (".dagster", "history", "storage"))
    with dg.DagsterInstance.from_config(str(workdir / "abs" / "h.dagster")) as instance:
        assert len(instance.get_run_records()) == 4  # both runs (ingest + report each) in the one instance


def test_project_dagster_yaml_is_the_instance_template_and_has_no_relative_path():
    text = (ROOT / "dagster.yaml").read_text(encoding="utf-8")
    assert text == INSTANCE_YAML

    def paths(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("base_dir", "path", "directory"):
                    yield v
                yield from paths(v)

    assert list(paths(yaml.safe_load(text))) == []


def test_a_lake_gets_a_separate_instance_of_its_own(workdir: Path, monkeypatch):
    from infra_digest.defs.instance import instance_dir_beside, instance_for

    home = Path(os.environ["DAGSTER_HOME"])
    (home / BINDING_FILE).write_text("/somewhere/else.duckdb\n")
    lake = "ducklake:postgres:dbname=x host=127.0.0.1 password=secret"
    said = []
    with instance_for(lake, say=said.append) as instance:
        root = Path(instance.root_directory)
    assert root == instance_dir_beside(lake, home) and root.parent == home / "histories"
    assert "secret" not in said[0] and "password=***" in said[0]
    monkeypatch.delenv("DAGSTER_HOME")
    with pytest.raises(Exception, match="set DAGSTER_HOME"):
        instance_for(lake)
