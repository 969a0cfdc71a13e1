"""The live GitHub REST source, in three layers:

- :mod:`.client`: HTTP (session, conditional requests, rate limits, retries, deadlines, redaction, stats);
- :mod:`.listings`: the commit, issue and pull listings and commit details, with their stop rules;
- :mod:`.source`: :class:`GitHubSource`, which assigns the items to days and builds the DayBatches.

Record mode is not part of it: :class:`infra_digest.sources.record.RecordingSource` wraps any source.
"""

from infra_digest.sources.github.client import (
    DEFAULT_API_URL,
    DeadlineError,
    GitHubClient,
    GitHubConfig,
    GitHubFetchError,
    GitHubHTTPError,
    RateLimitError,
    RequestStats,
)
from infra_digest.sources.github.listings import MAX_COMMIT_FILES
from infra_digest.sources.github.source import TRUNCATION_NOTE, TRUNCATION_NOTE_RE, GitHubSource

__all__ = [
    "DEFAULT_API_URL",
    "MAX_COMMIT_FILES",
    "TRUNCATION_NOTE",
    "TRUNCATION_NOTE_RE",
    "DeadlineError",
    "GitHubClient",
    "GitHubConfig",
    "GitHubFetchError",
    "GitHubHTTPError",
    "GitHubSource",
    "RateLimitError",
    "RequestStats",
]
