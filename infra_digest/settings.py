"""Every environment variable the project reads, with its default, in one place.

Only edges (the CLI, resource bindings in ``defs/``) read the environment; pure code takes values as arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

# Storage: a DuckDB file path, or a DuckLake target "ducklake:postgres:dbname=... host=..." (docs/scaling.md)
ENV_DB = "INFRA_DIGEST_DB"
ENV_LAKE_DATA_PATH = "INFRA_DIGEST_LAKE_DATA_PATH"  # where a new DuckLake writes its Parquet files
DEFAULT_DB = "data/infra_digest.duckdb"
ENV_REPORTS_DIR = "INFRA_DIGEST_REPORTS_DIR"
DEFAULT_REPORTS_DIR = "reports"

# Executor of a run's steps: in_process (default) or celery (see docs/scaling.md)
ENV_EXECUTOR = "INFRA_DIGEST_EXECUTOR"

# Source: "replay:DIR", "github" or "git"
ENV_SOURCE = "INFRA_DIGEST_SOURCE"
DEFAULT_SOURCE = "replay:demo"  # the demo dataset shipped in the package
ENV_LANG = "INFRA_DIGEST_LANG"
DEFAULT_LANG = "zh"
ENV_WATCHLIST = "INFRA_DIGEST_WATCHLIST"

# First day of the date partitions
ENV_START_DATE = "INFRA_DIGEST_START_DATE"
DEFAULT_START_DATE = "2025-01-01"

# GitHub
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_GITHUB_API_URL = "GITHUB_API_URL"
DEFAULT_GITHUB_API_URL = "https://api.github.com"

# github source: also write what was fetched in the replay layout (record mode)
ENV_RECORD_DIR = "INFRA_DIGEST_RECORD_DIR"

# git mirrors
ENV_GIT_DIR = "INFRA_DIGEST_GIT_DIR"
DEFAULT_GIT_DIR = "data/git"

# LLM
ENV_LLM_MODEL = "INFRA_DIGEST_LLM_MODEL"
ENV_LLM_API_BASE = "INFRA_DIGEST_LLM_API_BASE"

LANGS = ("zh", "en")

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_REPLAY_DIR = PACKAGE_DIR / "demo" / "replay"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default
