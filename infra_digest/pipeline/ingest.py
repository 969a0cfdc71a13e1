"""Ingest stage: collect raw events from a source, derive core rows, classify them.

Plain functions over typed inputs; no Dagster. The asset (``infra_digest.defs.assets.ingest``) reads what a stage
needs, calls it, writes the rows it returns in one transaction and turns the stats into metadata:

    collect(source, specs, keys)          -> Collected      (network only; no database connection is open)
    derive_core_rows(raw_events, keys)    -> CoreOutput     (pure)
    classify_rows(core_tables)            -> ClassifiedOutput (pure)

Every output carries its counts per partition (``per_key``), so each repository-day's materialization reports
its own figures, not the run's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra_digest.classify import classify, classify_inputs
from infra_digest.derive.extra import EXTRA_TABLES, derive_extra
from infra_digest.sources.base import DayBatch, Source
from infra_digest.transform import derive_core
from infra_digest.watchlist import RepoSpec

CORE_TABLES = (("core.commits", "commit", "sha"), ("core.pull_requests", "pull_request", "number"), ("core.issues", "issue", "number"))


@dataclass(frozen=True, order=True)
class PartitionKey:
    """One repository-day: the unit a source answers for and the key of every date x repo table."""

    day: dt.date
    repo: str

    @property
    def dagster_key(self) -> str:
        """The multi-partition key string, ``"2026-02-18|owner/name"`` (dimension names sorted: date first)."""
        return f"{self.day}|{self.repo}"

    def row_key(self) -> dict[str, Any]:
        return {"repo": self.repo, "day": self.day}


def keys_by_repo(keys: Iterable[PartitionKey]) -> dict[str, list[dt.date]]:
    """``[PartitionKey(day, repo), ...]`` -> ``{repo: [days sorted]}``, repositories in first-seen order."""
    out: dict[str, set[dt.date]] = {}
    for k in keys:
        out.setdefault(k.repo, set()).add(k.day)
    return {repo: sorted(days) for repo, days in out.items()}


def row_keys(keys: Iterable[PartitionKey]) -> list[dict[str, Any]]:
    """Keys as the ``{"repo", "day"}`` dicts that ``storage.writes.replace_partitions`` takes, repository-major."""
    return [{"repo": repo, "day": day} for repo, days in keys_by_repo(keys).items() for day in days]


class UnknownRepository(ValueError):
    """A partition names a repository that is not in the watchlist."""


@dataclass
class Collected:
    """What a source returned for a set of repository-days."""

    source: str  # the source's name as stored in the data ("replay", "github", "git", ...)
    events: list[dict[str, Any]] = field(default_factory=list)  # raw.events rows of the partitions that were read
    log_rows: list[dict[str, Any]] = field(default_factory=list)  # raw.fetch_log: one per partition, ok or failed
    ok_keys: list[dict[str, Any]] = field(default_factory=list)  # partitions whose raw.events are replaced
    all_keys: list[dict[str, Any]] = field(default_factory=list)  # every partition fetched (raw.fetch_log)
    failed: dict[str, str] = field(default_factory=dict)  # "day|repo" -> user-facing error
    per_repo: dict[str, int] = field(default_factory=dict)  # items per repository (ok partitions)
    per_key: dict[str, dict[str, Any]] = field(default_factory=dict)  # "day|repo" -> items, requests, status
    requests: int = 0

    @property
    def items(self) -> int:
        return len(self.events)


def _log_row(batch: DayBatch, source: str, fetched_at: dt.datetime) -> dict[str, Any]:
    return {"repo": batch.repo, "day": batch.day, "source": source, "status": "ok" if batch.ok else "failed",
            "error": batch.error, "notes": batch.notes, "stats": batch.stats, "items": len(batch.events),
            "fetched_at": fetched_at, "stale": bool(batch.stale)}


def partition_digest(status: str, error: str | None, events: Iterable[Mapping[str, Any]]) -> str:
    """A hash of what one fetch gave for a repository-day: equal digests mean the data did not change."""
    h = hashlib.sha256(f"{status}\0{error or ''}\0".encode())
    for ev in sorted(events, key=lambda e: (e["kind"], str(e["id"]))):
        h.update(json.dumps([ev["kind"], str(ev["id"]), ev["payload"]], sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


def mark_changes(collected: Collected, previous: Iterable[Mapping[str, Any]]) -> int:
    """Set ``digest`` and ``changed_at`` on each fetch-log row: ``changed_at`` keeps the previous time when the
    repository-day's data did not change (a failed fetch keeps the previous data, hence its digest). ``previous``:
    the raw.fetch_log rows the write replaces. Returns how many repository-days changed."""
    prev = {(r["repo"], r["day"]): r for r in previous}
    by_key: dict[tuple, list] = {}
    for ev in collected.events:
        by_key.setdefault((ev["repo"], ev["day"]), []).append(ev)
    changed = 0
    for row in collected.log_rows:
        key = (row["repo"], row["day"])
        old = prev.get(key)
        if row["status"] == "ok":
            row["digest"] = partition_digest("ok", None, by_key.get(key, ()))
        else:  # nothing is written for this repository-day: the report changes only if it was not failed before
            row["digest"] = old["digest"] if old and old.get("status") == "failed" and old.get("digest") else \
                partition_digest("failed", row["error"], ())
        same = old is not None and old.get("digest") == row["digest"] and old.get("changed_at") is not None
        row["changed_at"] = old["changed_at"] if same else row["fetched_at"]
        changed += not same
    return changed


def collect(source: Source, specs: Mapping[str, RepoSpec], keys: Iterable[PartitionKey], fetched_at: dt.datetime,
            say: Callable[[str], None] | None = None, warn: Callable[[str], None] | None = None) -> Collected:
    """Fetch every repository-day of ``keys`` from ``source``. A batch that failed is logged (``log_rows``) but
    its events are not returned for writing, so the previous good data of that repository-day stays."""
    out = Collected(source=source.name)
    for repo, days in keys_by_repo(keys).items():
        spec = specs.get(repo)
        if spec is None:
            raise UnknownRepository(f"{repo} is not in the watchlist")
        repo_failed = 0
        for batch in source.fetch(spec, days):
            key = {"repo": repo, "day": batch.day}
            pkey = f"{batch.day}|{repo}"
            requests = int(batch.stats.get("requests", 0))
            out.all_keys.append(key)
            out.requests += requests
            out.log_rows.append(_log_row(batch, source.name, fetched_at))
            out.per_key[pkey] = {"items": len(batch.events), "http_requests": requests,
                                 "status": "ok" if batch.ok else "failed"}
            if not batch.ok:
                out.failed[pkey] = batch.error or "failed"
                out.per_key[pkey]["error"] = out.failed[pkey]
                repo_failed += 1
                if warn:
                    warn(f"raw: {repo} {batch.day} FAILED: {batch.error} (previous data kept)")
                continue
            out.ok_keys.append(key)
            out.per_repo[repo] = out.per_repo.get(repo, 0) + len(batch.events)
            out.events.extend({**key, "kind": e.kind, "id": e.id, "payload": e.payload, "source": source.name,
                               "fetched_at": fetched_at} for e in batch.events)
        if say:
            say(f"raw: {repo}: {out.per_repo.get(repo, 0)} items over {len(days)} day(s)"
                + (f", {repo_failed} day(s) FAILED" if repo_failed else ""))
    return out


@dataclass
class CoreOutput:
    commits: list[dict[str, Any]] = field(default_factory=list)
    pull_requests: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    per_key: dict[str, dict[str, int]] = field(default_factory=dict)  # "day|repo" -> commits, pull_requests, issues
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # core.releases, core.discussions, ...

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table this stage replaces per partition (in one transaction), the extra ones included even when
        empty, so a re-derived partition never keeps rows of an earlier derivation."""
        return {"core.commits": self.commits, "core.pull_requests": self.pull_requests, "core.issues": self.issues,
                **{t: self.extra.get(t, []) for t in EXTRA_TABLES}}

    @property
    def truncated_file_lists(self) -> int:
        return sum(1 for c in self.commits if c["files_truncated"])


def derive_core_rows(raw_events: Iterable[Mapping[str, Any]], keys: Iterable[PartitionKey]) -> CoreOutput:
    """raw.events rows (``repo, day, kind, id, payload, source``) -> core rows for each of ``keys``."""
    grouped: dict[tuple, list] = {}
    for ev in raw_events:
        grouped.setdefault((ev["repo"], ev["day"]), []).append(ev)
    out = CoreOutput()
    for key in row_keys(keys):
        events = grouped.get((key["repo"], key["day"]), [])
        rows = derive_core(key["repo"], key["day"], events)
        for table, extra in derive_extra(key["repo"], key["day"], events, rows).items():
            out.extra.setdefault(table, []).extend(extra)
        out.commits += rows.commits
        out.pull_requests += rows.pull_requests
        out.issues += rows.issues
        out.per_key[f"{key['day']}|{key['repo']}"] = {
            "commits": len(rows.commits), "pull_requests": len(rows.pull_requests), "issues": len(rows.issues)}
    return out


@dataclass
class ClassifiedOutput:
    rows: list[dict[str, Any]] = field(default_factory=list)  # classified.changes
    per_key: dict[str, dict[str, int]] = field(default_factory=dict)  # "day|repo" -> items, with_hardware_tag

    def by_change_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r["change_type"]] = counts.get(r["change_type"], 0) + 1
        return dict(sorted(counts.items()))


def classified_row(kind: str, id_col: str, item: Mapping[str, Any], labels: Any) -> dict[str, Any]:
    row = {
        "repo": item["repo"], "day": item["day"], "item_kind": kind, "item_id": str(item[id_col]),
        "title": item.get("title"), "url": item["url"], "change_type": labels.change_type,
        "hardware": list(labels.hardware), "precision": list(labels.precision), "topics": list(labels.topics),
        "models": list(labels.models), "rules": list(labels.rules),
    }
    flags = getattr(labels, "flags", None)  # set by classifiers that flag suspicious input (Labels.flags)
    row["flags"] = list(flags) if flags is not None else []
    return row


def classify_rows(core_tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> ClassifiedOutput:
    """Rows of ``core.commits``, ``core.pull_requests`` and ``core.issues`` -> ``classified.changes`` rows.

    Inputs are built per repository-day (``classify_inputs``), so a merge commit sees the commits it brings."""
    out = ClassifiedOutput()
    for table, kind, id_col in CORE_TABLES:
        groups: dict[tuple, list[Mapping[str, Any]]] = {}
        for item in core_tables.get(table, ()):
            groups.setdefault((item["repo"], item["day"]), []).append(item)
        for items in groups.values():
            for item, inp in zip(items, classify_inputs(kind, items), strict=True):
                row = classified_row(kind, id_col, item, classify(inp))
                out.rows.append(row)
                stats = out.per_key.setdefault(f"{row['day']}|{row['repo']}", {"items": 0, "with_hardware_tag": 0})
                stats["items"] += 1
                stats["with_hardware_tag"] += bool(row["hardware"])
    return out
