"""`infra-digest site`: build the archive site. Wired into the main CLI with::

    from infra_digest.site.cli import add_site_arguments, cmd_site
    add_site_arguments(sub.add_parser("site", help="build the static archive site (pages, feeds, search)"))
"""

from __future__ import annotations

import argparse
import os
import sys

ENV_SITE_DIR = "INFRA_DIGEST_SITE_DIR"
DEFAULT_SITE_DIR = "site"
ENV_SITE_URL = "INFRA_DIGEST_SITE_URL"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _default_db() -> str:
    from infra_digest import settings

    return settings.env(settings.ENV_DB, settings.DEFAULT_DB)


def add_site_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--db", help="history: a DuckDB file or a DuckLake target (default $INFRA_DIGEST_DB)")
    parser.add_argument("--out", help=f"output folder (default ${ENV_SITE_DIR} or {DEFAULT_SITE_DIR})")
    parser.add_argument("--base-url", help=f"where the site is served, e.g. https://digest.example.org/ "
                                           f"(default ${ENV_SITE_URL}); makes feed links absolute")
    parser.add_argument("--subscriptions", help="subscriptions file: adds a page and a feed per subscription "
                                                "(default $INFRA_DIGEST_SUBSCRIPTIONS)")
    parser.add_argument("--no-search", action="store_true", help="do not build the search index")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait while a run holds the database")
    parser.set_defaults(func=cmd_site)
    return parser


def cmd_site(args: argparse.Namespace) -> int:
    from infra_digest.deliver.subscriptions import SubscriptionError, load_subscriptions, subscriptions_path
    from infra_digest.site.build import build_site
    from infra_digest.storage.db import DatabaseBusyError, connect

    db = args.db or _default_db()
    out = args.out or _env(ENV_SITE_DIR, DEFAULT_SITE_DIR)
    base_url = args.base_url or _env(ENV_SITE_URL)
    subs = []
    path = subscriptions_path(args.subscriptions)
    try:
        if path:
            subs = load_subscriptions(path)
        with connect(db, read_only=True, wait_seconds=args.wait) as conn:
            stats = build_site(conn, out, base_url=base_url, subscriptions=subs, search_index=not args.no_search)
    except SubscriptionError as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, DatabaseBusyError) as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return 1
    print(stats.line(), file=sys.stderr)
    print(os.path.join(out, "index.html"))
    if stats.search.startswith("skipped"):
        print(f"infra-digest: warning: the site has no search box: {stats.search}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = add_site_arguments(argparse.ArgumentParser(prog="python -m infra_digest.site.cli"))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
