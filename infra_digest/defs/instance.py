"""One history, one Dagster instance.

A Dagster instance records the runs of exactly one history database. Design:

- The instance is ``$DAGSTER_HOME`` when it is set; otherwise the folder beside the database,
  ``<db folder>/<db name>.dagster/`` (``data/infra_digest.dagster/`` for the default history). Neither depends on
  the working directory (``dagster.yaml`` holds no relative path).
- The first run that materializes an asset binds the instance to its history: the file ``infra_digest_history``
  in the instance's folder holds the history (absolute path, or a DuckLake target without secrets).
- Every asset checks the binding before it writes: a run against another history fails at once, before it
  materializes anything, naming both (so the UI never shows partitions of a database it does not serve).
- ``infra-digest run --db OTHER`` with a ``$DAGSTER_HOME`` bound to another history records its runs in the
  instance beside OTHER instead (a DuckLake, which has no folder: ``$DAGSTER_HOME/histories/<hash>/``, a separate
  instance), and says so.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dagster as dg

from infra_digest.storage.db import describe_history, is_lake

BINDING_FILE = "infra_digest_history"

# The instance settings (also the project's dagster.yaml): SQLite under the instance folder, one writer of the
# DuckDB file at a time (pool "duckdb"), dead runs detected and their pool slots freed.
INSTANCE_YAML = """\
# Dagster instance of one infra-digest history (see infra_digest/defs/instance.py and docs/operations.md).
# Storage: SQLite under this folder ($DAGSTER_HOME); no relative paths, so the working directory does not matter.
# For PostgreSQL, use deploy/postgres/dagster.yaml instead (see README, "Operations").

# Every asset that writes the DuckDB file is in pool "duckdb": one such step at a time, across all runs.
concurrency:
  pools:
    default_limit: 1
    granularity: op
  runs:
    max_concurrent_runs: 4

# The run queue is checked every second (Dagster's default: 5 s), so a run starts within a second of the pool slot
# being free. Do not use 0: the daemon would poll the database in a busy loop. (Issue 19: see docs/benchmarks.md.)
run_queue:
  dequeue_interval_seconds: 1

# A run whose process died (kill -9, OOM, reboot) is marked failed and its pool slots are freed.
run_monitoring:
  enabled: true
  poll_interval_seconds: 5
  free_slots_after_run_end_seconds: 5

telemetry:
  enabled: false
"""


class HistoryMismatch(RuntimeError):
    """The instance records another history than the one this run writes."""


def instance_dir_beside(db: str, home: str | Path | None = None) -> Path:
    """The instance folder of a history that has none in ``$DAGSTER_HOME``: ``<folder>/<name>.dagster`` for a
    DuckDB file; a DuckLake has no folder, so its instance is ``<home>/histories/<hash of the target>/`` (a separate
    instance: the one at ``home`` never shows its runs)."""
    if is_lake(db):
        if home is None:
            raise HistoryMismatch(f"the history {describe_history(db)} has no folder: set DAGSTER_HOME to its own instance")
        return Path(home) / "histories" / hashlib.sha256(describe_history(db).encode()).hexdigest()[:16]
    path = Path(db).resolve()
    return path.parent / f"{path.stem}.dagster"


def bound_history(root: str | Path) -> str | None:
    try:
        return (Path(root) / BINDING_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def check_binding(root: str | Path, db: str) -> None:
    """Raise :class:`HistoryMismatch` if the instance at ``root`` records another history; bind it when unbound."""
    history = describe_history(db)
    bound = bound_history(root)
    if bound is None:
        path = Path(root) / BINDING_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(history + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return
    if bound != history:
        raise HistoryMismatch(
            f"the Dagster instance at {root} records the history {bound}, not {history}: one instance serves one "
            f"history. Point DAGSTER_HOME at {history}'s own instance (e.g. {_beside_or_none(db)}), or "
            f"{'unset DAGSTER_HOME' if os.environ.get('DAGSTER_HOME') else 'use that history'}.")


def _beside_or_none(db: str) -> str:
    try:
        return str(instance_dir_beside(db))
    except HistoryMismatch:
        return "a folder of its own"


def ensure_instance_dir(path: Path) -> Path:
    """Create an instance folder with our dagster.yaml if it has none."""
    path.mkdir(parents=True, exist_ok=True)
    yaml = path / "dagster.yaml"
    if not yaml.exists():
        yaml.write_text(INSTANCE_YAML, encoding="utf-8")
    return path


def instance_for(db: str, say=None) -> dg.DagsterInstance:
    """The instance a CLI run against ``db`` records in (see the module docstring)."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        bound = bound_history(home)
        if bound is None or bound == describe_history(db):
            Path(home).mkdir(parents=True, exist_ok=True)
            return dg.DagsterInstance.get()
        beside = instance_dir_beside(db, home)
        if say:
            say(f"the Dagster instance at {home} records {bound}; this run of {describe_history(db)} is recorded "
                f"in {beside}")
    else:
        beside = instance_dir_beside(db)
    ensure_instance_dir(beside)
    return dg.DagsterInstance.from_config(str(beside))


def guard(context: dg.AssetExecutionContext, db: str) -> None:
    """At the start of every asset: this instance records this history (bound on first use), or the run fails."""
    from infra_digest.defs.liveness import tag_run

    root = getattr(context.instance, "root_directory", None)
    if not root or context.instance.is_ephemeral:
        return
    tag_run(context.instance, context.run.run_id)  # runs launched by the daemon: which process runs them
    try:
        check_binding(root, db)
    except HistoryMismatch as exc:
        raise dg.Failure(str(exc)) from None
