"""The assets. Each reads its partitions from DuckDB, calls pure functions, writes one transaction.

    raw_events ─► core_items ─► classified_changes ─► daily_digest ─► daily_report
    (date × repo partitions .........................)  (date partitions ..........)
"""

import datetime as dt
import logging
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from infra_digest.classify.rules import classify
from infra_digest.defs.partitions import keys_by_repo
from infra_digest.defs.resources import ReportResource, SourceResource, StorageResource
from infra_digest.report.build import build_report
from infra_digest.report.context import build_context
from infra_digest.sources.base import SourceError
from infra_digest.storage.reads import load_day, read_partitions
from infra_digest.storage.writes import replace_partitions, transaction
from infra_digest.summarize.engine import summarize_day
from infra_digest.transform import classify_input, derive_core
from infra_digest.watchlist import RepoSpec

_progress = logging.getLogger("infra_digest.progress")  # the CLI prints these lines

POOL = "duckdb"  # one writer of the DuckDB file at a time (see dagster.yaml)
SINGLE_RUN = dg.BackfillPolicy.single_run()


def _say(context: dg.AssetExecutionContext, message: str) -> None:
    context.log.info(message)
    _progress.info(message)


def _partition_keys(context: dg.AssetExecutionContext) -> list[dict]:
    return [{"repo": repo, "day": day} for repo, days in keys_by_repo(context.partition_keys).items() for day in days]


def _days(context: dg.AssetExecutionContext) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(k) for k in context.partition_keys)


def build_assets(watchlist: Sequence[RepoSpec], daily: dg.PartitionsDefinition, date_repo: dg.PartitionsDefinition):
    # BackfillPolicy and MultiToSingleDimensionPartitionMapping are marked beta in Dagster 1.13; we rely on
    # them deliberately (one run per backfill range; report day D <- every D|repo), so we don't warn users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _build_assets(watchlist, daily, date_repo)


def _build_assets(watchlist: Sequence[RepoSpec], daily: dg.PartitionsDefinition, date_repo: dg.PartitionsDefinition):
    specs = {r.repo: r for r in watchlist}
    by_date = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")

    @dg.asset(
        partitions_def=date_repo,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="ingest",
        kinds={"duckdb", "python"},
        description="What the source returned for each repository and day, unchanged (raw.events), and how each fetch went (raw.fetch_log).",
    )
    def raw_events(context: dg.AssetExecutionContext, storage: StorageResource, source: SourceResource) -> dg.MaterializeResult:
        started = time.monotonic()
        try:
            src = source.build(storage.db_path, log=context.log.info)
        except SourceError as exc:
            raise dg.Failure(str(exc)) from None
        fetched_at = dt.datetime.now(dt.timezone.utc)
        ok_keys, all_keys, events, log_rows, failed = [], [], [], [], []
        per_repo: dict[str, int] = {}
        for repo, days in keys_by_repo(context.partition_keys).items():
            spec = specs.get(repo)
            if spec is None:
                raise dg.Failure(f"{repo} is not in the watchlist")
            for batch in src.fetch(spec, days):
                key = {"repo": repo, "day": batch.day}
                all_keys.append(key)
                log_rows.append({**key, "source": src.name, "status": "ok" if batch.ok else "failed", "error": batch.error,
                                 "notes": batch.notes, "stats": batch.stats, "items": len(batch.events), "fetched_at": fetched_at})
                if not batch.ok:
                    failed.append(f"{batch.day} {repo}: {batch.error}")
                    context.log.warning(f"{repo} {batch.day}: {batch.error} (previous data kept)")
                    _progress.warning(f"raw: {repo} {batch.day} FAILED: {batch.error} (previous data kept)")
                    continue
                ok_keys.append(key)
                per_repo[repo] = per_repo.get(repo, 0) + len(batch.events)
                events.extend({**key, "kind": e.kind, "id": e.id, "payload": e.payload, "source": src.name, "fetched_at": fetched_at}
                              for e in batch.events)
            _say(context, f"raw: {repo}: {per_repo.get(repo, 0)} items over {len(days)} day(s)"
                 + (f", {sum(1 for f in failed if f' {repo}: ' in f)} day(s) failed" if failed else ""))
        with storage.connect() as conn, transaction(conn):
            replace_partitions(conn, "raw.events", ok_keys, events)
            replace_partitions(conn, "raw.fetch_log", all_keys, log_rows)
        return dg.MaterializeResult(metadata={
            "source": src.name,
            "partitions": len(all_keys),
            "items": len(events),
            "items_per_repo": dg.MetadataValue.json(per_repo),
            "failed_partitions": len(failed),
            "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failed) or "none"),
            "duration_s": round(time.monotonic() - started, 3),
        })

    @dg.asset(
        deps=[raw_events],
        partitions_def=date_repo,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="ingest",
        kinds={"duckdb", "python"},
        description="Typed commits, pull requests and issues per repository and day (core.commits, core.pull_requests, core.issues).",
    )
    def core_items(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
        started = time.monotonic()
        keys = _partition_keys(context)
        with storage.connect() as conn:
            raw = read_partitions(conn, "raw.events", keys, "repo, day, kind, id, payload, source", order_by="repo, day, kind, id")
            grouped: dict[tuple, list] = {}
            for ev in raw:
                grouped.setdefault((ev["repo"], ev["day"]), []).append(ev)
            commits, prs, issues = [], [], []
            for key in keys:
                rows = derive_core(key["repo"], key["day"], grouped.get((key["repo"], key["day"]), []))
                commits += rows.commits
                prs += rows.pull_requests
                issues += rows.issues
            with transaction(conn):
                replace_partitions(conn, "core.commits", keys, commits)
                replace_partitions(conn, "core.pull_requests", keys, prs)
                replace_partitions(conn, "core.issues", keys, issues)
        _say(context, f"core: {len(commits)} commits, {len(prs)} pull requests, {len(issues)} issues in {len(keys)} partition(s)")
        return dg.MaterializeResult(metadata={
            "commits": len(commits), "pull_requests": len(prs), "issues": len(issues),
            "truncated_file_lists": sum(1 for c in commits if c["files_truncated"]),
            "duration_s": round(time.monotonic() - started, 3),
        })

    @dg.asset(
        deps=[core_items],
        partitions_def=date_repo,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="ingest",
        kinds={"duckdb", "python"},
        description="Every commit, pull request and issue with change type, hardware, precision, topics, models and the rules that set them (classified.changes).",
    )
    def classified_changes(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
        started = time.monotonic()
        keys = _partition_keys(context)
        rows = []
        with storage.connect() as conn:
            for table, kind, id_col in (("core.commits", "commit", "sha"), ("core.pull_requests", "pull_request", "number"), ("core.issues", "issue", "number")):
                for item in read_partitions(conn, table, keys):
                    labels = classify(classify_input(kind, item))
                    rows.append({
                        "repo": item["repo"], "day": item["day"], "item_kind": kind, "item_id": str(item[id_col]),
                        "title": item.get("title"), "url": item["url"], "change_type": labels.change_type,
                        "hardware": list(labels.hardware), "precision": list(labels.precision), "topics": list(labels.topics),
                        "models": list(labels.models), "rules": list(labels.rules),
                    })
            with transaction(conn):
                replace_partitions(conn, "classified.changes", keys, rows)
        _say(context, f"classified: {len(rows)} items")
        by_type: dict[str, int] = {}
        for r in rows:
            by_type[r["change_type"]] = by_type.get(r["change_type"], 0) + 1
        return dg.MaterializeResult(metadata={
            "items": len(rows),
            "by_change_type": dg.MetadataValue.json(dict(sorted(by_type.items()))),
            "with_hardware_tag": sum(1 for r in rows if r["hardware"]),
            "duration_s": round(time.monotonic() - started, 3),
        })

    @dg.asset(
        deps=[dg.AssetDep(classified_changes, partition_mapping=by_date)],
        partitions_def=daily,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="report",
        kinds={"duckdb", "python"},
        description="Text of the day: a gist per issue and new PR, a paragraph per repository, the summary and the cross-repository overview (summaries.items, summaries.digests).",
    )
    def daily_digest(context: dg.AssetExecutionContext, storage: StorageResource, report: ReportResource) -> dg.MaterializeResult:
        started = time.monotonic()
        item_rows, digest_rows, stats = [], [], {}
        with storage.connect() as conn:
            days = _days(context)
            for day in days:
                ctx = build_context(day, watchlist, **load_day(conn, day))
                for lang in report.langs:
                    result = summarize_day(ctx, lang)
                    stats[f"{day}/{lang}"] = result.stats
                    for (repo, kind, item_id), text in result.items.items():
                        item_rows.append({"day": day, "repo": repo, "lang": lang, "item_kind": kind, "item_id": item_id,
                                          "text": text.text, "summarizer": text.summarizer, "fallback_reason": text.fallback_reason})
                    for section, repo, text in result.sections():
                        digest_rows.append({"day": day, "lang": lang, "section": section, "repo": repo, "text": text.text,
                                            "summarizer": text.summarizer, "fallback_reason": text.fallback_reason})
            keys = [{"day": d, "lang": lang} for d in days for lang in report.langs]
            with transaction(conn):
                replace_partitions(conn, "summaries.items", keys, item_rows)
                replace_partitions(conn, "summaries.digests", keys, digest_rows)
        return dg.MaterializeResult(metadata={
            "items": len(item_rows), "sections": len(digest_rows),
            "fallbacks": sum(s.get("fallbacks", 0) for s in stats.values()),
            "per_day": dg.MetadataValue.json(stats),
            "duration_s": round(time.monotonic() - started, 3),
        })

    @dg.asset(
        deps=[daily_digest],
        partitions_def=daily,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="report",
        kinds={"duckdb", "markdown", "html"},
        description="The day's report in Markdown and HTML (report.daily and reports/<day>.<lang>.md/.html).",
    )
    def daily_report(context: dg.AssetExecutionContext, storage: StorageResource, report: ReportResource) -> dg.MaterializeResult:
        started = time.monotonic()
        out_dir = Path(report.out_dir)
        written, rows = [], []
        generated_at = dt.datetime.now(dt.timezone.utc)
        with storage.connect() as conn:
            days = _days(context)
            for day in days:
                for lang in report.langs:
                    row = build_report(conn, day, lang, watchlist, generated_at)
                    rows.append(row)
            with transaction(conn):
                replace_partitions(conn, "report.daily", [{"day": r["day"], "lang": r["lang"]} for r in rows], rows)
        out_dir.mkdir(parents=True, exist_ok=True)
        for row in rows:
            for ext, text in (("md", row["markdown"]), ("html", row["html"])):
                path = out_dir / f"{row['day']}.{row['lang']}.{ext}"
                tmp = path.with_suffix(path.suffix + ".tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
                written.append(str(path))
        _say(context, f"report: {len(rows)} report(s) written to {out_dir}")
        last = rows[-1] if rows else None
        return dg.MaterializeResult(metadata={
            "reports": len(rows),
            "files": dg.MetadataValue.json(written),
            "last_report": dg.MetadataValue.md(last["markdown"]) if last else "none",
            "duration_s": round(time.monotonic() - started, 3),
        })

    return raw_events, core_items, classified_changes, daily_digest, daily_report

