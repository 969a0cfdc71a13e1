"""Report stage: one row (Markdown, HTML, stats) per day and language, and the files on disk."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
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
    """Write each row's Markdown and HTML atomically. Returns the paths written.

    Every file is first written in full to a temporary file beside it (flushed and fsynced), and only when all of
    them are written are they renamed over the reports: a failure (a full disk, a file-size limit, text that cannot
    be encoded) leaves every previous report as it was and no temporary file behind, and is raised."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for row in rows:
            for ext, text in zip(EXTENSIONS, (row["markdown"], row["html"])):
                path = report_path(out, row["day"], row["lang"], ext)
                fd, tmp_name = tempfile.mkstemp(dir=out, prefix=f".{path.name}.", suffix=".tmp")
                tmp = Path(tmp_name)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(text.encode("utf-8"))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o644)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # the renames themselves durable
        dir_fd = os.open(out, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return [str(path) for _, path in staged]
