"""The assets. Each reads its partitions from DuckDB, calls pure functions, writes one transaction.

    raw_events ─► core_items ─► classified_changes ─► daily_digest ─► daily_report
    (date × repo partitions .........................)  (date partitions ..........)
"""

import datetime as dt
import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from infra_digest.classify import classify, classify_input
from infra_digest.defs.partitions import keys_by_repo
from infra_digest.defs.resources import ReportResource, SourceResource, StorageResource
from infra_digest.pipeline.digest import digest_days
from infra_digest.pipeline.report import render_reports, write_report_files
from infra_digest.sources.base import SourceError
from infra_digest.storage.reads import read_partitions
from infra_digest.storage.writes import replace_partitions, transaction
from infra_digest.summarize.llm import LLMResource
from infra_digest.transform import derive_core
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


RAW, CORE, CLASSIFIED = dg.AssetKey("raw_events"), dg.AssetKey("core_items"), dg.AssetKey("classified_changes")


def fetch_raw(context, storage: StorageResource, source: SourceResource, specs: dict[str, RepoSpec]) -> tuple[dict, dict]:
    """Fetch every (repo, day) of the run; write the good ones to raw.events and every outcome to raw.fetch_log.
    Returns ({partition key: error} for failed partitions, metadata)."""
    started = time.monotonic()
    try:
        src = source.build(storage.db_path, log=context.log.info)
    except SourceError as exc:
        raise dg.Failure(str(exc)) from None
    fetched_at = dt.datetime.now(dt.timezone.utc)
    ok_keys, all_keys, events, log_rows = [], [], [], []
    failed: dict[str, str] = {}
    per_repo: dict[str, int] = {}
    requests = 0
    for repo, days in keys_by_repo(context.partition_keys).items():
        spec = specs.get(repo)
        if spec is None:
            raise dg.Failure(f"{repo} is not in the watchlist")
        repo_failed = 0
        for batch in src.fetch(spec, days):
            key = {"repo": repo, "day": batch.day}
            all_keys.append(key)
            requests += int(batch.stats.get("requests", 0))
            log_rows.append({**key, "source": src.name, "status": "ok" if batch.ok else "failed", "error": batch.error,
                             "notes": batch.notes, "stats": batch.stats, "items": len(batch.events), "fetched_at": fetched_at})
            if not batch.ok:
                failed[f"{batch.day}|{repo}"] = batch.error or "failed"
                repo_failed += 1
                context.log.warning(f"{repo} {batch.day}: {batch.error} (previous data kept)")
                _progress.warning(f"raw: {repo} {batch.day} FAILED: {batch.error} (previous data kept)")
                continue
            ok_keys.append(key)
            per_repo[repo] = per_repo.get(repo, 0) + len(batch.events)
            events.extend({**key, "kind": e.kind, "id": e.id, "payload": e.payload, "source": src.name, "fetched_at": fetched_at}
                          for e in batch.events)
        _say(context, f"raw: {repo}: {per_repo.get(repo, 0)} items over {len(days)} day(s)"
             + (f", {repo_failed} day(s) FAILED" if repo_failed else ""))
    with storage.connect() as conn, transaction(conn):
        replace_partitions(conn, "raw.events", ok_keys, events)
        replace_partitions(conn, "raw.fetch_log", all_keys, log_rows)
    return failed, {
        "source": src.name,
        "partitions": len(all_keys),
        "items": len(events),
        "items_per_repo": dg.MetadataValue.json(per_repo),
        "http_requests": requests,
        "failed_partitions": len(failed),
        "failures": dg.MetadataValue.md("\n".join(f"- {k}: {v}" for k, v in failed.items()) or "none"),
        "duration_s": round(time.monotonic() - started, 3),
    }


def derive_core_rows(context, storage: StorageResource) -> dict:
    """raw.events -> core.commits, core.pull_requests, core.issues for the run's partitions."""
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
    return {
        "commits": len(commits), "pull_requests": len(prs), "issues": len(issues),
        "truncated_file_lists": sum(1 for c in commits if c["files_truncated"]),
        "duration_s": round(time.monotonic() - started, 3),
    }


def classify_rows(context, storage: StorageResource) -> dict:
    """core tables -> classified.changes for the run's partitions."""
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
    return {
        "items": len(rows),
        "by_change_type": dg.MetadataValue.json(dict(sorted(by_type.items()))),
        "with_hardware_tag": sum(1 for r in rows if r["hardware"]),
        "duration_s": round(time.monotonic() - started, 3),
    }


def _build_assets(watchlist: Sequence[RepoSpec], daily: dg.PartitionsDefinition, date_repo: dg.PartitionsDefinition):
    specs = {r.repo: r for r in watchlist}
    by_date = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
    kinds = {"duckdb", "python"}

    @dg.multi_asset(
        name="ingest",
        specs=[
            dg.AssetSpec(RAW, group_name="ingest", kinds=kinds, description=(
                "What the source returned for each repository and day, unchanged (raw.events), and how each fetch went (raw.fetch_log).")),
            dg.AssetSpec(CORE, deps=[RAW], group_name="ingest", kinds=kinds, description=(
                "Typed commits, pull requests and issues per repository and day (core.commits, core.pull_requests, core.issues).")),
            dg.AssetSpec(CLASSIFIED, deps=[CORE], group_name="ingest", kinds=kinds, description=(
                "Every commit, pull request and issue with change type, hardware, precision, topics, models and the rules that set them (classified.changes).")),
        ],
        partitions_def=date_repo,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        can_subset=True,
    )
    def ingest(context: dg.AssetExecutionContext, storage: StorageResource, source: SourceResource):
        """One step for the three date x repo stages (any subset can run: core and classified re-derive from stored
        raw data without the network). A repository-day whose fetch failed keeps its previous data and is marked
        failed in Dagster: the step records materializations for every other partition, then fails."""
        selected = context.selected_asset_keys
        failed: dict[str, str] = {}
        metadata: dict[dg.AssetKey, dict] = {}
        if RAW in selected:
            failed, metadata[RAW] = fetch_raw(context, storage, source, specs)
        if CORE in selected:
            metadata[CORE] = derive_core_rows(context, storage)
        if CLASSIFIED in selected:
            metadata[CLASSIFIED] = classify_rows(context, storage)
        if failed:
            for key in context.partition_keys:
                if key not in failed:
                    for asset_key in selected:
                        context.log_event(dg.AssetMaterialization(asset_key=asset_key, partition=key))
            raise dg.Failure(
                description=f"{len(failed)} repository-day(s) could not be read; their previous data is kept: "
                + "; ".join(f"{k}: {v}" for k, v in sorted(failed.items())),
                metadata={"failed_partitions": dg.MetadataValue.json(sorted(failed))},
            )
        for asset_key in (RAW, CORE, CLASSIFIED):
            if asset_key in selected:
                yield dg.MaterializeResult(asset_key=asset_key, metadata=metadata[asset_key])

    @dg.asset(
        deps=[dg.AssetDep(CLASSIFIED, partition_mapping=by_date)],
        partitions_def=daily,
        backfill_policy=SINGLE_RUN,
        pool=POOL,
        group_name="report",
        kinds={"duckdb", "python"},
        description="Text of the day: a gist per issue and new PR, a paragraph per repository, the summary and the cross-repository overview (summaries.items, summaries.digests).",
    )
    def daily_digest(context: dg.AssetExecutionContext, storage: StorageResource, report: ReportResource,
                     llm: LLMResource) -> dg.MaterializeResult:
        started = time.monotonic()
        days = _days(context)
        with storage.connect() as conn:
            out = digest_days(conn, days, watchlist, report.langs, llm.summarizer(conn), say=lambda m: _say(context, m))
            keys = [{"day": d, "lang": lang} for d in days for lang in report.langs]
            with transaction(conn):
                replace_partitions(conn, "summaries.items", keys, out.item_rows)
                replace_partitions(conn, "summaries.digests", keys, out.digest_rows)
        totals = out.totals()
        _say(context, f"digest: {len(days)} day(s) x {len(report.langs)} language(s), {len(out.item_rows)} gists, "
             f"{len(out.digest_rows)} sections, {totals['llm_calls']} LLM calls, {totals['fallbacks']} fallbacks")
        return dg.MaterializeResult(metadata={
            "items": len(out.item_rows), "sections": len(out.digest_rows),
            **totals,
            "per_day": dg.MetadataValue.json(out.stats),
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
        generated_at = dt.datetime.now(dt.timezone.utc)
        with storage.connect() as conn:
            rows = render_reports(conn, _days(context), report.langs, watchlist, generated_at)
            with transaction(conn):
                replace_partitions(conn, "report.daily", [{"day": r["day"], "lang": r["lang"]} for r in rows], rows)
        written = write_report_files(rows, report.out_dir)
        _say(context, f"report: {len(rows)} report(s) written to {Path(report.out_dir)}")
        last = rows[-1] if rows else None
        return dg.MaterializeResult(metadata={
            "reports": len(rows),
            "files": dg.MetadataValue.json(written),
            "last_report": dg.MetadataValue.md(last["markdown"]) if last else "none",
            "duration_s": round(time.monotonic() - started, 3),
        })

    return ingest, daily_digest, daily_report

