"""One Settings from the environment and the CLI's options; every query the code runs comes from sql/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra_digest import settings
from infra_digest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("environ,overrides,expected", [
    ({"INFRA_DIGEST_SOURCE": "github"}, {}, {"db": settings.DEFAULT_DB, "reports_dir": settings.DEFAULT_REPORTS_DIR,
                                             "lang": "zh", "executor": "in_process", "start_date": None,
                                             "celery_include": ("infra_digest.definitions",), "watchlist": None}),
    # the demo (the default source) is its own world unless a database or folder is given
    ({}, {}, {"source": settings.DEMO_SOURCE, "db": settings.DEMO_DB, "reports_dir": settings.DEMO_REPORTS_DIR}),
    ({"INFRA_DIGEST_DB": "x.duckdb"}, {}, {"db": "x.duckdb", "reports_dir": settings.DEMO_REPORTS_DIR}),
    ({"INFRA_DIGEST_DB": "x.duckdb", "INFRA_DIGEST_LANG": "en", "INFRA_DIGEST_EXECUTOR": " Celery ",
      "INFRA_DIGEST_CELERY_INCLUDE": "a, b,,", "INFRA_DIGEST_CELERY_QUEUE": "q1"}, {},
     {"db": "x.duckdb", "lang": "en", "executor": "celery", "celery_include": ("a", "b"), "celery_queue": "q1"}),
    ({"INFRA_DIGEST_DB": "x.duckdb", "INFRA_DIGEST_REPORTS_DIR": ""}, {"db": "cli.duckdb", "reports_dir": None, "source": "git"},
     {"db": "cli.duckdb", "reports_dir": settings.DEFAULT_REPORTS_DIR}),  # options win; None and "" mean unset
    ({"GITHUB_TOKEN": "ghp_secret"}, {}, {"github_token_env": "GITHUB_TOKEN"}),
])
def test_settings_from_environment_and_options(environ, overrides, expected):
    s = Settings.from_env(environ, **overrides)
    assert {k: getattr(s, k) for k in expected} == expected
    assert "ghp_secret" not in repr(s)  # the token's variable name is held, never its value


def test_settings_reject_unknown_options():
    with pytest.raises(TypeError, match="bogus"):
        Settings.from_env({}, bogus=1)


def test_every_environment_variable_read_is_a_settings_field():
    """Every INFRA_DIGEST_* variable any module names is declared in settings.py and held by Settings."""
    names = {v for k, v in vars(settings).items() if k.startswith("ENV_")}
    for path in (ROOT / "infra_digest").rglob("*.py"):
        if path.name == "settings.py":
            continue
        for name in re.findall(r"[\"'](INFRA_DIGEST_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")):
            assert name in names, f"{path} reads {name}, which settings.py does not declare"
    base = {"INFRA_DIGEST_SOURCE": "github"}
    typed = {settings.ENV_GITHUB_RELEASES: "1", settings.ENV_GITHUB_HOT: "1", settings.ENV_GIT_TAGS: "1",
             settings.ENV_GITHUB_TIMEOUT: "7", settings.ENV_GITHUB_REQUEST_DEADLINE: "7", settings.ENV_FETCH_BUDGET: "7",
             settings.ENV_GITHUB_MAX_RATE_LIMIT_WAIT: "7", settings.ENV_LLM_DAY_DEADLINE: "7",
             settings.ENV_BACKFILL_LOOP_SECONDS: "7"}
    for var in names - {settings.ENV_GITHUB_TOKEN}:  # the token: Settings holds its variable's name, not its value
        value = typed.get(var, "x-value")
        assert Settings.from_env({**base, var: value}) != Settings.from_env(base), f"Settings does not read {var}"
    for var in typed:  # a value of the wrong type is refused, naming the variable
        with pytest.raises(settings.SettingsError, match=var):
            Settings.from_env({**base, var: "x-value"})
    assert {"INFRA_DIGEST_CELERY_BROKER", "INFRA_DIGEST_CELERY_BACKEND", "INFRA_DIGEST_CELERY_INCLUDE",
            "INFRA_DIGEST_CELERY_QUEUE", "INFRA_DIGEST_LAKE_DATA_PATH"} <= names


def test_celery_config_comes_from_settings():
    from infra_digest.defs.executors import celery_config

    conf = celery_config(Settings.from_env({"INFRA_DIGEST_CELERY_BROKER": "pyamqp://guest@h:5672//",
                                            "INFRA_DIGEST_CELERY_QUEUE": "mine"}))
    assert conf["broker"] == "pyamqp://guest@h:5672//" and conf["config_source"]["task_default_queue"] == "mine"


def test_query_text_is_the_file_without_its_semicolon():
    from infra_digest.storage.db import query_text

    text = query_text("10_fetch_problems")
    assert text == query_text("10_fetch_problems.sql") == query_text("queries/10_fetch_problems")
    assert "raw.fetch_log" in text and not text.rstrip().endswith(";")
    assert query_text("checks/known_links").lstrip().startswith("--")
    with pytest.raises(FileNotFoundError, match="nope"):
        query_text("nope")


def test_the_failed_fetch_query_is_written_once():
    """The failed-fetch SQL lives in sql/queries/10_fetch_problems.sql only."""
    pattern = re.compile(r"status\s*=\s*'failed'")
    hits = [p.relative_to(ROOT) for p in [*(ROOT / "infra_digest").rglob("*.py"), *(ROOT / "sql").rglob("*.sql")]
            if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == [Path("sql/queries/10_fetch_problems.sql")]
