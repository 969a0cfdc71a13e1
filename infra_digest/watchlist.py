"""The watchlist: which repositories the digest follows, in report order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from infra_digest.settings import ENV_WATCHLIST, PACKAGE_DIR, env


@dataclass(frozen=True)
class RepoSpec:
    repo: str  # "owner/name"
    name: str  # display name
    branch: str = "main"
    remote: str | None = None  # git remote for the git source; default https://github.com/<repo>.git

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    @property
    def short(self) -> str:
        return self.repo.split("/", 1)[1]

    @property
    def dirname(self) -> str:
        """Folder name in the replay layout: ``owner__name``."""
        return self.repo.replace("/", "__")

    @property
    def html_url(self) -> str:
        return f"https://github.com/{self.repo}"

    @property
    def git_remote(self) -> str:
        return self.remote or f"https://github.com/{self.repo}.git"


class WatchlistError(ValueError):
    pass


def parse_watchlist(data: object, origin: str = "watchlist") -> tuple[RepoSpec, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("repos"), list):
        raise WatchlistError(f"{origin}: expected a mapping with a 'repos' list")
    specs: list[RepoSpec] = []
    seen: set[str] = set()
    for i, entry in enumerate(data["repos"]):
        if not isinstance(entry, dict) or "repo" not in entry:
            raise WatchlistError(f"{origin}: entry {i} needs a 'repo: owner/name' field")
        repo = str(entry["repo"]).strip()
        if repo.count("/") != 1 or any(c in repo for c in "|[],"):
            raise WatchlistError(f"{origin}: entry {i}: {repo!r} is not 'owner/name'")
        if repo.lower() in seen:
            raise WatchlistError(f"{origin}: {repo} is listed twice")
        seen.add(repo.lower())
        specs.append(
            RepoSpec(
                repo=repo,
                name=str(entry.get("name") or repo.split("/")[1]),
                branch=str(entry.get("branch") or "main"),
                remote=entry.get("remote"),
            )
        )
    if not specs:
        raise WatchlistError(f"{origin}: the watchlist is empty")
    return tuple(specs)


@lru_cache(maxsize=8)
def load_watchlist(path: str | None = None) -> tuple[RepoSpec, ...]:
    """Load the watchlist from ``path``, ``$INFRA_DIGEST_WATCHLIST`` or the packaged ``watchlist.yaml``."""
    p = Path(path or env(ENV_WATCHLIST) or PACKAGE_DIR / "watchlist.yaml")
    with open(p, encoding="utf-8") as f:
        return parse_watchlist(yaml.safe_load(f), str(p))


def repo_by_name(repo: str, watchlist: tuple[RepoSpec, ...] | None = None) -> RepoSpec:
    for spec in watchlist or load_watchlist():
        if spec.repo == repo:
            return spec
    raise KeyError(repo)
