"""Resources: where the history lives, where raw facts come from, how reports are written.

Values come from the one :class:`~infra_digest.settings.Settings` (see :func:`resources_for`); nothing here
reads ``os.environ`` except the GitHub token, which is read from its variable when a source is built so that it
never enters Dagster run config, metadata or logs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from infra_digest import settings
from infra_digest.sources.base import Source, SourceError
from infra_digest.storage.db import connect, describe_history


class StorageResource(dg.ConfigurableResource):
    """The history: a DuckDB file path, or a DuckLake target (``ducklake:postgres:dbname=... host=...``)."""

    db_path: str = settings.DEFAULT_DB
    lake_data_path: str | None = None  # where a new DuckLake writes its Parquet files

    def describe(self) -> str:
        """The history database, for metadata (absolute path, or a DuckLake target without secrets)."""
        return describe_history(self.db_path)

    def connect(self, read_only: bool = False, wait_seconds: float = 120.0):
        return connect(self.db_path, read_only=read_only, wait_seconds=wait_seconds, data_path=self.lake_data_path)


def parse_source_spec(spec: str) -> tuple[str, str | None]:
    """``"replay:DIR"`` -> ("replay", "DIR"); ``"github"`` -> ("github", None); ``"git"``; ``"git+github"``."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "replay":
        if not arg:
            raise SourceError("the replay source needs a directory: --source replay:DIR")
        return kind, arg
    if kind in ("github", "git", "git+github") and not arg:
        return kind, None
    raise SourceError(f"unknown source {spec!r}: use replay:DIR, github, git or git+github")


class SourceResource(dg.ConfigurableResource):
    """Which source feeds ``raw.events``: ``replay:DIR`` (``replay:demo`` = the packaged demo), ``github``, ``git``
    or ``git+github`` (commits from git mirrors, issues and PRs from the GitHub API)."""

    spec: str = settings.DEFAULT_SOURCE
    github_api_url: str = settings.DEFAULT_GITHUB_API_URL
    github_token_env: str = settings.ENV_GITHUB_TOKEN  # the NAME of the variable holding the token
    record_dir: str | None = None  # github: also write what was fetched in the replay layout
    git_dir: str = settings.DEFAULT_GIT_DIR
    timeout: float = settings.DEFAULT_GITHUB_TIMEOUT  # each connect and read
    request_deadline: float = settings.DEFAULT_GITHUB_REQUEST_DEADLINE  # one whole request
    fetch_budget: float = settings.DEFAULT_FETCH_BUDGET  # everything a run fetches from GitHub
    max_rate_limit_wait: float = settings.DEFAULT_GITHUB_MAX_RATE_LIMIT_WAIT
    releases: bool = False  # github: also list releases
    hot: bool = False  # github: also list the issues and PRs updated on the day (hot discussions)
    git_tags: bool = False  # git: also read the mirrors' tags as releases

    @property
    def kind(self) -> str:
        return parse_source_spec(self.spec)[0]

    def describe(self) -> str:
        """Kind and location, for metadata and the schedule: ``replay:/abs/dir``, ``github:https://api...``, ..."""
        kind = self.kind
        if kind == "replay":
            return f"replay:{self.replay_dir().resolve()}"
        if kind == "github":
            return f"github:{self.github_api_url}"
        if kind == "git":
            return f"git:{Path(self.git_dir).resolve()}"
        return f"git+github:{Path(self.git_dir).resolve()} + {self.github_api_url}"

    def replay_dir(self) -> Path:
        _, arg = parse_source_spec(self.spec)
        return settings.DEMO_REPLAY_DIR if arg == "demo" else Path(arg or "")

    def build(self, db_path: str, log=None) -> Source:
        kind, _ = parse_source_spec(self.spec)
        if kind == "replay":
            from infra_digest.sources.replay import ReplaySource

            return ReplaySource(self.replay_dir())
        if kind == "github":
            return self._github(db_path, log)
        if kind == "git":
            from infra_digest.sources.git import GitSource

            return GitSource(self.git_dir, log=log, tags=self.git_tags)
        from infra_digest.sources.combined import CombinedSource
        from infra_digest.sources.git import GitSource

        return CombinedSource(commits=GitSource(self.git_dir, log=log, tags=self.git_tags), others=self._github(db_path, log))

    def _github(self, db_path: str, log) -> Source:
        from infra_digest.sources.github import GitHubClient, GitHubConfig, GitHubSource
        from infra_digest.sources.http_cache import DuckDBHttpCache
        from infra_digest.sources.record import RecordingSource

        config = GitHubConfig(self.github_api_url, timeout=self.timeout, request_deadline=self.request_deadline,
                              fetch_budget=self.fetch_budget, max_rate_limit_wait=self.max_rate_limit_wait)
        client = GitHubClient(config, os.environ.get(self.github_token_env) or None,
                              http_cache=DuckDBHttpCache(db_path), log=log)
        src = GitHubSource(client, releases=self.releases, hot=self.hot)
        return RecordingSource(src, self.record_dir, log=log) if self.record_dir else src


class ReportResource(dg.ConfigurableResource):
    """Report languages and the folder the report files go to."""

    langs: list[str] = [settings.DEFAULT_LANG]
    out_dir: str = settings.DEFAULT_REPORTS_DIR
    web_origin: str = "https://github.com"  # the only origin a report links into (GitHub, or an Enterprise host)


class PublishResource(dg.ConfigurableResource):
    """Where the archive site goes and who gets the deliveries. The report job includes ``site`` only when a site
    folder was configured and ``deliveries`` only with a subscriptions file (``defs.publish.publish_keys``); a manual
    materialization of ``deliveries`` without one sends nothing."""

    site_dir: str = settings.DEFAULT_SITE_DIR
    site_url: str | None = None  # where the site is served: absolute feed links, "more" links in messages
    subscriptions: str | None = None  # the subscriptions YAML file


def resources_for(s: settings.Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset and check uses, bound from one Settings."""
    from infra_digest.summarize.llm import LLMResource

    return {
        "storage": StorageResource(db_path=s.db, lake_data_path=s.lake_data_path),
        "source": SourceResource(spec=s.source, github_api_url=s.github_api_url, github_token_env=s.github_token_env,
                                 git_dir=s.git_dir, record_dir=s.record_dir, timeout=s.github_timeout,
                                 request_deadline=s.github_request_deadline, fetch_budget=s.fetch_budget,
                                 max_rate_limit_wait=s.github_max_rate_limit_wait, releases=s.github_releases,
                                 hot=s.github_hot, git_tags=s.git_tags),
        "llm": LLMResource(model=s.llm_model, api_base=s.llm_api_base, day_deadline_seconds=s.llm_day_deadline),
        "report": ReportResource(langs=[s.lang], out_dir=s.reports_dir, web_origin=s.web_origin),
        "publish": PublishResource(site_dir=s.site_dir, site_url=s.site_url, subscriptions=s.subscriptions),
    }
