"""Report stage: one row (Markdown, HTML, stats) per day and language, and the files on disk."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from infra_digest.report.build import build_report
from infra_digest.report.links import DEFAULT_WEB_ORIGIN
from infra_digest.storage.reads import DayReader
from infra_digest.watchlist import RepoSpec

EXTENSIONS = ("md", "html")


def report_path(out_dir: str | Path, day: dt.date | str, lang: str, ext: str) -> Path:
    """The one place that knows where a report file lives: ``<out_dir>/<day>.<lang>.<ext>``."""
    return Path(out_dir) / f"{day}.{lang}.{ext}"


def render_reports(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date], langs: Sequence[str],
                   watchlist: Sequence[RepoSpec], generated_at: dt.datetime, *,
                   web_origin: str = DEFAULT_WEB_ORIGIN) -> list[dict[str, Any]]:
    """report.daily rows for every day x language. ``web_origin``: the GitHub web origin links may point into
    (``https://github.com``, or a GitHub Enterprise origin); any other URL of the data is shown as text."""
    reader = DayReader(conn, days)  # one query per table for all days, not one per day
    return [build_report(reader, day, lang, watchlist, generated_at, web_origin=web_origin) for day in days for lang in langs]


def write_report_files(rows: Iterable[dict[str, Any]], out_dir: str | Path) -> list[str]:
    """Write each row's Markdown and HTML (temporary file, then rename). Returns the paths written."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        for ext, text in zip(EXTENSIONS, (row["markdown"], row["html"])):
            path = report_path(out_dir, row["day"], row["lang"], ext)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            written.append(str(path))
    return written
