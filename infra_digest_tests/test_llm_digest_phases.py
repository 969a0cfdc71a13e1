"""The digest stage never holds the history while a model answers (issue 14.5): it reads (contexts, the cache of
its prompts), asks the model with no connection open, then writes the summaries and the LLM rows.

Real pieces throughout: a DuckDB file written by the ingest stage's functions from a replay folder, the fake
OpenAI-compatible server on 127.0.0.1, and a second process that opens the history read-write while the model is
answering a request."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from infra_digest.demo.builders import commit, issue, write_replay
from infra_digest.pipeline.digest import digest_days, load_digest_inputs, summarize_digest, write_digest
from infra_digest.pipeline.ingest import PartitionKey, classify_rows, collect, derive_core_rows
from infra_digest.sources.replay import ReplaySource
from infra_digest.storage.db import connect
from infra_digest.storage.writes import replace_partitions
from infra_digest.summarize.llm import LLMResource, LLMSummarizer
from infra_digest.watchlist import RepoSpec
from infra_digest_tests.fakes.llm_server import FakeLLM

DAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.timezone.utc)
SPECS = (RepoSpec("acme/kernels", "Kernels"), RepoSpec("acme/serve", "Serve"))
MODEL = "openai/fake-model"
LANGS = ("en", "zh")

# Opens the history read-write from another process, writes a row and says "ok", or says why it could not.
PROBE = """
import sys, duckdb
try:
    c = duckdb.connect(sys.argv[1])
except Exception as exc:
    print("busy:", type(exc).__name__); sys.exit(0)
c.execute("CREATE TABLE IF NOT EXISTS main.probe (n INTEGER)")
c.execute("INSERT INTO main.probe VALUES (1)")
c.close()
print("ok")
"""


def _history(tmp_path: Path) -> Path:
    root = write_replay(tmp_path / "replay", [
        ("acme/kernels", commit("acme/kernels", "fix: NVFP4 GEMM crash on SM120 (#41)", date="2026-03-02T08:00:00Z",
                                files=(("csrc/gemm.cu", "modified", 40, 3),))),
        ("acme/kernels", commit("acme/kernels", "perf: faster FP8 attention", date="2026-03-02T11:00:00Z")),
        ("acme/serve", commit("acme/serve", "feat: speculative decoding for Llama 4", date="2026-03-02T09:30:00Z")),
    ], [
        ("2026-03-02", "acme/serve", issue("acme/serve", 7, "OOM with long prompts on H100", created_at="2026-03-02T06:00:00Z",
                                           body="Serving a 128k prompt runs out of memory.")),
    ], recorded=[("2026-03-02", s.repo) for s in SPECS])
    keys = [PartitionKey(DAY, s.repo) for s in SPECS]
    got = collect(ReplaySource(root), {s.repo: s for s in SPECS}, keys, NOW)
    assert not got.failed, got.failed
    core = derive_core_rows(got.events, keys)
    db = tmp_path / "history.duckdb"
    with connect(db) as conn:
        replace_partitions(conn, "raw.fetch_log", got.all_keys, got.log_rows)
        replace_partitions(conn, "raw.events", got.ok_keys, got.events)
        for table, rows in core.tables().items():
            replace_partitions(conn, table, got.ok_keys, rows)
        replace_partitions(conn, "classified.changes", got.ok_keys, classify_rows(core.tables()).rows)
    return db


def _probe(db: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(db)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


class ProbingModel:
    """The fake model's script: before its first answer, another process tries to open the history read-write;
    every answer is a good one."""

    def __init__(self, db: Path):
        self.db, self.seen, self._lock = db, [], threading.Lock()

    def __call__(self, prompt, body):
        with self._lock:
            if not self.seen:
                self.seen.append(_probe(self.db))
        return "good"


@pytest.fixture(scope="module")
def fake():
    os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-key")
    with FakeLLM() as server:
        yield server


def _summarizer(fake) -> LLMSummarizer:
    llm = LLMResource(model=MODEL, api_base=fake.api_base, timeout=20, max_retries=0).summarizer()
    assert llm is not None and llm.conn is None  # built without a connection: it can hold none
    return llm


def test_the_history_is_free_while_the_model_answers(tmp_path: Path, fake):
    db = _history(tmp_path)
    probe = ProbingModel(db)
    fake.reset()
    fake.set_script(probe)
    llm = _summarizer(fake)
    with connect(db, read_only=True) as conn:
        inputs = load_digest_inputs(conn, [DAY], SPECS, LANGS, llm)
    assert inputs.cached == 0 and set(inputs.plans) == {(DAY, lang) for lang in LANGS}
    out = summarize_digest(inputs, llm)
    assert probe.seen == ["ok"], "another process could not open the history while the model was answering"
    requests = len(fake.requests)
    assert requests >= 2 * len(LANGS)  # per active repository and language, plus summary and overview
    assert len(out.llm.call_rows) == requests and out.llm.cache_rows
    assert all(st["llm_status"] == "ok" and st["llm_sections"] > 0 for st in out.stats.values())
    cache_keys = {r[0] for r in out.llm.cache_rows}
    with connect(db) as conn:
        write_digest(conn, out)
        assert conn.execute("SELECT count(*) FROM main.probe").fetchone()[0] == 1  # the probe's write is kept
        n_items, n_sections = (conn.execute(f"SELECT count(*) FROM summaries.{t}").fetchone()[0] for t in ("items", "digests"))
        assert (n_items, n_sections) == (len(out.item_rows), len(out.digest_rows)) and n_items > 0
        assert conn.execute("SELECT count(*) FROM llm.calls WHERE NOT cached").fetchone()[0] == requests
        assert {k for (k,) in conn.execute("SELECT key FROM llm.cache").fetchall()} == cache_keys
    assert not out.llm  # written once

    # a second run reads every answer from the cache in its read phase and asks the model nothing
    fake.reset()
    again = _summarizer(fake)
    with connect(db, read_only=True) as conn:
        inputs = load_digest_inputs(conn, [DAY], SPECS, LANGS, again)
    assert inputs.cached == sum(len(plan[0]) for plan in inputs.plans.values())
    second = summarize_digest(inputs, again)
    assert fake.requests == []
    assert [(r["text"], r["summarizer"]) for r in second.item_rows] == [(r["text"], r["summarizer"]) for r in out.item_rows]
    assert second.llm.cache_rows == [] and all(r["cached"] for r in second.llm.call_rows)
    hits = len(second.llm.call_rows)
    assert hits == inputs.cached
    with connect(db) as conn:
        write_digest(conn, second)  # re-writing the partitions gives the same tables
        assert conn.execute("SELECT count(*) FROM summaries.items").fetchone()[0] == len(out.item_rows)
        assert conn.execute("SELECT count(*) FROM llm.calls WHERE cached").fetchone()[0] == hits


def test_digest_days_on_one_connection_holds_it_and_writes_the_llm_rows(tmp_path: Path, fake):
    """The thin composition (one connection for everything) works as before, and shows what the probe detects: a
    connection held across the model's answers keeps every other process out."""
    db = _history(tmp_path)
    probe = ProbingModel(db)
    fake.reset()
    fake.set_script(probe)
    with connect(db) as conn:
        out = digest_days(conn, [DAY], SPECS, ["en"], _summarizer(fake))
        assert not out.llm  # written through conn
        assert conn.execute("SELECT count(*) FROM llm.calls").fetchone()[0] == len(fake.requests) > 0
        assert conn.execute("SELECT count(*) FROM llm.cache").fetchone()[0] > 0
        write_digest(conn, out)
        assert conn.execute("SELECT count(*) FROM summaries.digests WHERE lang = 'en'").fetchone()[0] == len(out.digest_rows)
    assert probe.seen and probe.seen[0].startswith("busy")


def test_extractive_digest_needs_no_model_and_no_connection(tmp_path: Path):
    db = _history(tmp_path)
    with connect(db, read_only=True) as conn:
        inputs = load_digest_inputs(conn, [DAY], SPECS, LANGS)
    assert inputs.plans == {}
    out = summarize_digest(inputs)
    assert {r["summarizer"] for r in out.item_rows + out.digest_rows} == {"extractive"}
    with connect(db) as conn:
        write_digest(conn, out)
        rows = conn.execute("SELECT day, lang, count(*) FROM summaries.digests GROUP BY ALL ORDER BY lang").fetchall()
    assert [(d, lang) for d, lang, _ in rows] == [(DAY, "en"), (DAY, "zh")]
