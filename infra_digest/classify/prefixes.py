"""Title parsing: PR references, leading prefixes ("[Bugfix]", "(ci):", "fix(x):") and masked identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .taxonomy import Taxonomy, norm_key

__all__ = ["Prefix", "clean_title", "parse_prefixes", "mask_identifiers"]

# Every pattern here is linear in the text's length (no quadratic backtracking): an unbounded run that may
# fail to match is entered only at the start of the run (a lookbehind), or is possessive.
_PR_REF = re.compile(r"(?<!\s)\s*\(#\d+\)|(?<!\s)\s*\(#\d+…?\s*|(?<!\s)\s+#\d+\s*$")
_BRACKET = re.compile(r"^\s*\[([^\[\]]{1,48})\]\s*:?\s*")
_PAREN = re.compile(r"^\s*\(([A-Za-z][\w ./-]{0,30})\)\s*+:\s*")
_CONVENTIONAL = re.compile(r"^\s*+([A-Za-z][A-Za-z0-9./ -]{0,28}?)\s*+(?:\(([^()]{0,40})\))?!?\s*+:\s++(?=\S)")
_IDENT = re.compile(r"`[^`]*`|(?<![A-Za-z0-9])[A-Za-z0-9]*(?:[_./:][A-Za-z0-9]+)+[A-Za-z0-9_]*(?:\(\))?|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,}\b")
_VERSION = re.compile(r"v?\d+(?:\.\d+)+[a-z0-9]*")
MAX_PREFIXES = 8


@dataclass(frozen=True)
class Prefix:
    raw: str  # as written, e.g. "[Bugfix]" or "fix(ci):"
    key: str  # normalised key, e.g. "bugfix" or "fix"
    scope: str = ""
    conventional: bool = False


def clean_title(title: str) -> str:
    """The title without PR references ("(#123)"), whitespace collapsed."""
    t = (title or "").strip()
    t = _PR_REF.sub(" ", t).strip()
    return re.sub(r"\s+", " ", t)


def parse_prefixes(tax: Taxonomy, title: str) -> tuple[list[Prefix], str]:
    """Split leading "[A][B] (c): type(scope): " prefixes off a title.

    A conventional "word(scope): " prefix is taken when it is a single word (a type or a
    scope such as "benchmarks:") or a known multi-word prefix ("Feature Request:", "Fix CI:").
    A "word(scope):" that is itself a prefix key of the taxonomy ("chore(deps):") keeps its scope in the key.
    """
    out: list[Prefix] = []
    rest = title
    for _ in range(MAX_PREFIXES):
        m = _BRACKET.match(rest)
        if m:
            out.append(Prefix(f"[{m.group(1).strip()}]", norm_key(m.group(1))))
            rest = rest[m.end():]
            continue
        m = _PAREN.match(rest)
        if m:
            out.append(Prefix(f"({m.group(1).strip()}):", norm_key(m.group(1))))
            rest = rest[m.end():]
            continue
        m = _CONVENTIONAL.match(rest)
        if m and (len(m.group(1).split()) == 1 or (len(m.group(1).split()) <= 3 and tax.known_prefix(norm_key(m.group(1))))):
            word, scope = m.group(1), (m.group(2) or "")
            raw = f"{word.strip()}({scope}):" if m.group(2) is not None else f"{word.strip()}:"
            key = norm_key(word)
            if m.group(2) is not None and norm_key(f"{word}({scope})") in tax.prefix_types:
                key = norm_key(f"{word}({scope})")
            out.append(Prefix(raw, key, norm_key(scope), True))
            rest = rest[m.end():]
            continue
        break
    return out, rest.strip()


def mask_identifiers(text: str) -> str:
    """Code identifiers ("trtllm_allreduce_fusion", "torch.compile", `x`) replaced by "ident" ("testname" for
    test identifiers), so that words inside them are not read as title cues.  Versions are kept."""

    def repl(m: re.Match) -> str:
        s = m.group(0)
        if _VERSION.fullmatch(s):
            return s
        low = s.lower().strip("`")
        if low.startswith("test") or "/test" in low or "_test" in low or ".test" in low:
            return "testname"
        return "ident"

    return _IDENT.sub(repl, text)
