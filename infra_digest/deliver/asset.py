"""What the ``deliveries`` asset, its asset check and a run-failure sensor call (plain functions; ``defs/`` wires).

- :func:`materialize_deliveries`: deliver every subscription for each partition day. A failed channel never fails
  the asset (the others must go out); it is recorded, retried by the next materialization, and shown by the check.
- :func:`deliveries_check`: passes when no channel of a period ending on those days is left failed.
- :func:`run_failure_alert`: for a ``@dg.run_failure_sensor``: alerts the ``alerts: true`` subscriptions once per run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from infra_digest.deliver.alerts import run_failure_alerts
from infra_digest.deliver.run import Result, deliver, failed_deliveries, summary
from infra_digest.deliver.subscriptions import load_subscriptions
from infra_digest.settings import ENV_SUBSCRIPTIONS

# A backfill of old days must not flood subscribers: days older than this (relative to today, UTC) are skipped.
MAX_AGE_DAYS = 8


def materialize_deliveries(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], *,
                           subscriptions_file: str | None, site_url: str | None = None,
                           max_age_days: int | None = MAX_AGE_DAYS, today: dt.date | None = None) -> dict[str, Any]:
    if not subscriptions_file:
        return {"subscriptions": 0, "summary": f"no subscriptions file (set {ENV_SUBSCRIPTIONS})"}
    subs = load_subscriptions(subscriptions_file)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    results: list[Result] = []
    skipped = []
    for day in sorted(days):
        if max_age_days is not None and (today - day).days > max_age_days:
            skipped.append(str(day))
            continue
        results += deliver(conn, day, subs, site_url=site_url)
    return {
        "subscriptions": len(subs),
        "summary": summary(results) if results or not skipped else f"{len(skipped)} day(s) older than {max_age_days} days: not delivered",
        "sent": sum(r.status == "sent" for r in results),
        "failed": sum(r.status == "failed" for r in results),
        "results": [r.line() for r in results][:200],
        "too_old_days": skipped[:100],
    }


def deliveries_check(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> tuple[bool, dict[str, Any]]:
    failed = [row for day in days for row in failed_deliveries(conn, day)]
    return not failed, {"failed_channels": len(failed),
                        "failures": [f"{s} [{p}] {c}: {e}" for s, p, c, e, _ in failed][:50]}


def run_failure_alert(conn: duckdb.DuckDBPyConnection, subscriptions_file: str | None, *, run_id: str, job: str,
                      error: str) -> list[str]:
    if not subscriptions_file:
        return []
    subs = load_subscriptions(subscriptions_file)
    return [r.line() for r in run_failure_alerts(conn, subs, run_id=run_id, job=job, error=error)]
