"""Explainable rule-based classification of commits, pull requests and issues (issue #4).

Taxonomy (label ids, aliases, cues, path patterns) is data: ``taxonomy.yaml``.
See ``docs/taxonomy.md``.
"""

from .inputs import ClassifyInput, classify_input, classify_inputs, input_from_github
from .rules import Labels, classify
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["ClassifyInput", "Labels", "Taxonomy", "classify", "classify_input", "classify_inputs", "input_from_github", "load_taxonomy"]
