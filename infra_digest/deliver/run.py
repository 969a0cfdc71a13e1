"""Deliver each subscription's message for the period ending on a day, exactly once, recorded in report.deliveries.

Exactly once per (subscription, period, channel): a channel with a ``sent`` row for the period is skipped (unless
``resend``); a channel whose last round failed is tried again by the next call. Each channel is recorded as soon
as it is done, so a crash never leads to a second message on a channel that already got one; a failing channel
(after its retries) is recorded as ``failed`` and never stops the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from infra_digest.deliver import channels as ch
from infra_digest.deliver.message import Message, build_message, highlights_from_markdown, relevant_highlights
from infra_digest.deliver.select import next_period_end, period_for, select
from infra_digest.deliver.subscriptions import Channel, Subscription, SubscriptionError, expand
from infra_digest.site import paths

WEEKLY_HIGHLIGHTS_PER_DAY = 3

SendFunc = Callable[..., ch.SendResult]


@dataclasses.dataclass
class Result:
    subscription: str
    channel: str | None     # None for results about the whole subscription (not due, no report, nothing matched)
    period_key: str | None
    status: str             # sent | failed | already-sent | not-due | no-report | empty | disabled
    detail: str = ""
    items: int = 0

    def line(self) -> str:
        where = f"{self.subscription}" + (f" → {self.channel}" if self.channel else "")
        period = f" [{self.period_key}]" if self.period_key else ""
        return f"{where}{period}: {self.status}" + (f": {self.detail}" if self.detail else "")


def already_sent(conn: duckdb.DuckDBPyConnection, subscription: str, period_key: str, channel: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM report.deliveries WHERE subscription = ? AND period_key = ? AND channel = ? AND status = 'sent'",
        [subscription, period_key, channel],
    ).fetchone()
    return bool(row and row[0])


def record(conn: duckdb.DuckDBPyConnection, *, subscription: str, kind: str, period_key: str, start: dt.date,
           end: dt.date, lang: str, channel: str, status: str, attempts: int, error: str | None, items: int,
           chars: int, truncated: bool, resend: bool, now: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO report.deliveries (subscription, kind, period_key, period_start, period_end, lang, channel, status, "
        "attempts, error, items, chars, truncated, resend, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [subscription, kind, period_key, start, end, lang, channel, status, attempts, error, items, chars, truncated,
         resend, now],
    )


def failed_deliveries(conn: duckdb.DuckDBPyConnection, day: dt.date | None = None) -> list[tuple]:
    """(subscription, period_key, channel, error, created_at) of every channel whose latest round failed and that
    was never sent for that period (optionally only periods ending on ``day``): what `status` and the asset check show."""
    exists = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'report' "
                          "AND table_name = 'deliveries'").fetchone()[0]
    if not exists:  # a history last opened read-write before deliveries existed
        return []
    where = "AND period_end = ?" if day else ""
    return conn.execute(
        f"""SELECT subscription, period_key, channel, arg_max(error, created_at), max(created_at)
            FROM report.deliveries WHERE true {where}
            GROUP BY subscription, period_key, channel
            HAVING arg_max(status, created_at) = 'failed' AND count(*) FILTER (status = 'sent') = 0
            ORDER BY subscription, period_key, channel""",
        [day] if day else [],
    ).fetchall()


def dispatch(conn: duckdb.DuckDBPyConnection, sub: Subscription, *, kind: str, period_key: str, start: dt.date,
             end: dt.date, make: Callable[[int | None], Message], resend: bool, send: SendFunc,
             environ: Mapping[str, str], now: Callable[[], dt.datetime],
             retry_delays: Sequence[float] | None) -> list[Result]:
    """Send a message (built per channel by ``make(limit)``) to each channel of ``sub`` that has not had it."""
    results = []
    for channel in sub.channels:
        if not resend and already_sent(conn, sub.name, period_key, channel.label):
            results.append(Result(sub.name, channel.label, period_key, "already-sent", "sent before; --resend sends again"))
            continue
        results.append(_one(conn, sub, channel, kind=kind, period_key=period_key, start=start, end=end, make=make,
                            resend=resend, send=send, environ=environ, now=now, retry_delays=retry_delays))
    return results


def _one(conn, sub: Subscription, channel: Channel, *, kind, period_key, start, end, make, resend, send, environ, now,
         retry_delays) -> Result:
    def rec(status: str, attempts: int, error: str | None, msg: Message | None) -> None:
        record(conn, subscription=sub.name, kind=kind, period_key=period_key, start=start, end=end, lang=sub.lang,
               channel=channel.label, status=status, attempts=attempts, error=error,
               items=msg.items if msg else 0, chars=msg.chars if msg else 0,
               truncated=msg.truncated if msg else False, resend=resend, now=now())

    try:
        url, secrets = expand(channel.template, environ)
    except SubscriptionError as exc:
        rec("failed", 0, str(exc), None)
        return Result(sub.name, channel.label, period_key, "failed", str(exc))
    try:
        limit = ch.limit_for(url, channel.max_chars)
    except Exception as exc:  # an apprise parsing bug must not stop the others
        limit = channel.max_chars or ch.DEFAULT_LIMIT
        del exc
    msg = make(limit)
    kwargs = {} if retry_delays is None else {"retry_delays": retry_delays}
    result = send(url, msg.title, msg.body, secrets, **kwargs)
    error = ch.scrub(result.error, secrets) if result.error else None
    rec("sent" if result.ok else "failed", result.attempts, error, msg)
    detail = f"{msg.items} of {msg.total} item(s), {msg.chars} characters" + (" (cut to the channel's limit)" if msg.truncated else "")
    if kind == "alert":
        detail = f"alert, {msg.chars} characters"
    if not result.ok:
        detail = f"after {result.attempts} attempt(s): {error}"
    return Result(sub.name, channel.label, period_key, "sent" if result.ok else "failed", detail, msg.items)


def _reports(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], lang: str) -> dict[dt.date, str]:
    rows = conn.execute(
        "SELECT day, arg_max(markdown, generated_at) FROM report.daily WHERE lang = ? AND day BETWEEN ? AND ? GROUP BY day",
        [lang, min(days), max(days)],
    ).fetchall()
    return {d: md for d, md in rows}


def digest(conn: duckdb.DuckDBPyConnection, sub: Subscription, day: dt.date, *, site_url: str | None, resend: bool,
           send: SendFunc, environ: Mapping[str, str], now: Callable[[], dt.datetime],
           retry_delays: Sequence[float] | None) -> list[Result]:
    period = period_for(sub, day)
    if period is None:
        return [Result(sub.name, None, None, "not-due",
                       f"{sub.cadence}: the next period ends on {next_period_end(sub, day)}")]
    reports = _reports(conn, period.days, sub.lang)
    if day not in reports:
        return [Result(sub.name, None, period.key, "no-report",
                       f"no {sub.lang} report for {day} yet: run the report first")]
    items = select(conn, sub, period)
    filtered = bool(sub.filters)
    if filtered and not items:
        return [Result(sub.name, None, period.key, "empty", "nothing matched the filters; nothing sent")]
    highlights: list[Mapping[str, Any]] = []
    for d in sorted(reports, reverse=True):
        hs = relevant_highlights(highlights_from_markdown(reports[d], sub.lang), items, filtered)
        highlights += hs[:WEEKLY_HIGHLIGHTS_PER_DAY] if period.weekly else hs
    missing = [d for d in period.days if d not in reports]
    if filtered or period.weekly:
        page = paths.absolute(site_url, paths.sub_path(sub.name))
        page = f"{page}#{paths.period_anchor(period.end)}" if page else None
        report_url = None
    else:
        page = report_url = paths.absolute(site_url, paths.day_path(sub.lang, day))

    def make(limit: int | None) -> Message:
        return build_message(lang=sub.lang, period=period, sub_name=sub.name, items=items, highlights=highlights,
                             filtered=filtered, limit=limit, page_url=page, report_url=report_url, missing_days=missing)

    return dispatch(conn, sub, kind="digest", period_key=period.key, start=period.start, end=period.end, make=make,
                    resend=resend, send=send, environ=environ, now=now, retry_delays=retry_delays)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def deliver(conn: duckdb.DuckDBPyConnection, day: dt.date, subscriptions: Sequence[Subscription], *,
            site_url: str | None = None, resend: bool = False, send: SendFunc = ch.send,
            environ: Mapping[str, str] | None = None, now: Callable[[], dt.datetime] = _now,
            retry_delays: Sequence[float] | None = None, alerts: bool = True) -> list[Result]:
    """Every subscription's digest for the period ending on ``day`` and, for subscriptions with ``alerts: true``,
    an alert when the day is incomplete (once per distinct failure). Never raises for one channel's failure."""
    from infra_digest.deliver.alerts import incomplete_day_alerts

    environ = os.environ if environ is None else environ
    results: list[Result] = []
    for sub in subscriptions:
        if not sub.digest:
            continue
        results += digest(conn, sub, day, site_url=site_url, resend=resend, send=send, environ=environ, now=now,
                          retry_delays=retry_delays)
    if alerts:
        results += incomplete_day_alerts(conn, day, subscriptions, resend=resend, send=send, environ=environ, now=now,
                                         retry_delays=retry_delays)
    return results


def summary(results: Sequence[Result]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = ("sent", "failed", "already-sent", "empty", "not-due", "no-report")
    parts = [f"{counts[k]} {k}" for k in order if counts.get(k)]
    if not results:
        return "no subscriptions"
    if not counts.get("sent") and not counts.get("failed"):
        return "nothing sent (" + ", ".join(parts) + ")"
    return ", ".join(parts)
