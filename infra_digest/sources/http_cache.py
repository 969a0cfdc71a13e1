"""Validators (ETag / Last-Modified) and bodies of earlier GitHub responses, for conditional requests.

The GitHub source sends ``If-None-Match`` / ``If-Modified-Since`` with the stored validators of a URL; on
``304 Not Modified`` it reuses the stored body and ``Link`` header, so re-running a day re-downloads
nothing that did not change (and GitHub does not count 304s against the rate limit).

Two implementations of :class:`HttpCache`:

- :class:`MemoryHttpCache`: a dict, for tests and one-off runs.
- :class:`DuckDBHttpCache`: the ``raw.http_cache`` table of the history database. Rows are loaded once,
  on first use, through a short connection; changed rows are written back by :meth:`DuckDBHttpCache.flush`
  in one short transaction (the source calls it at the end of each ``fetch``). No connection is held
  while HTTP requests are in flight.

URLs are stored without credentials (the token travels only in the ``Authorization`` header).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class CachedResponse:
    url: str
    etag: str | None
    last_modified: str | None
    body: Any  # the parsed JSON body of the last 200 response
    link: str | None  # its Link header (pagination), verbatim


@runtime_checkable
class HttpCache(Protocol):
    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, url: str, etag: str | None, last_modified: str | None, body: Any, link: str | None) -> None: ...


class MemoryHttpCache:
    """In-memory :class:`HttpCache` (tests, one-off runs)."""

    def __init__(self) -> None:
        self._rows: dict[str, CachedResponse] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> CachedResponse | None:
        with self._lock:
            return self._rows.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None, body: Any, link: str | None) -> None:
        with self._lock:
            self._rows[url] = CachedResponse(url, etag, last_modified, body, link)

    def flush(self) -> None:  # same interface as DuckDBHttpCache
        return None

    def __len__(self) -> int:
        return len(self._rows)


class DuckDBHttpCache:
    """:class:`HttpCache` kept in ``raw.http_cache`` of the DuckDB history at ``db_path``.

    ``get`` and ``put`` work on memory; the database is touched twice per fetch at most: one read of all
    rows on first use, and one write transaction in :meth:`flush` for the rows that changed.
    """

    def __init__(self, db_path: str | Path, *, wait_seconds: float = 120.0) -> None:
        self.db_path = str(db_path)
        self.wait_seconds = wait_seconds
        self._rows: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
        self._parsed: dict[str, CachedResponse] = {}
        self._dirty: set[str] = set()
        self._loaded = False
        self._lock = threading.RLock()

    # -- loading ---------------------------------------------------------------------------------------
    def load(self) -> None:
        """Read every stored row (once). Bodies stay JSON text until a URL is asked for."""
        from infra_digest.storage.db import connect

        with self._lock:
            if self._loaded:
                return
            with connect(self.db_path, wait_seconds=self.wait_seconds) as conn:
                rows = conn.execute(
                    "SELECT url, etag, last_modified, CAST(body AS VARCHAR), link FROM raw.http_cache ORDER BY fetched_at"
                ).fetchall()
            for url, etag, last_modified, body, link in rows:
                if url not in self._dirty:  # a put() before load() wins
                    self._rows[url] = (etag, last_modified, body, link)
            self._loaded = True

    def get(self, url: str) -> CachedResponse | None:
        with self._lock:
            if not self._loaded:
                self.load()
            hit = self._parsed.get(url)
            if hit is not None:
                return hit
            row = self._rows.get(url)
            if row is None:
                return None
            etag, last_modified, body, link = row
            hit = CachedResponse(url, etag, last_modified, json.loads(body) if body is not None else None, link)
            self._parsed[url] = hit
            return hit

    def put(self, url: str, etag: str | None, last_modified: str | None, body: Any, link: str | None) -> None:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._rows[url] = (etag, last_modified, text, link)
            self._parsed[url] = CachedResponse(url, etag, last_modified, body, link)
            self._dirty.add(url)

    # -- writing back ----------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write the changed rows back in one transaction; returns how many rows were written."""
        from infra_digest.storage.db import connect
        from infra_digest.storage.writes import run_transaction

        with self._lock:
            if not self._dirty:
                return 0
            urls = sorted(self._dirty)
            etags = [self._rows[u][0] for u in urls]
            lms = [self._rows[u][1] for u in urls]
            bodies = [self._rows[u][2] for u in urls]
            links = [self._rows[u][3] for u in urls]
            now = dt.datetime.now(dt.timezone.utc)
            def write(conn) -> None:  # one transaction; repeated whole on a DuckLake conflict
                conn.execute("DELETE FROM raw.http_cache WHERE url IN (SELECT unnest(?::VARCHAR[]))", [urls])
                conn.execute(
                    """
                    INSERT INTO raw.http_cache (url, etag, last_modified, body, link, fetched_at)
                    SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
                           CAST(unnest(?::VARCHAR[]) AS JSON), unnest(?::VARCHAR[]), ?::TIMESTAMPTZ
                    """,
                    [urls, etags, lms, bodies, links, now],
                )

            with connect(self.db_path, wait_seconds=self.wait_seconds) as conn:
                run_transaction(conn, write)
            self._dirty.clear()
            return len(urls)

    def __len__(self) -> int:
        with self._lock:
            if not self._loaded:
                self.load()
            return len(self._rows)
