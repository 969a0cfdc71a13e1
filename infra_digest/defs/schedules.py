"""The daily schedule (yesterday, every repository, one run) and the sensors that write the report after it."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from infra_digest.defs.constants import BACKFILL_TAG, CLASSIFIED_CHANGES, DAILY_REPORT, INGEST_JOB, PARTITION_TAG, RANGE_END, RANGE_START
from infra_digest.defs.jobs import ingest_job, report_job
from infra_digest.defs.partitions import range_tags
from infra_digest.defs.resources import SourceResource, StorageResource
from infra_digest.settings import ENV_SOURCE
from infra_digest.watchlist import RepoSpec


def yesterday_range_tags(scheduled: dt.datetime, watchlist: Sequence[RepoSpec]) -> dict[str, str]:
    """Range tags covering every repository for the day before ``scheduled`` (in the schedule's timezone)."""
    day = (scheduled - dt.timedelta(days=1)).date().isoformat()
    return range_tags(day, day, watchlist[0].repo, watchlist[-1].repo)


def report_days_for_run(tags: dict[str, str]) -> tuple[str, str] | None:
    """The (first, last) day an ingest run covered, from its partition or range tags."""
    if RANGE_START in tags and RANGE_END in tags:
        return tags[RANGE_START].split("|", 1)[0], tags[RANGE_END].split("|", 1)[0]
    key = tags.get(PARTITION_TAG)
    if key:
        day = key.split("|", 1)[0]
        return day, day
    return None


def why_source_cannot_hold(source: SourceResource, day: str) -> str | None:
    """Why ``source`` cannot answer for ``day`` (a replay directory, the demo included, without that day's folder),
    or None when it can (live sources can answer for any past day)."""
    if source.kind != "replay":
        return None
    folder = source.replay_dir() / day
    if folder.is_dir():
        return None
    return (f"the source {source.describe()} holds no recording of {day}: nothing to ingest. Set "
            f"{ENV_SOURCE} to github or git for daily data.")


def build_schedule(watchlist: Sequence[RepoSpec], source: SourceResource, storage: StorageResource, hour: int = 2,
                   timezone: str = "UTC") -> dg.ScheduleDefinition:
    @dg.schedule(
        job=ingest_job,
        cron_schedule=f"0 {hour} * * *",
        execution_timezone=timezone,
        description=(f"Every day at {hour:02d}:00 {timezone}: ingest yesterday for the {len(watchlist)} watched repositories "
                     f"in one run, reading {source.describe()} into the history {storage.describe()}; the report follows "
                     "(report_after_ingest). Skips, saying why, when the source cannot hold yesterday."),
    )
    def daily_ingest_schedule(context: dg.ScheduleEvaluationContext):
        tags = yesterday_range_tags(context.scheduled_execution_time, watchlist)
        day = tags[RANGE_START].split("|")[0]
        why = why_source_cannot_hold(source, day)
        if why:
            return dg.SkipReason(why)
        return dg.RunRequest(run_key=f"ingest-{day}", tags=tags)

    return daily_ingest_schedule


def request_reports(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    # ingest_job runs, and runs launched from the asset graph (__ASSET_JOB) that materialized the classified
    # changes; nothing else (not the report runs themselves). Return None rather than a SkipReason: a non-None
    # return ends the run-status sensor's tick after that one run.
    if run.job_name != INGEST_JOB and CLASSIFIED_CHANGES not in (run.asset_selection or ()):
        return None
    backfill_id = run.tags.get(BACKFILL_TAG)
    if backfill_id:
        backfill = context.instance.get_backfill(backfill_id)
        if backfill is not None and DAILY_REPORT in (backfill.asset_selection or ()):
            return None  # that backfill writes its own reports
    days = report_days_for_run(run.tags)
    if days is None:
        return None
    first, last = days
    return dg.RunRequest(run_key=f"report-{run.run_id}", tags=range_tags(first, last))


# A report is written after every ingest run that ended, successful or not: when some repository-days
# failed, the report says so (and keeps their previous data) rather than not appearing at all.
def build_report_sensors(job=report_job) -> list[dg.RunStatusSensorDefinition]:
    """The two sensors that request ``job`` (the report job of these Definitions) after an ingest run."""
    return [
        dg.run_status_sensor(
            name=f"report_after_ingest_{status.value.lower()}",
            run_status=status,
            monitor_all_code_locations=False,  # every job of this code location, the asset graph's __ASSET_JOB included
            request_job=job,
            default_status=dg.DefaultSensorStatus.RUNNING,
            description=f"When an ingest run ends with {status.value}, write the reports of the days it covered.",
        )(request_reports)
        for status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)
    ]


SENSORS = build_report_sensors()
report_after_ingest_success, report_after_ingest_failure = SENSORS
