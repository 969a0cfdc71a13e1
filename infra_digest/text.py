"""Cleaning untrusted text for display: no invisible or control characters reach a report or a terminal.

Titles, bodies, names, file names and model answers can carry characters a reader cannot see but a renderer or
a terminal acts on: bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, which reorder what is
shown, "Trojan Source"), zero-width and other format characters (U+200B-U+200D, U+2060, U+FEFF, tag characters
U+E0000-U+E007F), C0/C1 control characters (NUL, BEL, ESC: terminal escape sequences), line and paragraph
separators and lone surrogates.

:func:`clean_text` removes them (``mode="remove"``, for reports) or shows them as ``⟨U+202E⟩``
(``mode="visible"``, for a terminal or a log where the reader should see that something was there). Tab and
newline are kept unless ``keep_newlines=False`` (then they become spaces). Text is NFC-normalised.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = ["clean_text", "has_invisible", "INVISIBLE"]

# Every character we never show as is: C0 and C1 controls (tab and newline handled apart), DEL, format characters
# (Cf: bidi controls, zero-width characters, BOM, tag characters, ...), line/paragraph separators, surrogates.
_C0_C1 = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_FORMAT = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
           "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
           "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_SEPARATORS = "\u2028\u2029"
_SURROGATES = "\ud800-\udfff"
INVISIBLE = re.compile(f"[{_C0_C1}{_FORMAT}{_SEPARATORS}{_SURROGATES}]")
_NEWLINE_TAB = re.compile(r"\r\n?|[\n\t]")


def _visible(ch: str) -> str:
    return f"⟨U+{ord(ch):04X}⟩"


def _is_invisible(ch: str) -> bool:
    return bool(INVISIBLE.match(ch)) or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def clean_text(value: object, mode: Literal["remove", "visible"] = "remove", keep_newlines: bool = True) -> str:
    """``value`` as text without invisible or control characters (see the module's docstring). Linear time."""
    text = str(value)
    if not keep_newlines:
        text = _NEWLINE_TAB.sub(" ", text)
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if mode == "visible":
        out = INVISIBLE.sub(lambda m: _visible(m.group(0)) if m.group(0) not in _SEPARATORS else " ", text)
    else:
        out = INVISIBLE.sub(lambda m: " " if m.group(0) in _SEPARATORS else "", text)
    # characters of those categories that the table above does not list (new Unicode versions)
    if any(ord(ch) > 0x7F and _is_invisible(ch) for ch in out if ch not in "\n\t"):
        out = "".join((_visible(ch) if mode == "visible" else "") if ch not in "\n\t" and _is_invisible(ch) else ch
                      for ch in out)
    try:
        return unicodedata.normalize("NFC", out)
    except UnicodeError:  # pragma: no cover - surrogates are gone above
        return out


def has_invisible(value: object) -> bool:
    text = str(value)
    return any(ch not in "\n\t" and _is_invisible(ch) for ch in text)
