"""Every environment variable the project reads, with its default, in one place, and the one :class:`Settings`.

``Settings.from_env(**overrides)`` is built once at an edge (the CLI with its options, ``definitions.py`` for the
UI and the daemon) and passed down; pure code takes values as arguments and never reads the environment.
The GitHub token is the exception by design: ``Settings`` holds the NAME of its variable, and the source reads
the value when it is built, so that the token never enters settings, run config, metadata or logs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Storage: a DuckDB file path, or a DuckLake target "ducklake:postgres:dbname=... host=..." (docs/scaling.md)
ENV_DB = "INFRA_DIGEST_DB"
ENV_LAKE_DATA_PATH = "INFRA_DIGEST_LAKE_DATA_PATH"  # where a new DuckLake writes its Parquet files
DEFAULT_DB = "data/infra_digest.duckdb"
ENV_REPORTS_DIR = "INFRA_DIGEST_REPORTS_DIR"
DEFAULT_REPORTS_DIR = "reports"
# The demo is its own world: with --source replay:demo and no database or report folder given, these are used,
# so the default history never holds the invented demo rows.
DEMO_SOURCE = "replay:demo"
DEMO_DB = "data/demo.duckdb"
DEMO_REPORTS_DIR = "reports/demo"

# Executor of a run's steps: in_process (default) or celery (see docs/scaling.md)
ENV_EXECUTOR = "INFRA_DIGEST_EXECUTOR"
DEFAULT_EXECUTOR = "in_process"
ENV_CELERY_BROKER = "INFRA_DIGEST_CELERY_BROKER"
DEFAULT_CELERY_BROKER = "redis://127.0.0.1:6379/0"
ENV_CELERY_BACKEND = "INFRA_DIGEST_CELERY_BACKEND"
DEFAULT_CELERY_BACKEND = "redis://127.0.0.1:6379/1"
ENV_CELERY_INCLUDE = "INFRA_DIGEST_CELERY_INCLUDE"  # comma-separated modules the workers import
DEFAULT_CELERY_INCLUDE = "infra_digest.definitions"
ENV_CELERY_QUEUE = "INFRA_DIGEST_CELERY_QUEUE"
DEFAULT_CELERY_QUEUE = "dagster"  # dagster-celery's default queue

# Source: "replay:DIR", "github" or "git"
ENV_SOURCE = "INFRA_DIGEST_SOURCE"
DEFAULT_SOURCE = "replay:demo"  # the demo dataset shipped in the package
ENV_LANG = "INFRA_DIGEST_LANG"
DEFAULT_LANG = "zh"
ENV_WATCHLIST = "INFRA_DIGEST_WATCHLIST"

# First day of the date partitions. Default: 90 days back, or the first day in the history if that is earlier
# (so the UI's partition bar is not 99 % "missing"); the variable overrides.
ENV_START_DATE = "INFRA_DIGEST_START_DATE"
DEFAULT_START_DAYS_BACK = 90

# GitHub
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_GITHUB_API_URL = "GITHUB_API_URL"
DEFAULT_GITHUB_API_URL = "https://api.github.com"

# The GitHub web origin reports may link into (default https://github.com; an Enterprise host's web origin)
ENV_GITHUB_WEB_ORIGIN = "INFRA_DIGEST_GITHUB_WEB_ORIGIN"
# GitHub client deadlines (seconds): each connect/read, one whole request, a run's fetching, one rate-limit wait
ENV_GITHUB_TIMEOUT = "INFRA_DIGEST_GITHUB_TIMEOUT"
DEFAULT_GITHUB_TIMEOUT = 30.0
ENV_GITHUB_REQUEST_DEADLINE = "INFRA_DIGEST_GITHUB_REQUEST_DEADLINE"
DEFAULT_GITHUB_REQUEST_DEADLINE = 120.0
ENV_FETCH_BUDGET = "INFRA_DIGEST_FETCH_BUDGET"
DEFAULT_FETCH_BUDGET = 10800.0
ENV_GITHUB_MAX_RATE_LIMIT_WAIT = "INFRA_DIGEST_GITHUB_MAX_RATE_LIMIT_WAIT"
DEFAULT_GITHUB_MAX_RATE_LIMIT_WAIT = 900.0
# Beyond commits (issue 17), off by default (each costs one more listing per repository): releases and the
# updated-issue listing (hot discussions) from GitHub, tags from git mirrors
ENV_GITHUB_RELEASES = "INFRA_DIGEST_GITHUB_RELEASES"
ENV_GITHUB_HOT = "INFRA_DIGEST_GITHUB_HOT"
ENV_GIT_TAGS = "INFRA_DIGEST_GIT_TAGS"

# github source: also write what was fetched in the replay layout (record mode)
ENV_RECORD_DIR = "INFRA_DIGEST_RECORD_DIR"

# git mirrors
ENV_GIT_DIR = "INFRA_DIGEST_GIT_DIR"
DEFAULT_GIT_DIR = "data/git"

# LLM
ENV_LLM_MODEL = "INFRA_DIGEST_LLM_MODEL"
ENV_LLM_API_BASE = "INFRA_DIGEST_LLM_API_BASE"
ENV_LLM_DAY_DEADLINE = "INFRA_DIGEST_LLM_DAY_DEADLINE"  # seconds for a day's (and language's) model work
ENV_BACKFILL_LOOP_SECONDS = "INFRA_DIGEST_BACKFILL_LOOP_SECONDS"  # infra-digest-daemon: the backfill loop (0.5 to 30 s)
DEFAULT_BACKFILL_LOOP_SECONDS = 2.0
DEFAULT_LLM_DAY_DEADLINE = 120.0

# The archive site and the deliveries (infra_digest/site, infra_digest/deliver; docs/delivery.md). `infra-digest
# run`, the schedule and the report job build the site only when INFRA_DIGEST_SITE_DIR is set, and deliver only when
# INFRA_DIGEST_SUBSCRIPTIONS is set (`infra-digest site` alone defaults to the folder "site").
ENV_SITE_DIR = "INFRA_DIGEST_SITE_DIR"
DEFAULT_SITE_DIR = "site"
ENV_SITE_URL = "INFRA_DIGEST_SITE_URL"
ENV_SUBSCRIPTIONS = "INFRA_DIGEST_SUBSCRIPTIONS"

LANGS = ("zh", "en")

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_REPLAY_DIR = PACKAGE_DIR / "demo" / "replay"


class SettingsError(ValueError):
    """A variable holds a value that cannot be used (not a number, not a yes/no)."""


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r}: use 1/true/yes/on or 0/false/no/off")


def parse_seconds(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        out = float(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r}: a number of seconds") from None
    if not out > 0 or out != out or out == float("inf"):
        raise SettingsError(f"{name}={value!r}: a positive number of seconds")
    return out


def env(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """One variable, or ``default`` when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """What a run needs to know about its world. Build it with :meth:`from_env`; CLI options override."""

    db: str = DEFAULT_DB
    reports_dir: str = DEFAULT_REPORTS_DIR
    source: str = DEFAULT_SOURCE
    lang: str = DEFAULT_LANG
    watchlist: str | None = None  # None: the packaged watchlist.yaml
    start_date: str | None = None  # first day of the date partitions; None: see defs.partitions.partition_start
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_token_env: str = ENV_GITHUB_TOKEN  # the NAME of the variable holding the token, never the token
    record_dir: str | None = None
    git_dir: str = DEFAULT_GIT_DIR
    llm_model: str | None = None
    llm_api_base: str | None = None
    lake_data_path: str | None = None
    executor: str = DEFAULT_EXECUTOR
    celery_broker: str = DEFAULT_CELERY_BROKER
    celery_backend: str = DEFAULT_CELERY_BACKEND
    celery_include: tuple[str, ...] = (DEFAULT_CELERY_INCLUDE,)
    celery_queue: str = DEFAULT_CELERY_QUEUE
    site_dir: str = DEFAULT_SITE_DIR
    publish_site: bool = False  # runs (the report job) also build the site: INFRA_DIGEST_SITE_DIR or site_dir was given
    site_url: str | None = None
    subscriptions: str | None = None  # None: runs deliver nothing
    github_web_origin: str | None = None  # None: derived from github_api_url (see web_origin)
    github_timeout: float = DEFAULT_GITHUB_TIMEOUT
    github_request_deadline: float = DEFAULT_GITHUB_REQUEST_DEADLINE
    fetch_budget: float = DEFAULT_FETCH_BUDGET
    github_max_rate_limit_wait: float = DEFAULT_GITHUB_MAX_RATE_LIMIT_WAIT
    github_releases: bool = False
    github_hot: bool = False
    git_tags: bool = False
    llm_day_deadline: float = DEFAULT_LLM_DAY_DEADLINE
    backfill_loop_seconds: float = DEFAULT_BACKFILL_LOOP_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, demo_world: bool = True, **overrides: object) -> Settings:
        """Settings from ``environ`` (default: the process environment); ``overrides`` that are not None win
        (the CLI passes its options this way: ``Settings.from_env(db=args.db, ...)``).

        ``demo_world``: when the source is the demo and no database / report folder is given, use the demo's own
        (``data/demo.duckdb``, ``reports/demo``). Commands that read no source (``sql``, ``status``) pass False:
        they look at the default history unless told otherwise."""

        def get(name: str, default: str | None = None) -> str | None:
            return env(name, default, environ)

        include = get(ENV_CELERY_INCLUDE, DEFAULT_CELERY_INCLUDE) or ""
        values: dict[str, object] = {
            "db": get(ENV_DB, DEFAULT_DB),
            "reports_dir": get(ENV_REPORTS_DIR, DEFAULT_REPORTS_DIR),
            "source": get(ENV_SOURCE, DEFAULT_SOURCE),
            "lang": get(ENV_LANG, DEFAULT_LANG),
            "watchlist": get(ENV_WATCHLIST),
            "start_date": get(ENV_START_DATE),
            "github_api_url": get(ENV_GITHUB_API_URL, DEFAULT_GITHUB_API_URL),
            "record_dir": get(ENV_RECORD_DIR),
            "git_dir": get(ENV_GIT_DIR, DEFAULT_GIT_DIR),
            "llm_model": get(ENV_LLM_MODEL),
            "llm_api_base": get(ENV_LLM_API_BASE),
            "lake_data_path": get(ENV_LAKE_DATA_PATH),
            "executor": (get(ENV_EXECUTOR, DEFAULT_EXECUTOR) or DEFAULT_EXECUTOR).strip().lower(),
            "celery_broker": get(ENV_CELERY_BROKER, DEFAULT_CELERY_BROKER),
            "celery_backend": get(ENV_CELERY_BACKEND, DEFAULT_CELERY_BACKEND),
            "celery_include": tuple(m.strip() for m in include.split(",") if m.strip()),
            "celery_queue": get(ENV_CELERY_QUEUE, DEFAULT_CELERY_QUEUE),
            "site_dir": get(ENV_SITE_DIR, DEFAULT_SITE_DIR),
            "publish_site": get(ENV_SITE_DIR) is not None or overrides.get("site_dir") is not None,
            "site_url": get(ENV_SITE_URL),
            "subscriptions": get(ENV_SUBSCRIPTIONS),
            "github_web_origin": get(ENV_GITHUB_WEB_ORIGIN),
            "github_timeout": parse_seconds(ENV_GITHUB_TIMEOUT, get(ENV_GITHUB_TIMEOUT), DEFAULT_GITHUB_TIMEOUT),
            "github_request_deadline": parse_seconds(ENV_GITHUB_REQUEST_DEADLINE, get(ENV_GITHUB_REQUEST_DEADLINE),
                                                     DEFAULT_GITHUB_REQUEST_DEADLINE),
            "fetch_budget": parse_seconds(ENV_FETCH_BUDGET, get(ENV_FETCH_BUDGET), DEFAULT_FETCH_BUDGET),
            "github_max_rate_limit_wait": parse_seconds(ENV_GITHUB_MAX_RATE_LIMIT_WAIT, get(ENV_GITHUB_MAX_RATE_LIMIT_WAIT),
                                                        DEFAULT_GITHUB_MAX_RATE_LIMIT_WAIT),
            "github_releases": parse_bool(ENV_GITHUB_RELEASES, get(ENV_GITHUB_RELEASES)),
            "github_hot": parse_bool(ENV_GITHUB_HOT, get(ENV_GITHUB_HOT)),
            "git_tags": parse_bool(ENV_GIT_TAGS, get(ENV_GIT_TAGS)),
            "llm_day_deadline": parse_seconds(ENV_LLM_DAY_DEADLINE, get(ENV_LLM_DAY_DEADLINE), DEFAULT_LLM_DAY_DEADLINE),
            "backfill_loop_seconds": parse_seconds(ENV_BACKFILL_LOOP_SECONDS, get(ENV_BACKFILL_LOOP_SECONDS),
                                                   DEFAULT_BACKFILL_LOOP_SECONDS),
        }
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        if demo_world and values["source"] == DEMO_SOURCE:  # the demo never writes into the default history
            if get(ENV_DB) is None and overrides.get("db") is None:
                values["db"] = DEMO_DB
            if get(ENV_REPORTS_DIR) is None and overrides.get("reports_dir") is None:
                values["reports_dir"] = DEMO_REPORTS_DIR
            # nor publishes the invented rows: no site, no delivery unless the command asks for them
            if overrides.get("site_dir") is None:
                values["publish_site"] = False
            if overrides.get("subscriptions") is None:
                values["subscriptions"] = None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def web_origin(self) -> str:
        """The GitHub web origin reports may link into: ``https://github.com`` for the public API, the Enterprise
        host for ``https://HOST/api/v3``."""
        from urllib.parse import urlsplit

        if self.github_web_origin:
            return self.github_web_origin.rstrip("/")
        parts = urlsplit(self.github_api_url)
        if parts.hostname in (None, "api.github.com") or parts.hostname in ("127.0.0.1", "localhost"):
            return "https://github.com"  # the public API, or a local fake of it in tests
        return f"{parts.scheme}://{parts.netloc}"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
