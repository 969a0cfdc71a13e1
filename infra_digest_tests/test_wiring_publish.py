"""The publishing wiring (issue 18) and the status checks (issue 14), through the CLI and the real Definitions:
`infra-digest site` and `deliver`, the site and deliveries assets in the report job when configured, `status`
listing failed deliveries and report files that do not match the history."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from infra_digest_tests.conftest import DAY, run_cli
from infra_digest_tests.fakes.webhook_server import WebhookServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _subs(path: Path, to: str) -> Path:
    path.write_text(textwrap.dedent(f"""
        subscriptions:
          - name: everything
            to: {to}
        """), encoding="utf-8")
    return path


def test_site_and_deliver_commands(workdir: Path, replay_dir: Path, capsys):
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out") == 0
    assert run_cli("status", "--db", "h.duckdb") == 0
    # the site command is wired: pages from the history
    assert run_cli("site", "--db", "h.duckdb", "--out", "web", "--no-search") == 0
    assert (workdir / "web" / "index.html").is_file()
    assert run_cli("site", "--db", "missing.duckdb", "--out", "web2", "--no-search") == 1
    # deliver: bad input is 2, a good channel is sent exactly once, a failing one is 1 and shows in status
    assert run_cli("deliver", "--date", "not-a-day", "--db", "h.duckdb") == 2
    assert run_cli("deliver", "--date", DAY, "--db", "h.duckdb") == 2  # no subscriptions
    with WebhookServer() as srv:
        good = _subs(workdir / "good.yaml", f"json://{srv.host}/json/everything")
        assert run_cli("deliver", "--date", DAY, "--db", "h.duckdb", "--subscriptions", str(good)) == 0
        assert len(srv.received("/json/everything")) == 1
        capsys.readouterr()
        assert run_cli("deliver", "--date", DAY, "--db", "h.duckdb", "--subscriptions", str(good)) == 0
        assert len(srv.received("/json/everything")) == 1  # exactly once
    bad = _subs(workdir / "bad.yaml", f"json://127.0.0.1:{_closed_port()}/hook")
    bad.write_text(bad.read_text().replace("everything", "broken"), encoding="utf-8")
    assert run_cli("deliver", "--date", DAY, "--db", "h.duckdb", "--subscriptions", str(bad)) == 1
    capsys.readouterr()
    assert run_cli("status", "--db", "h.duckdb") == 1
    out = capsys.readouterr()
    assert f"broken [daily:{DAY}] json#1: " in out.out and "1 failed deliveries" in out.err


def test_status_lists_report_files_missing_or_different(workdir: Path, replay_dir: Path, capsys):
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out", "--lang", "en") == 0
    assert run_cli("status", "--db", "h.duckdb") == 0  # the folder the run wrote to is recorded with the report
    md = workdir / "out" / f"{DAY}.en.md"
    md.write_text(md.read_text() + "tampered\n")
    (workdir / "out" / f"{DAY}.en.html").unlink()
    capsys.readouterr()
    assert run_cli("status", "--db", "h.duckdb") == 1
    out = capsys.readouterr().out
    assert f"{DAY}.en.md differs from report.daily" in out and f"{DAY}.en.html missing" in out


def test_run_builds_the_site_and_delivers_only_when_configured(workdir: Path, replay_dir: Path, monkeypatch):
    import dagster as dg

    args = ("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out")
    assert run_cli(*args) == 0
    assert not (workdir / "site").exists()  # not configured: no site, no delivery
    monkeypatch.setenv("INFRA_DIGEST_SITE_DIR", str(workdir / "web"))
    with WebhookServer() as srv:
        monkeypatch.setenv("INFRA_DIGEST_SUBSCRIPTIONS", str(_subs(workdir / "s.yaml", f"json://{srv.host}/json/x")))
        assert run_cli(*args) == 0
        # the day is older than the deliveries' age limit: the asset ran and sent nothing (a backfill floods no one)
        assert srv.received("/") == []
    assert (workdir / "web" / "index.html").is_file()
    from infra_digest.defs.instance import instance_for

    with instance_for("h.duckdb") as instance:
        for key in ("site", "deliveries"):
            assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key


def test_bad_setting_is_bad_input(workdir: Path, monkeypatch, capsys):
    monkeypatch.setenv("INFRA_DIGEST_GITHUB_RELEASES", "maybe")
    assert run_cli("run", "--date", DAY, "--db", "h.duckdb") == 2
    assert "INFRA_DIGEST_GITHUB_RELEASES" in capsys.readouterr().err
    monkeypatch.setenv("INFRA_DIGEST_GITHUB_RELEASES", "1")
    monkeypatch.setenv("INFRA_DIGEST_FETCH_BUDGET", "-3")
    assert run_cli("status", "--db", "h.duckdb") == 2


def test_github_source_is_built_from_the_settings(tmp_path: Path):
    from infra_digest.defs.resources import resources_for
    from infra_digest.settings import Settings
    from infra_digest.sources.github import GitHubSource
    from infra_digest.sources.record import RecordingSource

    conf = Settings.from_env({"INFRA_DIGEST_GITHUB_TIMEOUT": "7", "INFRA_DIGEST_GITHUB_REQUEST_DEADLINE": "9",
                              "INFRA_DIGEST_FETCH_BUDGET": "11", "INFRA_DIGEST_GITHUB_MAX_RATE_LIMIT_WAIT": "13",
                              "INFRA_DIGEST_GITHUB_RELEASES": "yes", "INFRA_DIGEST_GITHUB_HOT": "on",
                              "INFRA_DIGEST_LLM_DAY_DEADLINE": "15", "INFRA_DIGEST_GITHUB_WEB_ORIGIN": "https://ghe.example.com/"},
                             source="github", db=str(tmp_path / "h.duckdb"))
    res = resources_for(conf)
    src = res["source"].build(conf.db)
    assert isinstance(src, GitHubSource) and src.releases and src.hot
    c = src.client.config
    assert (c.timeout, c.request_deadline, c.fetch_budget, c.max_rate_limit_wait) == (7, 9, 11, 13)
    recording = res["source"].model_copy(update={"record_dir": str(tmp_path / "rec")}).build(conf.db)
    assert isinstance(recording, RecordingSource) and isinstance(recording.source, GitHubSource)
    assert res["llm"].day_deadline_seconds == 15 and res["report"].web_origin == "https://ghe.example.com"
    off = resources_for(Settings.from_env({}, source="github", db=str(tmp_path / "h.duckdb")))["source"].build(conf.db)
    assert not off.releases and not off.hot


def test_llm_failure_fails_the_run_after_writing_a_report_that_says_so(workdir: Path, replay_dir: Path, monkeypatch, capsys):
    monkeypatch.setenv("INFRA_DIGEST_LLM_MODEL", "openai/some-model")
    monkeypatch.setenv("INFRA_DIGEST_LLM_API_BASE", f"http://127.0.0.1:{_closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("INFRA_DIGEST_LLM_DAY_DEADLINE", "20")
    assert run_cli("run", "--date", DAY, "--source", f"replay:{replay_dir}", "--db", "h.duckdb", "--out", "out", "--lang", "en") == 1
    err = capsys.readouterr().err
    assert "the LLM failed" in err and f"{DAY}/en" in err
    md = (workdir / "out" / f"{DAY}.en.md").read_text()
    assert "LLM failed" in md and "no LLM" not in md
    with duckdb.connect("h.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT stats->>'llm_status' FROM report.daily").fetchall() == [("failed",)]
    from infra_digest.defs.checks import report_checks
    from infra_digest.defs.resources import ReportResource, StorageResource

    # the asset check says it too (direct invocation of the real check over the history)
    results = {r.check_name: r for r in report_checks(storage=StorageResource(db_path="h.duckdb"),
                                                      report=ReportResource(langs=["en"], out_dir="out"))}
    assert results["llm_answered"].passed is False

    # the run-failure sensor alerts the `alerts: true` subscriptions once per failed run, with its cause
    from infra_digest.defs.instance import instance_for
    from infra_digest.defs.publish import run_failure_alerts
    from infra_digest.defs.resources import PublishResource

    with WebhookServer() as srv, instance_for("h.duckdb") as instance:
        subs = workdir / "ops.yaml"
        subs.write_text(textwrap.dedent(f"""
            subscriptions:
              - name: ops
                to: json://{srv.host}/json/ops
                alerts: true
            """), encoding="utf-8")
        run = next(r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.FAILURE)
        event = next(e for e in instance.all_logs(run.run_id) if e.dagster_event and
                     e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE).dagster_event
        for _ in range(2):
            ctx = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alerts", dagster_event=event, dagster_instance=instance, dagster_run=run,
                resources={"storage": StorageResource(db_path="h.duckdb"), "publish": PublishResource(subscriptions=str(subs))},
            ).for_run_failure()
            run_failure_alerts(ctx)
        got = srv.received("/json/ops")
        assert len(got) == 1 and "LLM failed" in str(got[0])
