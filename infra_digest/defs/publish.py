"""Publishing after the report (issue 18): the archive site, the deliveries to subscribers, and run-failure alerts.

    daily_report ─► site         (infra_digest.site.asset.materialize_site)
                 └► deliveries   (infra_digest.deliver.asset.materialize_deliveries; check deliveries_sent)
    run_failure_alerts (sensor)  (infra_digest.deliver.asset.run_failure_alert)

Thin wiring: the logic is in :mod:`infra_digest.site` and :mod:`infra_digest.deliver`. The report job includes
``site`` only when a site folder is configured (``INFRA_DIGEST_SITE_DIR``) and ``deliveries`` only when a
subscriptions file is (``INFRA_DIGEST_SUBSCRIPTIONS``): see :func:`publish_keys`. A failed channel never fails
``deliveries`` (the others go out; the check shows it and the next materialization retries it).
"""


import datetime as dt
import warnings
from collections.abc import Iterable

import dagster as dg

from infra_digest import settings
from infra_digest.defs.constants import DAILY_REPORT, DELIVERIES, POOL, SITE
from infra_digest.defs.instance import guard
from infra_digest.defs.resources import PublishResource, StorageResource

# A sensor tick must not hang on a history a run holds: it raises, and the next tick tries again.
SENSOR_DB_WAIT_SECONDS = 20.0


def publish_keys(conf: settings.Settings) -> list[dg.AssetKey]:
    """The publishing assets the report job (so `infra-digest run` and the schedule) materializes."""
    return [k for k, on in ((SITE, conf.publish_site), (DELIVERIES, conf.subscriptions)) if on]


def _days(context: dg.AssetExecutionContext) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(k) for k in context.partition_keys)


def _metadata(values: dict) -> dict[str, dg.MetadataValue]:
    out = {}
    for k, v in values.items():
        out[k] = dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v
    return out


def one_line_cause(events: Iterable) -> str:
    """The root cause of a failed run, one line, from its step-failure events."""
    for event in events:
        err = getattr(event.event_specific_data, "error", None) if event.event_specific_data is not None else None
        while err is not None and err.cause is not None:
            err = err.cause
        if err is not None:
            lines = [ln for ln in err.message.strip().splitlines() if ln.strip()]
            return f"{event.step_key or 'a step'}: {lines[-1] if lines else err.cls_name}"
    return "the run failed (see the Dagster UI for details)"


def build_publish_assets(daily: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """``site`` and ``deliveries`` over the day partitions (single-run backfills, like the report)."""
    with warnings.catch_warnings():  # BackfillPolicy is beta in Dagster 1.13; relied on deliberately (defs/assets.py)
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _build(daily)


def _build(daily: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    single_run = dg.BackfillPolicy.single_run()

    @dg.asset(
        key=SITE,
        deps=[DAILY_REPORT],
        partitions_def=daily,
        backfill_policy=single_run,
        pool=POOL,
        group_name="report",
        kinds={"duckdb", "html"},
        description=("The static archive site built from the whole history: pages per day, repository and tag, Atom "
                     "feeds, offline search (INFRA_DIGEST_SITE_DIR; only what changed is rewritten)."),
    )
    def site(context: dg.AssetExecutionContext, storage: StorageResource, publish: PublishResource) -> dg.MaterializeResult:
        from infra_digest.site.asset import materialize_site

        guard(context, storage.db_path)
        out_dir = publish.site_dir
        with storage.connect(read_only=True) as conn:
            stats = materialize_site(conn, out_dir, base_url=publish.site_url, subscriptions_file=publish.subscriptions)
        context.log.info(f"site: {stats}")
        return dg.MaterializeResult(metadata={"history": storage.describe(), **_metadata(dict(stats))})

    @dg.asset(
        key=DELIVERIES,
        deps=[DAILY_REPORT],
        partitions_def=daily,
        backfill_policy=single_run,
        pool=POOL,
        group_name="report",
        kinds={"duckdb"},
        check_specs=[dg.AssetCheckSpec("deliveries_sent", asset=DELIVERIES, description=(
            "No channel of a subscription whose period ends on these days is left failed (report.deliveries)."))],
        description=("Each subscription's message for the period ending on the day, sent exactly once per "
                     "(subscription, period) and recorded in report.deliveries (INFRA_DIGEST_SUBSCRIPTIONS)."),
    )
    def deliveries(context: dg.AssetExecutionContext, storage: StorageResource, publish: PublishResource):
        from infra_digest.deliver.asset import deliveries_check, materialize_deliveries
        from infra_digest.deliver.subscriptions import SubscriptionError

        guard(context, storage.db_path)
        days = _days(context)
        with storage.connect() as conn:
            try:
                stats = materialize_deliveries(conn, days, subscriptions_file=publish.subscriptions,
                                               site_url=publish.site_url)
            except SubscriptionError as exc:  # a bad file is the operator's to fix: fail, saying why
                raise dg.Failure(str(exc)) from None
            passed, check = deliveries_check(conn, days)
        context.log.info(f"deliveries: {stats.get('summary')}")
        yield dg.MaterializeResult(metadata={"history": storage.describe(), **_metadata(stats)})
        yield dg.AssetCheckResult(check_name="deliveries_sent", asset_key=DELIVERIES, passed=passed,
                                  metadata=_metadata(check))

    return [site, deliveries]


@dg.run_failure_sensor(
    name="run_failure_alerts",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=("When a run fails, alert the subscriptions marked `alerts: true` (once per run, recorded in "
                 "report.deliveries). Does nothing without INFRA_DIGEST_SUBSCRIPTIONS."),
)
def run_failure_alerts(context: dg.RunFailureSensorContext, storage: StorageResource, publish: PublishResource):
    if not publish.subscriptions:
        return
    from infra_digest.deliver.asset import run_failure_alert

    run = context.dagster_run
    cause = one_line_cause(context.get_step_failure_events()) if context.get_step_failure_events() else (
        (context.failure_event.message or "the run failed").strip().splitlines()[0])
    with storage.connect(wait_seconds=SENSOR_DB_WAIT_SECONDS) as conn:  # busy: raises, the next tick retries
        lines = run_failure_alert(conn, publish.subscriptions, run_id=run.run_id, job=run.job_name, error=cause)
    for line in lines:
        context.log.info(line)
