"""Explainable rule-based classification of commits, pull requests and issues (issue #4).

Taxonomy (label ids, aliases, cues, path patterns) is data: ``taxonomy.yaml``.
See ``docs/taxonomy.md``.
"""

from .rules import ClassifyInput, Labels, Taxonomy, classify, input_from_github, load_taxonomy
from infra_digest.transform import classify_input  # noqa: E402  (one adapter from core rows; moves here)

__all__ = ["ClassifyInput", "Labels", "Taxonomy", "classify", "classify_input", "input_from_github", "load_taxonomy"]
