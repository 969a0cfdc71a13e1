"""Operator alerts: a run that failed, or a day whose report could not be complete, reach the subscriptions with
``alerts: true``, once per failure (recorded in report.deliveries like a digest, kind ``alert``).

"Once per failure": an incomplete day is identified by the set of what is missing (failed repositories, missing
report), so a re-run that fails the same way says nothing new, and a different failure of the same day alerts again.
A failed run is identified by its run id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from infra_digest.deliver import channels as ch
from infra_digest.deliver.message import Message, clean_text
from infra_digest.deliver.subscriptions import Subscription
from infra_digest.storage.db import query_text

S = {
    "zh": {"incomplete": "infra-digest 告警：{day} 的日报不完整", "failed_repo": "• {repo} 读取失败：{error}",
           "no_report": "• {day} 尚无日报", "run": "infra-digest 告警：运行失败（{job}）",
           "run_body": "运行 {run_id} 失败：{error}", "status": "查看：infra-digest status"},
    "en": {"incomplete": "infra-digest alert: the report of {day} is incomplete", "failed_repo": "• {repo} could not be read: {error}",
           "no_report": "• no report for {day}", "run": "infra-digest alert: a run failed ({job})",
           "run_body": "Run {run_id} failed: {error}", "status": "See: infra-digest status"},
}


def incomplete_day(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, Any] | None:
    """What makes ``day`` incomplete: repositories whose last fetch failed (``sql/queries/10_fetch_problems.sql``;
    raw.fetch_log keeps one row per repository-day, the last fetch's), and whether no report exists."""
    failed = conn.execute(f"SELECT repo, error FROM ({query_text('10_fetch_problems')}) WHERE day = ? ORDER BY repo",
                          [day]).fetchall()
    has_report = conn.execute("SELECT count(*) FROM report.daily WHERE day = ?", [day]).fetchone()[0] > 0
    if not failed and has_report:
        return None
    ident = "|".join([*(r for r, _ in failed), "" if has_report else "no-report"])
    return {"day": day, "failed": failed, "no_report": not has_report,
            "key": f"alert:incomplete:{day}:{hashlib.sha256(ident.encode()).hexdigest()[:12]}"}


def _send_alert(conn, subscriptions: Sequence[Subscription], *, period_key: str, day: dt.date,
                build: Callable[[str], tuple[str, str]], resend: bool, send, environ, now, retry_delays):
    from infra_digest.deliver.run import dispatch

    results = []
    for sub in subscriptions:
        if not sub.alerts:
            continue
        title, body = build(sub.lang)

        def make(limit: int | None, title=title, body=body) -> Message:
            text = body if limit is None or len(body) <= limit else body[: limit - 1] + "…"
            return Message(title=title, body=text, items=0, total=0, truncated=len(text) < len(body))

        results += dispatch(conn, sub, kind="alert", period_key=period_key, start=day, end=day, make=make,
                            resend=resend, send=send, environ=environ, now=now, retry_delays=retry_delays)
    return results


def incomplete_day_alerts(conn: duckdb.DuckDBPyConnection, day: dt.date, subscriptions: Sequence[Subscription], *,
                          resend: bool = False, send=ch.send, environ: Mapping[str, str] | None = None,
                          now: Callable[[], dt.datetime] | None = None, retry_delays: Sequence[float] | None = None):
    if not any(s.alerts for s in subscriptions):
        return []
    info = incomplete_day(conn, day)
    if info is None:
        return []

    def build(lang: str) -> tuple[str, str]:
        s = S[lang]
        lines = [s["failed_repo"].format(repo=clean_text(r, 100), error=clean_text(e or "?", 300)) for r, e in info["failed"]]
        if info["no_report"]:
            lines.append(s["no_report"].format(day=day))
        return s["incomplete"].format(day=day), "\n".join([*lines, "", s["status"]])

    return _send_alert(conn, subscriptions, period_key=info["key"], day=day, build=build, resend=resend, send=send,
                       environ=os.environ if environ is None else environ, now=now or _now, retry_delays=retry_delays)


def run_failure_alerts(conn: duckdb.DuckDBPyConnection, subscriptions: Sequence[Subscription], *, run_id: str,
                       job: str, error: str, day: dt.date | None = None, send=ch.send,
                       environ: Mapping[str, str] | None = None, now: Callable[[], dt.datetime] | None = None,
                       retry_delays: Sequence[float] | None = None):
    """Alert every ``alerts: true`` subscription that run ``run_id`` failed (once per run id). For a run-failure
    sensor; ``error`` is the one-line root cause (it is cleaned and stripped of URLs)."""
    day = day or (now or _now)().date()

    def build(lang: str) -> tuple[str, str]:
        s = S[lang]
        err = clean_text(ch.scrub(error or "", []), 500)
        return s["run"].format(job=clean_text(job, 80)), "\n".join(
            [s["run_body"].format(run_id=clean_text(run_id, 64), error=err), "", s["status"]])

    return _send_alert(conn, subscriptions, period_key=f"alert:run:{clean_text(run_id, 64)}", day=day, build=build,
                       resend=False, send=send, environ=os.environ if environ is None else environ, now=now or _now,
                       retry_delays=retry_delays)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
