"""A dead run never blocks, a stopped run keeps the previous data: real processes, a real kill -9 and SIGTERM.

`infra-digest run` reads a fake GitHub server that answers slowly, so the run is inside its ingest step (holding
the `duckdb` pool slot, and no lock on the history) when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from infra_digest_tests.conftest import DAY
from infra_digest_tests.fakes.github_server import serve_replay

pytestmark = [pytest.mark.slow]
INFRA_DIGEST = str(Path(sys.executable).with_name("infra-digest"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def project_instance(workdir: Path) -> None:
    """The instance as the project configures it: pool duckdb limited to 1, run monitoring on."""
    (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())


def _env(workdir: Path, api_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFRA_DIGEST_")}
    return {**env, "GITHUB_API_URL": api_url, "DAGSTER_HOME": os.environ["DAGSTER_HOME"]}


def _run(workdir: Path, env: dict, *args: str, **kw) -> subprocess.Popen:
    cmd = [INFRA_DIGEST, "run", "--date", DAY, "--db", "h.duckdb", "--out", "out", *args]
    return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _counts(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("raw.events", "core.commits", "classified.changes", "report.daily"))


def _wait_until_holding_the_slot(instance: dg.DagsterInstance, proc: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        info = instance.event_log_storage.get_concurrency_info("duckdb")
        if info.claimed_slots:
            return info.claimed_slots[0].run_id
        time.sleep(0.3)
    raise AssertionError("the run never claimed the duckdb slot")


@pytest.mark.parametrize("detector", ["next_cli_run", "daemon_sensor"])
def test_a_killed_run_never_blocks_the_next_one(workdir: Path, replay_dir: Path, detector: str):
    source = f"replay:{replay_dir}"
    first = subprocess.run([INFRA_DIGEST, "run", "--date", DAY, "--source", source, "--db", "h.duckdb", "--out", "out"],
                           cwd=workdir, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _counts(workdir / "h.duckdb")
    report_before = (workdir / "out" / f"{DAY}.zh.md").read_bytes()

    with serve_replay(replay_dir, [{"fault": "slow", "delay": 600, "times": None}]) as fake:
        proc = _run(workdir, _env(workdir, fake.url), "--source", "github")
        with dg.DagsterInstance.get() as instance:
            dead_id = _wait_until_holding_the_slot(instance, proc)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            assert instance.get_run_by_id(dead_id).status == dg.DagsterRunStatus.STARTED  # what Dagster is left with
            if detector == "daemon_sensor":
                from infra_digest.defs.liveness import dead_runs_sensor

                with dg.build_sensor_context(instance=instance) as context:
                    result = dead_runs_sensor(context)
                assert dead_id in result.skip_message
                assert instance.get_run_by_id(dead_id).status == dg.DagsterRunStatus.FAILURE
                assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots

    started = time.monotonic()
    nxt = subprocess.run([INFRA_DIGEST, "run", "--date", DAY, "--source", source, "--db", "h.duckdb", "--out", "out"],
                         cwd=workdir, capture_output=True, text=True, timeout=300)
    assert nxt.returncode == 0, nxt.stderr
    assert time.monotonic() - started < 120
    if detector == "next_cli_run":
        assert f"run {dead_id} had died" in nxt.stderr
    with dg.DagsterInstance.get() as instance:
        dead = instance.get_run_by_id(dead_id)
        assert dead.status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    assert _counts(workdir / "h.duckdb") == before  # the killed run changed nothing; the rerun gives the same tables
    assert (workdir / "out" / f"{DAY}.zh.md").read_bytes() != b"" and report_before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_a_run_promptly_and_keep_the_previous_data(workdir: Path, replay_dir: Path, sig):
    source = f"replay:{replay_dir}"
    first = subprocess.run([INFRA_DIGEST, "run", "--date", DAY, "--source", source, "--db", "h.duckdb", "--out", "out"],
                           cwd=workdir, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _counts(workdir / "h.duckdb")
    report = workdir / "out" / f"{DAY}.zh.md"
    report_before = report.read_bytes()
    with serve_replay(replay_dir, [{"fault": "slow", "delay": 600, "times": None}]) as fake:
        proc = _run(workdir, _env(workdir, fake.url), "--source", "github")
        with dg.DagsterInstance.get() as instance:
            run_id = _wait_until_holding_the_slot(instance, proc)
        # while the run waits on the network, the history is not locked: a reader gets in at once
        reader = subprocess.run([INFRA_DIGEST, "sql", "SELECT count(*) AS n FROM raw.events", "--db", "h.duckdb",
                                 "--wait", "0", "--format", "csv"], cwd=workdir, capture_output=True, text=True, timeout=120)
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.splitlines()[1] == str(before[0])
        sent = time.monotonic()
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert took < 15, f"took {took:.1f}s to stop"
    assert "stopped by a signal" in err
    assert _counts(workdir / "h.duckdb") == before
    assert report.read_bytes() == report_before  # no report was written from a half-done run
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(run_id).status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
        assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
