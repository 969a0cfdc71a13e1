"""The one call the ingest stage makes for the tables beyond the core ones (issue 17).

    rows = derive_extra(repo, day, raw_events, core_rows)   # {table: rows} for every table of EXTRA_TABLES

``raw_events``: the partition's ``raw.events`` rows (``kind``, ``id``, ``payload``, ``source``), the same list
``transform.derive_core`` reads; ``core_rows``: what ``derive_core`` returned for it (``CoreRows``, or a mapping
with ``commits``, ``pull_requests``, ``issues``). Each table is replaced per (repo, day) partition like the core
tables: delete the partition's rows, insert these (an empty list clears it). Pure, no I/O, never raises for
validated payloads (a field of the wrong type is left out of its row, not stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from infra_digest.derive.discussions import derive_discussions
from infra_digest.derive.references import derive_references
from infra_digest.derive.releases import derive_releases

#: the tables derive_extra fills, all partitioned by (repo, day); their DDL is sql/ddl/07_beyond.sql
EXTRA_TABLES = ("core.releases", "core.discussions", "core.references")


def derive_extra(repo: str, day: dt.date, raw_events: Iterable[Mapping[str, Any]], core_rows: Any,
                 tz: dt.tzinfo = dt.timezone.utc) -> dict[str, list[dict[str, Any]]]:
    events = list(raw_events)
    return {
        "core.releases": derive_releases(repo, day, events),
        "core.discussions": derive_discussions(repo, day, events, tz),
        "core.references": derive_references(repo, day, core_rows, events),
    }
