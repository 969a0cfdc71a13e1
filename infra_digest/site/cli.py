"""`infra-digest site`: build the archive site. Wired into the main CLI with::

    from infra_digest.site.cli import add_site_arguments, cmd_site
    add_site_arguments(sub.add_parser("site", help="build the static archive site (pages, feeds, search)"))
"""

from __future__ import annotations

import argparse
import os
import sys

from infra_digest.settings import DEFAULT_SITE_DIR, ENV_DB, ENV_SITE_DIR, ENV_SITE_URL, ENV_SUBSCRIPTIONS, Settings


def site_settings(args: argparse.Namespace, environ=None) -> Settings:
    """The command's :class:`Settings`: the environment, with its options on top (``--db``, ``--out``,
    ``--base-url``, ``--subscriptions``). The site reads no source: the default history, never the demo's."""
    return Settings.from_env(environ, demo_world=False, db=args.db, site_dir=args.out, site_url=args.base_url,
                             subscriptions=args.subscriptions)


def add_site_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--db", help=f"history: a DuckDB file or a DuckLake target (default ${ENV_DB})")
    parser.add_argument("--out", help=f"output folder (default ${ENV_SITE_DIR} or {DEFAULT_SITE_DIR})")
    parser.add_argument("--base-url", help=f"where the site is served, e.g. https://digest.example.org/ "
                                           f"(default ${ENV_SITE_URL}); makes feed links absolute")
    parser.add_argument("--subscriptions", help="subscriptions file: adds a page and a feed per subscription "
                                                f"(default ${ENV_SUBSCRIPTIONS})")
    parser.add_argument("--no-search", action="store_true", help="do not build the search index")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait while a run holds the database")
    parser.set_defaults(func=cmd_site)
    return parser


def cmd_site(args: argparse.Namespace, conf: Settings | None = None) -> int:
    """``conf``: the caller's Settings (the main CLI passes its own); else built from ``args`` and the environment."""
    from infra_digest.deliver.subscriptions import SubscriptionError, load_subscriptions
    from infra_digest.site.build import build_site
    from infra_digest.storage.db import DatabaseBusyError, connect

    conf = conf or site_settings(args)
    db, out, base_url, path = conf.db, conf.site_dir, conf.site_url, conf.subscriptions
    subs = []
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
