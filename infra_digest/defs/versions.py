"""Code versions of the derived assets, from what decides their content, so that Dagster shows which partitions
a rule, prompt or template change made stale (and a backfill of the stale ones brings them up to date).

- classified_changes: the taxonomy (``classify/taxonomy.yaml``);
- daily_digest: the prompts (``summarize/prompts/*.j2``) and the model (none: the extractive summarizer);
- daily_report: the templates (``report/templates/*.j2``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from infra_digest.defs.constants import CLASSIFIED_CHANGES, DAILY_DIGEST, DAILY_REPORT
from infra_digest.settings import PACKAGE_DIR, Settings


def _hash(files: Iterable[Path], *extra: str) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for value in extra:
        h.update(value.encode() + b"\0")
    return h.hexdigest()[:16]


def code_versions(settings: Settings, package_dir: Path = PACKAGE_DIR) -> dict[dg.AssetKey, str]:
    return {
        CLASSIFIED_CHANGES: _hash([package_dir / "classify" / "taxonomy.yaml"]),
        DAILY_DIGEST: _hash((package_dir / "summarize" / "prompts").glob("*.j2"), f"model={settings.llm_model or 'extractive'}"),
        DAILY_REPORT: _hash((package_dir / "report" / "templates").glob("*.j2")),
    }
