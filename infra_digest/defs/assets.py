"""The assets: thin wiring around the stages of :mod:`infra_digest.pipeline` (read, call, write, metadata).

    raw_events ─► core_items ─► classified_changes ─► daily_digest ─► daily_report
    (date × repo partitions .........................)  (date partitions ..........)

Each asset covers every partition of its run (``BackfillPolicy.single_run()``, as in Dagster's single-run
backfill examples): it reads ``context.partition_keys``, calls one stage, writes the rows in one transaction.
The partitions come from the settings (the watchlist and the first day), so the assets are made by
:func:`build_assets`; everything else in ``defs/`` is module-level.
"""


import datetime as dt
import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from infra_digest.defs.constants import CLASSIFIED_CHANGES, CORE_ITEMS, DAILY_DIGEST, DAILY_REPORT, POOL, RAW_EVENTS
from infra_digest.defs.instance import guard
from infra_digest.defs.partitions import Partitions, partition_keys
from infra_digest.defs.resources import ReportResource, SourceResource, StorageResource
from infra_digest.pipeline.digest import load_digest_inputs, summarize_digest, write_digest
from infra_digest.pipeline.ingest import UnknownRepository, classify_rows, collect, derive_core_rows, mark_changes, row_keys
from infra_digest.pipeline.report import EXTENSIONS, render_reports, report_path, write_report_files
from infra_digest.sources.base import SourceError
from infra_digest.storage.reads import read_partitions
from infra_digest.storage.writes import replace_partitions, transaction
from infra_digest.summarize.llm import LLMResource
from infra_digest.watchlist import RepoSpec

_progress = logging.getLogger("infra_digest.progress")  # the CLI prints these lines
KINDS = {"duckdb", "python"}


def _say(context: dg.AssetExecutionContext, message: str) -> None:
    context.log.info(message)
    _progress.info(message)


def _warn(context: dg.AssetExecutionContext, message: str) -> None:
    context.log.warning(message)
    _progress.warning(message)


def _days(context: dg.AssetExecutionContext) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(k) for k in context.partition_keys)


def _seconds(started: float) -> float:
    return round(time.monotonic() - started, 3)


PerPartition = dict[str, dict[str, Any]]  # partition key -> that partition's metadata


def provenance(storage: StorageResource, source: SourceResource | None = None) -> dict[str, Any]:
    """Where a materialization's data came from and went: on every materialization."""
    out = {"history": storage.describe()}
    if source is not None:
        out["source"] = source.describe()
    return out


def ingest_raw(context: dg.AssetExecutionContext, storage: StorageResource, source: SourceResource,
               specs: dict[str, RepoSpec]) -> tuple[dict[str, str], dict, PerPartition]:
    """raw_events: fetch (no database connection open meanwhile), then write raw.events and raw.fetch_log."""
    started = time.monotonic()
    try:
        src = source.build(storage.db_path, log=context.log.info)
        fetched = collect(src, specs, partition_keys(context.partition_keys), dt.datetime.now(dt.timezone.utc),
                          say=lambda m: _say(context, m), warn=lambda m: _warn(context, m))
    except (SourceError, UnknownRepository) as exc:
        raise dg.Failure(str(exc)) from None
    with storage.connect() as conn, transaction(conn):
        changed = mark_changes(fetched, read_partitions(conn, "raw.fetch_log", fetched.all_keys,
                                                        "repo, day, status, digest, changed_at"))
        replace_partitions(conn, "raw.events", fetched.ok_keys, fetched.events)
        replace_partitions(conn, "raw.fetch_log", fetched.all_keys, fetched.log_rows)
    per_key = {k: {**v, "dagster/row_count": v["items"]} for k, v in fetched.per_key.items()}
    return fetched.failed, {
        "source_name": fetched.source,
        "run_partitions": len(fetched.all_keys),
        "run_items": fetched.items,
        "run_http_requests": fetched.requests,
        "run_changed_partitions": changed,
        "run_failed_partitions": len(fetched.failed),
        "failures": dg.MetadataValue.md("\n".join(f"- {k}: {v}" for k, v in fetched.failed.items()) or "none"),
        "duration_s": _seconds(started),
    }, per_key


def ingest_core(context: dg.AssetExecutionContext, storage: StorageResource) -> tuple[dict, PerPartition]:
    """core_items: raw.events -> core.commits, core.pull_requests, core.issues."""
    started = time.monotonic()
    keys = partition_keys(context.partition_keys)
    rkeys = row_keys(keys)
    with storage.connect() as conn:
        raw = read_partitions(conn, "raw.events", rkeys, "repo, day, kind, id, payload, source", order_by="repo, day, kind, id")
        core = derive_core_rows(raw, keys)
        with transaction(conn):
            for table, rows in core.tables().items():
                replace_partitions(conn, table, rkeys, rows)
    _say(context, f"core: {len(core.commits)} commits, {len(core.pull_requests)} pull requests, "
         f"{len(core.issues)} issues in {len(rkeys)} partition(s)")
    per_key = {k: {**v, "dagster/row_count": sum(v.values())} for k, v in core.per_key.items()}
    return {
        "run_commits": len(core.commits), "run_pull_requests": len(core.pull_requests), "run_issues": len(core.issues),
        "truncated_file_lists": core.truncated_file_lists, "duration_s": _seconds(started),
    }, per_key


def ingest_classified(context: dg.AssetExecutionContext, storage: StorageResource) -> tuple[dict, PerPartition]:
    """classified_changes: core tables -> classified.changes."""
    started = time.monotonic()
    keys = partition_keys(context.partition_keys)
    rkeys = row_keys(keys)
    with storage.connect() as conn:
        core = {table: read_partitions(conn, table, rkeys) for table in ("core.commits", "core.pull_requests", "core.issues")}
        out = classify_rows(core)
        with transaction(conn):
            replace_partitions(conn, "classified.changes", rkeys, out.rows)
    _say(context, f"classified: {len(out.rows)} items")
    empty = {"items": 0, "with_hardware_tag": 0}
    per_key = {k.dagster_key: {**out.per_key.get(k.dagster_key, empty),
                               "dagster/row_count": out.per_key.get(k.dagster_key, empty)["items"]} for k in keys}
    return {
        "run_items": len(out.rows),
        "by_change_type": dg.MetadataValue.json(out.by_change_type()),
        "duration_s": _seconds(started),
    }, per_key


def build_assets(partitions: Partitions, watchlist: Sequence[RepoSpec],
                 versions: Mapping[dg.AssetKey, str] | None = None) -> list[dg.AssetsDefinition]:
    """The ingest multi-asset (date x repo) and the two day-level assets, over ``partitions``. ``versions``: code
    versions by asset key (see :mod:`infra_digest.defs.versions`)."""
    # BackfillPolicy and MultiToSingleDimensionPartitionMapping are marked beta in Dagster 1.13; we rely on
    # them deliberately (one run per backfill range; report day D <- every D|repo), so we don't warn users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _build_assets(partitions, watchlist, versions or {})


def _build_assets(partitions: Partitions, watchlist: Sequence[RepoSpec],
                  versions: Mapping[dg.AssetKey, str]) -> list[dg.AssetsDefinition]:
    specs = {r.repo: r for r in watchlist}
    single_run = dg.BackfillPolicy.single_run()

    @dg.multi_asset(
        name="ingest",
        specs=[
            dg.AssetSpec(RAW_EVENTS, group_name="ingest", kinds=KINDS, description=(
                "What the source returned for each repository and day, unchanged (raw.events), and how each fetch went (raw.fetch_log).")),
            dg.AssetSpec(CORE_ITEMS, deps=[RAW_EVENTS], group_name="ingest", kinds=KINDS, description=(
                "Typed commits, pull requests and issues per repository and day (core.commits, core.pull_requests, core.issues).")),
            dg.AssetSpec(CLASSIFIED_CHANGES, deps=[CORE_ITEMS], group_name="ingest", kinds=KINDS,
                         code_version=versions.get(CLASSIFIED_CHANGES), description=(
                "Every commit, pull request and issue with change type, hardware, precision, topics, models and the rules that set them (classified.changes).")),
        ],
        partitions_def=partitions.date_repo,
        backfill_policy=single_run,
        pool=POOL,
        can_subset=True,
    )
    def ingest(context: dg.AssetExecutionContext, storage: StorageResource, source: SourceResource):
        """One step for the three date x repo stages (any subset can run: core and classified re-derive from stored
        raw data without the network). A repository-day whose fetch failed keeps its previous data and is marked
        failed in Dagster: the step records materializations for every other partition, then fails."""
        guard(context, storage.db_path)
        selected = context.selected_asset_keys
        failed: dict[str, str] = {}
        metadata: dict[dg.AssetKey, dict] = {}
        per_key: dict[dg.AssetKey, PerPartition] = {}
        where = provenance(storage, source)
        if RAW_EVENTS in selected:
            failed, metadata[RAW_EVENTS], per_key[RAW_EVENTS] = ingest_raw(context, storage, source, specs)
        if CORE_ITEMS in selected:
            metadata[CORE_ITEMS], per_key[CORE_ITEMS] = ingest_core(context, storage)
        if CLASSIFIED_CHANGES in selected:
            metadata[CLASSIFIED_CHANGES], per_key[CLASSIFIED_CHANGES] = ingest_classified(context, storage)
        if failed:
            for key in context.partition_keys:
                if key not in failed:
                    for asset_key in selected:
                        context.log_event(dg.AssetMaterialization(
                            asset_key=asset_key, partition=key,
                            metadata={**where, **metadata[asset_key], **per_key[asset_key].get(key, {})}))
            raise dg.Failure(
                description=f"{len(failed)} repository-day(s) could not be read; their previous data is kept: "
                + "; ".join(f"{k}: {v}" for k, v in sorted(failed.items())),
                metadata={"failed_partitions": dg.MetadataValue.json(sorted(failed))},
            )
        for asset_key in (RAW_EVENTS, CORE_ITEMS, CLASSIFIED_CHANGES):
            if asset_key in selected:
                for key, values in per_key[asset_key].items():  # each repository-day its own counts
                    context.add_asset_metadata(values, asset_key=asset_key, partition_key=key)
                yield dg.MaterializeResult(asset_key=asset_key, metadata={**where, **metadata[asset_key]})

    @dg.asset(
        key=DAILY_DIGEST,
        deps=[dg.AssetDep(CLASSIFIED_CHANGES, partition_mapping=dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date"))],
        partitions_def=partitions.daily,
        backfill_policy=single_run,
        pool=POOL,
        group_name="report",
        kinds=KINDS,
        code_version=versions.get(DAILY_DIGEST),
        description="Text of the day: a gist per issue and new PR, a paragraph per repository, the summary and the cross-repository overview (summaries.items, summaries.digests).",
    )
    def daily_digest(context: dg.AssetExecutionContext, storage: StorageResource, report: ReportResource,
                     llm: LLMResource) -> dg.MaterializeResult:
        guard(context, storage.db_path)
        started = time.monotonic()
        days = _days(context)
        summarizer = llm.summarizer()  # None without a model; holds no connection
        with storage.connect() as conn:  # short read: contexts, prompts and the cache of those prompts
            inputs = load_digest_inputs(conn, days, watchlist, report.langs, summarizer)
        # the model answers with no connection open: the history is never held while waiting (issue 14.5)
        out = summarize_digest(inputs, summarizer, say=lambda m: _say(context, m))
        with storage.connect() as conn:  # short write: LLM cache/calls, then summaries.items/digests in one transaction
            write_digest(conn, out)
        totals = out.totals()
        _say(context, f"digest: {len(days)} day(s) x {len(report.langs)} language(s), {len(out.item_rows)} gists, "
             f"{len(out.digest_rows)} sections, {totals['llm_calls']} LLM calls, {totals['fallbacks']} fallbacks")
        for d in days:
            day_stats = {lang: out.stats.get(f"{d}/{lang}", {}) for lang in report.langs}
            items = sum(1 for r in out.item_rows if r["day"] == d)
            sections = sum(1 for r in out.digest_rows if r["day"] == d)
            context.add_asset_metadata({"items": items, "sections": sections, "dagster/row_count": items + sections,
                                        "summarizer": dg.MetadataValue.json(day_stats)}, partition_key=str(d))
        return dg.MaterializeResult(metadata={
            **provenance(storage), "run_items": len(out.item_rows), "run_sections": len(out.digest_rows), **totals,
            "duration_s": _seconds(started),
        })

    @dg.asset(
        key=DAILY_REPORT,
        deps=[DAILY_DIGEST],
        code_version=versions.get(DAILY_REPORT),
        partitions_def=partitions.daily,
        backfill_policy=single_run,
        pool=POOL,
        group_name="report",
        kinds={"duckdb", "markdown", "html"},
        description="The day's report in Markdown and HTML (report.daily and reports/<day>.<lang>.md/.html).",
    )
    def daily_report(context: dg.AssetExecutionContext, storage: StorageResource, report: ReportResource) -> dg.MaterializeResult:
        guard(context, storage.db_path)
        started = time.monotonic()
        generated_at = dt.datetime.now(dt.timezone.utc)
        files_dir = str(Path(report.out_dir).resolve())
        with storage.connect() as conn:
            rows = render_reports(conn, _days(context), report.langs, watchlist, generated_at, web_origin=report.web_origin)
            for row in rows:  # where the files went: `infra-digest status` checks they match the row
                row["stats"] = {**row["stats"], "files_dir": files_dir}
            with transaction(conn):
                replace_partitions(conn, "report.daily", [{"day": r["day"], "lang": r["lang"]} for r in rows], rows)
        written = write_report_files(rows, report.out_dir)
        _say(context, f"report: {len(rows)} report(s) written to {Path(report.out_dir)}")
        for row in rows:  # each day shows its own report, per language
            context.add_asset_metadata({
                f"report_{row['lang']}": dg.MetadataValue.md(row["markdown"]),
                f"files_{row['lang']}": dg.MetadataValue.json(
                    [str(report_path(report.out_dir, row["day"], row["lang"], ext)) for ext in EXTENSIONS]),
                "dagster/row_count": sum(1 for r in rows if r["day"] == row["day"]),
            }, partition_key=str(row["day"]))
        metadata = {**provenance(storage), "reports": len(rows), "out_dir": files_dir, "files_written": len(written),
                    "duration_s": _seconds(started)}
        llm_failed = sorted(f"{r['day']}/{r['lang']}" for r in rows if r["stats"].get("llm_status") == "failed")
        if llm_failed:
            # The reports are written and say the LLM failed; the run must not look successful (exit 1, alerts).
            for day in sorted({str(r["day"]) for r in rows}):
                context.log_event(dg.AssetMaterialization(asset_key=DAILY_REPORT, partition=day, metadata=metadata))
            raise dg.Failure(
                description=f"the LLM failed (no request answered) for {', '.join(llm_failed)}: those reports are "
                            "extractive and say so",
                metadata={"llm_failed": dg.MetadataValue.json(llm_failed)})
        return dg.MaterializeResult(metadata=metadata)

    return [ingest, daily_digest, daily_report]
