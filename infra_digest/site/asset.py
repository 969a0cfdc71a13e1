"""What the ``site`` asset calls (the asset itself stays thin wiring in ``defs/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from infra_digest.deliver.subscriptions import load_subscriptions
from infra_digest.site.build import build_site


def materialize_site(conn: duckdb.DuckDBPyConnection, out_dir: str | Path, *, base_url: str | None = None,
                     subscriptions_file: str | None = None, search_index: bool = True) -> dict[str, Any]:
    """Update the whole site (only what changed is written) and return the asset's metadata. A day partition's
    materialization updates every page that day touches; permalinks of other days never change."""
    subs = load_subscriptions(subscriptions_file) if subscriptions_file else []
    stats = build_site(conn, out_dir, base_url=base_url, subscriptions=subs, search_index=search_index)
    meta = stats.metadata()
    meta["out_dir"] = str(out_dir)
    meta["written_files"] = stats.written[:200]
    return meta
