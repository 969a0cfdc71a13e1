"""`infra-digest deliver`: send each subscription's message for the period ending on a day. Wired with::

    from infra_digest.deliver.cli import add_deliver_arguments, cmd_deliver
    add_deliver_arguments(sub.add_parser("deliver", help="send the subscriptions' messages for a day (exactly once)"))

Exit status: 0 when nothing failed (including "nothing to send"), 1 when a channel failed or the history cannot be
opened, 2 for a usage error (bad date, invalid subscriptions file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from infra_digest.settings import ENV_DB, ENV_SITE_URL, ENV_SUBSCRIPTIONS, Settings


def deliver_settings(args: argparse.Namespace, environ=None) -> Settings:
    """The command's :class:`Settings`: the environment, with ``--db``, ``--subscriptions`` and ``--site-url`` on
    top. Delivery reads no source: the default history, never the demo's."""
    return Settings.from_env(environ, demo_world=False, db=args.db, subscriptions=args.subscriptions,
                             site_url=args.site_url)


def add_deliver_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--date", required=True, help="the day whose period is delivered, YYYY-MM-DD")
    parser.add_argument("--db", help=f"history: a DuckDB file or a DuckLake target (default ${ENV_DB})")
    parser.add_argument("--subscriptions", help=f"subscriptions file (default ${ENV_SUBSCRIPTIONS})")
    parser.add_argument("--site-url", help=f"where the archive site is served (default ${ENV_SITE_URL}): "
                                           "messages cut to a channel's limit link to the full list there")
    parser.add_argument("--resend", action="store_true", help="send again what was already sent for this period")
    parser.add_argument("--only", action="append", metavar="NAME", help="only this subscription (repeatable)")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait while a run holds the database")
    parser.set_defaults(func=cmd_deliver)
    return parser


def cmd_deliver(args: argparse.Namespace, conf: Settings | None = None) -> int:
    """``conf``: the caller's Settings (the main CLI passes its own); else built from ``args`` and the environment."""
    from infra_digest.deliver.run import deliver, summary
    from infra_digest.deliver.subscriptions import SubscriptionError, load_subscriptions
    from infra_digest.storage.db import DatabaseBusyError, connect, is_lake

    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"infra-digest: --date {args.date!r} is not a date: use YYYY-MM-DD", file=sys.stderr)
        return 2
    conf = conf or deliver_settings(args)
    path = conf.subscriptions
    if not path:
        print(f"infra-digest: no subscriptions: pass --subscriptions FILE or set {ENV_SUBSCRIPTIONS}", file=sys.stderr)
        return 2
    try:
        subs = load_subscriptions(path)
    except SubscriptionError as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return 2
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in subs})
        if unknown:
            print(f"infra-digest: --only: no subscription named {', '.join(unknown)}", file=sys.stderr)
            return 2
        subs = [s for s in subs if s.name in args.only]
    site_url, db = conf.site_url, conf.db
    if not is_lake(db) and not os.path.exists(db):
        print(f"infra-digest: no history database at {db}: run `infra-digest run --date ...` first", file=sys.stderr)
        return 1
    try:
        with connect(db, wait_seconds=args.wait) as conn:
            results = deliver(conn, day, subs, site_url=site_url, resend=args.resend)
    except (FileNotFoundError, DatabaseBusyError) as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return 1
    for r in results:
        print(r.line())
    print(f"infra-digest: {day}: {summary(results)}", file=sys.stderr)
    return 1 if any(r.status == "failed" for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = add_deliver_arguments(argparse.ArgumentParser(prog="python -m infra_digest.deliver.cli"))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
