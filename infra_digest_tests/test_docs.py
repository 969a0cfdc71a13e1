"""The docs cannot drift from the code: every CLI option, table and environment variable is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra_digest import settings
from infra_digest.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# README.md, and the pages under docs/ it links to (variables of scaling, operations, delivery live there).
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _options():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for action in p._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help":
                    yield name, opt


@pytest.mark.parametrize("command,option", sorted(set(_options())))
def test_every_cli_option_is_documented(command, option):
    assert option in README, f"`infra-digest {command} {option}` is not in README.md"


@pytest.mark.parametrize("var", sorted(v for k, v in vars(settings).items() if k.startswith("ENV_")))
def test_every_environment_variable_is_documented(var):
    assert var in DOCS, f"{var} is neither in README.md nor in docs/*.md"


def test_every_table_is_documented():
    tables = set()
    for ddl in (ROOT / "sql" / "ddl").glob("*.sql"):
        tables |= set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+\.\w+)", ddl.read_text()))
    docs = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    missing = [t for t in sorted(tables) if t not in docs]
    assert not missing, f"tables in no document (README.md, docs/*.md): {missing}"
