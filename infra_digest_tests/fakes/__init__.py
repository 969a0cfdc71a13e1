"""Test doubles: a fake GitHub REST API serving a replay-layout directory over real HTTP.

``from infra_digest_tests.fakes import serve_replay, FakeGitHub`` (imported lazily, so that
``python -m infra_digest_tests.fakes.github_server`` runs the module only once).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FakeGitHub", "Req", "load_replay", "serve_replay", "standard_faults"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from infra_digest_tests.fakes import github_server

        return getattr(github_server, name)
    raise AttributeError(name)
