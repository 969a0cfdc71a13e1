"""`infra-digest`: run the pipeline for days, query the history, classify items.

`run` materializes the same assets, through the same Definitions, that the Dagster UI and schedule use:
one run for the date × repository assets over the whole range, then one run for the day-level assets.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import re
import signal
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from infra_digest import settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    pass


def _parse_day(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date: use YYYY-MM-DD") from None


def _check_source(spec: str) -> None:
    from infra_digest.defs.resources import parse_source_spec
    from infra_digest.sources.base import SourceError

    try:
        kind, arg = parse_source_spec(spec)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    if kind == "replay" and arg != "demo":
        path = Path(arg)
        if not path.is_dir():
            raise UsageError(f"replay directory {arg} does not exist or is not a directory")
        if not os.access(path, os.R_OK | os.X_OK):
            raise UsageError(f"replay directory {arg} is not readable")


def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable_dir(path: Path, what: str) -> None:
    """``path`` is (or can be created as) a folder this process can write in."""
    base = _first_existing(path)
    if not base.is_dir():
        raise UsageError(f"{what}: {base} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".infra-digest-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {path} ({exc.strerror or exc})") from None


def _check_writable(conf: settings.Settings) -> None:
    """An unwritable history or report folder is bad input: found before the work, one line, exit 2."""
    from infra_digest.storage.db import is_lake

    if not is_lake(conf.db) and conf.db != ":memory:":
        db = Path(conf.db)
        if db.is_dir():
            raise UsageError(f"--db {db}: is a folder, not a database file")
        _writable_dir(db.parent if str(db.parent) else Path("."), f"--db {db}")
        if db.exists():
            try:
                with open(db, "ab"):
                    pass
            except OSError as exc:
                raise UsageError(f"--db {db}: cannot be written ({exc.strerror or exc})") from None
    out = Path(conf.reports_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    _writable_dir(out, f"--out {out}")


def _instance(conf: settings.Settings):
    """The Dagster instance this run records in: one history, one instance (infra_digest/defs/instance.py)."""
    import dagster as dg

    from infra_digest.defs.instance import HistoryMismatch, instance_for

    if conf.db == ":memory:":
        return dg.DagsterInstance.ephemeral()
    try:
        return instance_for(conf.db, say=lambda m: print(f"infra-digest: {m}", file=sys.stderr))
    except HistoryMismatch as exc:
        raise UsageError(str(exc)) from None


STOP_GRACE_SECONDS = 10.0  # after SIGINT/SIGTERM, how long the run may take to stop before the process exits


@contextlib.contextmanager
def _stop_on_signals():
    """SIGINT and SIGTERM stop the run: the current step is interrupted (Dagster raises inside it; our writes roll
    back, so the history keeps its previous data) and no further run starts. Yields a list that holds the signal
    numbers received.

    While a run executes, Dagster's own handler owns SIGINT/SIGTERM, and an interrupt it raises can be swallowed
    (raised inside a finalizer). So a watchdog thread also learns of every signal (``signal.set_wakeup_fd``),
    repeats the interrupt every 2 s, and after STOP_GRACE_SECONDS ends the process (exit 130): nothing is written
    while a step is still fetching, and the next run marks the abandoned one failed (defs/liveness.py)."""
    import threading

    received: list[int] = []
    done = threading.Event()
    watched = (signal.SIGINT, signal.SIGTERM)

    def handler(signum, frame):
        raise KeyboardInterrupt

    def enforce():
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while not done.wait(2.0):
            if time.monotonic() >= deadline:
                print("infra-digest: stopped by a signal; the run did not stop in time and was abandoned "
                      "(the next run marks it failed); the history keeps its previous data", file=sys.stderr, flush=True)
                os._exit(EXIT_INTERRUPTED)
            import _thread

            _thread.interrupt_main()

    def watch(fd: int):
        started = False
        while True:
            try:
                data = os.read(fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in watched:
                    received.append(signum)
                    if not started:
                        started = True
                        threading.Thread(target=enforce, name="infra-digest-stop", daemon=True).start()

    try:
        previous = {s: signal.getsignal(s) for s in watched}
        for s in watched:
            signal.signal(s, handler)
        r, w = os.pipe()
        os.set_blocking(w, False)
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: leave the signals alone
        yield received
        return
    watcher = threading.Thread(target=watch, args=(r,), name="infra-digest-signals", daemon=True)
    watcher.start()
    try:
        yield received
    finally:
        done.set()
        signal.set_wakeup_fd(old_fd)
        os.close(w)
        watcher.join(timeout=2)
        os.close(r)
        for s, h in previous.items():
            signal.signal(s, h)


def _interrupted(result) -> bool:
    """Whether a run ended because it was interrupted (SIGINT/SIGTERM inside a step)."""
    for event in result.all_events:
        if event.is_step_failure and event.event_specific_data is not None:
            err = getattr(event.event_specific_data, "error", None)
            while err is not None:
                if err.cls_name in ("KeyboardInterrupt", "DagsterExecutionInterruptedError"):
                    return True
                err = err.cause
    return False


def _failure_message(result) -> str:
    """The root cause of a failed run, in one line."""
    for event in result.all_events:
        if event.is_step_failure and event.event_specific_data is not None:
            err = getattr(event.event_specific_data, "error", None)
            while err is not None and err.cause is not None:
                err = err.cause
            if err is not None:
                lines = [ln for ln in err.message.strip().splitlines() if ln.strip()]
                step = event.step_key or "a step"
                return f"{step}: {lines[-1] if lines else err.cls_name}"
    return "the run failed (see the Dagster UI for details)"


class _Progress(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        print(f"  {record.getMessage()}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace, **extra: object) -> settings.Settings:
    """The one Settings of this command: the environment, with the command's options on top."""
    try:
        return _from_env(args, **extra)
    except settings.SettingsError as exc:
        raise UsageError(str(exc)) from None


def _from_env(args: argparse.Namespace, **extra: object) -> settings.Settings:
    return settings.Settings.from_env(demo_world=args.command == "run", db=getattr(args, "db", None), reports_dir=getattr(args, "out", None),
                                      source=getattr(args, "source", None), lang=getattr(args, "lang", None),
                                      record_dir=getattr(args, "record", None), **extra)


def cmd_run(args: argparse.Namespace) -> int:
    first = _parse_day(args.date, "--date")
    last = _parse_day(args.to, "--to") if args.to else first
    if last < first:
        raise UsageError(f"--to {last} is before --date {first}")
    today = dt.datetime.now(dt.timezone.utc).date()
    if last >= today:
        raise UsageError(f"{last} is not over yet (UTC): the latest complete day is {today - dt.timedelta(days=1)}")
    if args.lang is not None and args.lang not in settings.LANGS:
        raise UsageError(f"--lang {args.lang!r}: choose one of {', '.join(settings.LANGS)}")
    conf = _settings(args)
    if conf.lang not in settings.LANGS:
        raise UsageError(f"{settings.ENV_LANG}={conf.lang!r}: choose one of {', '.join(settings.LANGS)}")
    _check_source(conf.source)
    _check_writable(conf)  # before any source is read (a github run would spend API quota first)
    from infra_digest.defs.partitions import partition_start

    # The partitions must hold the days asked for.
    conf = conf.replace(start_date=min(first, dt.date.fromisoformat(partition_start(conf))).isoformat())

    started = time.monotonic()
    from infra_digest.definitions import INGEST_JOB, REPORT_JOB, build_defs
    from infra_digest.defs.partitions import range_tags
    from infra_digest.pipeline.report import EXTENSIONS, report_path
    from infra_digest.watchlist import load_watchlist

    defs = build_defs(conf)
    watchlist = load_watchlist(conf.watchlist)
    progress = logging.getLogger("infra_digest.progress")
    progress.setLevel(logging.INFO)
    if not any(isinstance(h, _Progress) for h in progress.handlers):
        progress.addHandler(_Progress())
    progress.propagate = False
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # we print progress and errors ourselves
    ndays = (last - first).days + 1
    print(f"infra-digest: {ndays} day(s) {first}..{last} x {len(watchlist)} repositories from {conf.source}", file=sys.stderr)
    from infra_digest.defs.liveness import PROCESS_TAG, process_tag, reap_dead_runs

    with _instance(conf) as instance, _stop_on_signals() as stopped:
        for run_id in reap_dead_runs(instance):  # a run killed earlier must not hold the pool forever
            print(f"infra-digest: run {run_id} had died (its process is gone): marked failed, its pool slots freed",
                  file=sys.stderr)
        mine = {PROCESS_TAG: process_tag()}
        ingest = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=instance, run_config=quiet, raise_on_error=False,
            tags={**range_tags(first.isoformat(), last.isoformat(), watchlist[0].repo, watchlist[-1].repo), **mine},
        )
        if stopped or _interrupted(ingest):
            print("infra-digest: stopped by a signal; the history keeps its previous data, no report was written",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        if not ingest.success:
            # Failed repository-days keep their previous data; the report is still written and says so.
            print(f"infra-digest: ingest failed: {_failure_message(ingest)}", file=sys.stderr)
        report = defs.resolve_job_def(REPORT_JOB).execute_in_process(
            instance=instance, run_config=quiet, raise_on_error=False,
            tags={**range_tags(first.isoformat(), last.isoformat()), **mine},
        )
        if stopped or _interrupted(report):
            print("infra-digest: stopped by a signal while writing the reports; the previous reports are kept",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        if not report.success:
            print(f"infra-digest: report failed: {_failure_message(report)}", file=sys.stderr)
            return EXIT_FAILED

    for i in range(ndays):
        day = first + dt.timedelta(days=i)
        for ext in EXTENSIONS:
            print(report_path(conf.reports_dir, day, conf.lang, ext))
    failed = _failed_partitions(conf.db, first, last)
    print(f"infra-digest: done in {time.monotonic() - started:.1f}s", file=sys.stderr)
    if failed:
        for day, repo, error in failed:
            print(f"infra-digest: warning: {repo} {day} could not be read: {error}", file=sys.stderr)
        print(f"infra-digest: {len(failed)} repository-day(s) incomplete; the reports say so", file=sys.stderr)
        return EXIT_FAILED
    if not ingest.success:
        return EXIT_FAILED
    return EXIT_OK


def _failed_partitions(db: str, first: dt.date, last: dt.date) -> list[tuple]:
    """(day, repo, error) of the repository-days in first..last whose last fetch failed, oldest first."""
    from infra_digest.storage.db import connect, query_text

    with connect(db, read_only=True) as conn:
        return conn.execute(
            f"SELECT day, repo, error FROM ({query_text('10_fetch_problems')}) WHERE day BETWEEN ? AND ? ORDER BY day, repo",
            [first, last],
        ).fetchall()


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Statement types `infra-digest sql` runs: queries (SELECT, WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE, table
# functions) and EXPLAIN. Everything else (COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, CREATE, INSERT, ...) is refused
# before anything runs; the connection is read-only, cannot reach files, the network or extensions, and is locked.
READ_STATEMENTS = ("SELECT", "EXPLAIN")


def visible(value: object) -> str:
    """A value as terminal-safe text: control, format (bidi, zero-width) and separator characters become visible
    escapes (``\\n``, ``\\x1b``, ``\\u202e``), so no value can move the cursor, recolour or reorder the output."""
    s = "NULL" if value is None else str(value)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def _width(s: str) -> int:
    from wcwidth import wcswidth

    w = wcswidth(s)
    return w if w >= 0 else len(s)  # only escaped text reaches here, so -1 (a control char) cannot happen


def _clip(s: str, max_width: int) -> str:
    from wcwidth import wcwidth

    if _width(s) <= max_width:
        return s
    out, used = [], 0
    for ch in s:
        w = max(wcwidth(ch), 0)
        if used + w > max_width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def format_table(columns: list[str], rows: list[tuple], max_width: int = 80) -> str:
    """Rows as an aligned text table; widths are display widths (CJK and emoji take two columns)."""
    head = [_clip(visible(c), max_width) for c in columns]
    cells = [[_clip(visible(v), max_width) for v in row] for row in rows]
    widths = [max([_width(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(head)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(_pad(c, w) for c, w in zip(head, widths)).rstrip(), line]
    out += [" | ".join(_pad(v, w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(out)


def _read_query(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.lower().endswith(".sql") and "\n" not in arg:
        path = Path(arg)
        if not path.is_file():
            raise UsageError(f"no query file {arg}")
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {arg}: {exc}") from None
    return arg


def _print_result(args: argparse.Namespace, columns: list[str], rows: list[tuple], more: bool) -> None:
    if args.format == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(columns)
        w.writerows(rows)
    elif args.format == "json":
        import json

        for row in rows:
            print(json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str))
    else:
        print(format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{', more not shown: raise --limit' if more else ''})")


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from infra_digest.storage.db import DatabaseBusyError, connect, lock_down

    if args.limit < 0:
        raise UsageError(f"--limit {args.limit}: use 0 (all rows) or a positive number")
    if args.wait < 0:
        raise UsageError(f"--wait {args.wait}: use 0 or a positive number of seconds")
    for name, _ in args.param or []:
        if not _IDENT.fullmatch(name):
            raise UsageError(f"--param {name!r}: a name is letters, digits and _ (read it with getvariable('{name}'))")
    query = _read_query(args.query)
    db = _settings(args).db
    try:
        with connect(db, read_only=True, wait_seconds=args.wait) as conn:
            try:
                statements = conn.extract_statements(query)
            except duckdb.Error as exc:
                raise UsageError(f"query does not parse: {str(exc).splitlines()[0]}") from None
            if not statements:
                raise UsageError("the query is empty (nothing but blanks or comments)")
            for st in statements:
                if st.type.name not in READ_STATEMENTS:
                    raise UsageError(f"infra-digest sql is read-only and never writes: only queries (SELECT, WITH, "
                                     f"DESCRIBE, SHOW, EXPLAIN ...), not {st.type.name}")
            for name, value in args.param or []:
                conn.execute(f'SET VARIABLE "{name}" = ?', [value])  # the name is an identifier; the value is bound
            lock_down(conn)
            for i, st in enumerate(statements):
                cur = conn.execute(st.query)
                if cur.description is None:
                    continue
                columns = [d[0] for d in cur.description]
                rows = cur.fetchmany(args.limit + 1) if args.limit else cur.fetchall()
                more = bool(args.limit) and len(rows) > args.limit
                if i and args.format == "table":
                    print()
                _print_result(args, columns, rows[: args.limit] if args.limit else rows, more)
    except (FileNotFoundError, DatabaseBusyError) as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except duckdb.Error as exc:
        print(f"infra-digest: query failed: {visible(str(exc).splitlines()[0])}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def report_file_problems(rows, default_out: str | Path) -> list[tuple]:
    """(day, lang, path, why) of every report file that is missing or differs from ``report.daily`` (rows of day,
    lang, markdown, html, stats). The folder is the one the report asset recorded in the row's stats
    (``files_dir``), else ``default_out``."""
    import json

    from infra_digest.pipeline.report import EXTENSIONS, report_path

    out = []
    for day, lang, markdown, html, stats in rows:
        try:
            folder = (json.loads(stats) if isinstance(stats, str) else stats or {}).get("files_dir") or default_out
        except (ValueError, AttributeError):
            folder = default_out
        for ext, text in zip(EXTENSIONS, (markdown, html)):
            path = report_path(folder, day, lang, ext)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                out.append((day, lang, path, "missing"))
                continue
            except OSError as exc:
                out.append((day, lang, path, f"unreadable ({exc.strerror or exc})"))
                continue
            if data != text.encode("utf-8"):
                out.append((day, lang, path, "differs from report.daily"))
    return out


def cmd_status(args: argparse.Namespace) -> int:
    """Say loudly which days are missing a report, have a report older than their data, failed to fetch, have report
    files that do not match the history, or a delivery that failed."""
    from infra_digest.deliver.run import failed_deliveries
    from infra_digest.storage.db import DatabaseBusyError, connect, query_text

    conf = _settings(args)
    db = conf.db
    try:
        with connect(db, read_only=True, wait_seconds=args.wait) as conn:
            stale = conn.execute(query_text("11_days_without_fresh_report")).fetchall()
            failed = conn.execute(f"SELECT day, repo, error FROM ({query_text('10_fetch_problems')})").fetchall()
            days, last = conn.execute("SELECT count(DISTINCT day), max(day) FROM report.daily").fetchone()
            files = report_file_problems(
                conn.execute("SELECT day, lang, markdown, html, stats FROM report.daily ORDER BY day, lang").fetchall(),
                conf.reports_dir)
            undelivered = failed_deliveries(conn)
    except (FileNotFoundError, DatabaseBusyError) as exc:
        print(f"infra-digest: {exc}", file=sys.stderr)
        return EXIT_FAILED
    db_opt = f" --db {args.db}" if args.db else ""
    for day, lang, why in stale:  # per (day, language): a language is named when its report is the stale one
        refresh = f"infra-digest run --date {day}{f' --lang {lang}' if lang else ''}{db_opt}"
        print(f"{day}  {lang or 'every language'}: {why}; refresh with: {refresh}")
    for day, repo, error in failed:
        print(f"{day}  {repo}: fetch failed: {visible(error)}; retry with: infra-digest run --date {day}{db_opt}")
    for day, lang, path, why in files:
        print(f"{day}  {lang}: report file {visible(path)} {why}; rewrite with: infra-digest run --date {day} --lang {lang}{db_opt}")
    for sub, period, channel, error, *_ in undelivered:
        print(f"{visible(sub)} [{visible(period)}] {visible(channel)}: {visible(error)}")
    if stale or failed or files or undelivered:
        print(f"infra-digest: {len(stale)} report(s) missing or older than their data, {len(failed)} failed "
              f"repository-day(s), {len(files)} report file(s) missing or different, {len(undelivered)} failed "
              "deliveries", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {days} day(s) reported, latest {last}, every one up to date")
    return EXIT_OK


def cmd_classify(args: argparse.Namespace) -> int:
    from infra_digest.classify.cli import run_classify

    return run_classify(sys.stdin, sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infra-digest", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialize every asset for one day or a range, and write the reports")
    run.add_argument("--date", required=True, help="first day, YYYY-MM-DD (UTC)")
    run.add_argument("--to", help="last day (inclusive), YYYY-MM-DD; default: --date")
    run.add_argument("--source", help="replay:DIR | replay:demo | github | git | git+github (default $INFRA_DIGEST_SOURCE or replay:demo)")
    run.add_argument("--lang", help=f"report language: zh or en (default ${settings.ENV_LANG} or {settings.DEFAULT_LANG})")
    run.add_argument("--db", help=f"history: a DuckDB file or a DuckLake target ducklake:postgres:dbname=... host=... "
                                  f"(default ${settings.ENV_DB} or {settings.DEFAULT_DB})")
    run.add_argument("--out", help=f"report folder (default ${settings.ENV_REPORTS_DIR} or {settings.DEFAULT_REPORTS_DIR})")
    run.add_argument("--record", metavar="DIR", help="with --source github: also save what was fetched in the replay layout")
    run.set_defaults(func=cmd_run)

    sql = sub.add_parser("sql", help="run a read-only query on the history and print the result")
    sql.add_argument("query", help="SQL text, a path to a .sql file, or - for standard input")
    sql.add_argument("--db", help=f"DuckDB history file (default ${settings.ENV_DB} or {settings.DEFAULT_DB})")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    sql.add_argument("--limit", type=int, default=200, help="rows to print (0: all)")
    sql.add_argument("--param", nargs=2, action="append", metavar=("NAME", "VALUE"), help="set a DuckDB variable, read with getvariable('NAME')")
    sql.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run holds the database")
    sql.set_defaults(func=cmd_sql)

    st = sub.add_parser("status", help="list days whose report is missing or older than their data, and failed fetches")
    st.add_argument("--db", help=f"DuckDB history file (default ${settings.ENV_DB} or {settings.DEFAULT_DB})")
    st.add_argument("--out", help=f"report folder of reports whose folder was not recorded (default ${settings.ENV_REPORTS_DIR} "
                                  f"or {settings.DEFAULT_REPORTS_DIR})")
    st.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run holds the database")
    st.set_defaults(func=cmd_status)

    from infra_digest.deliver.cli import add_deliver_arguments
    from infra_digest.site.cli import add_site_arguments

    add_site_arguments(sub.add_parser("site", help="build the static archive site from the history (pages, Atom feeds, search)"))
    add_deliver_arguments(sub.add_parser("deliver", help="send each subscription's message for the period ending on a day, exactly once"))

    cl = sub.add_parser("classify", help="classify GitHub objects: JSON Lines on stdin -> labels as JSON Lines on stdout")
    cl.set_defaults(func=cmd_classify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, settings.SettingsError) as exc:  # a variable of the wrong type is bad input too
        print(f"infra-digest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`infra-digest sql ... | head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("infra-digest: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
