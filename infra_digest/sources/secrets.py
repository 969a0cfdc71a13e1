"""Keeping a secret (the GitHub token) out of every text a source produces.

:class:`Redactor` removes the token *and every piece of it at least* :data:`MIN_PIECE` *characters long*
(a server may echo a header cut short, or a message may be cut in the middle of it), and it redacts BEFORE
any text is cut to a length, so a cut can never leave a prefix of the token behind. Every message, note,
stat and log line of the sources goes through :meth:`Redactor.text`; every JSON body the GitHub client
receives goes through :meth:`Redactor.json` before it is cached, recorded or returned.
"""

from __future__ import annotations

import re
from typing import Any

MIN_PIECE = 8  # no run of this many consecutive characters of the token survives
MASK = "***"
_SCAN_LIMIT = 1 << 16  # messages are cut to far less than this; bodies are redacted string by string


class Redactor:
    def __init__(self, secret: str | None) -> None:
        self.secret = secret or None
        s = self.secret or ""
        n = min(MIN_PIECE, len(s))
        self._pieces = sorted({s[i : i + n] for i in range(len(s) - n + 1)}) if s else []

    def __bool__(self) -> bool:
        return self.secret is not None

    def text(self, text: str, limit: int | None = None) -> str:
        """``text`` without any piece of the secret, then cut to ``limit`` characters (with an ellipsis)."""
        text = str(text)
        if limit is not None and len(text) > _SCAN_LIMIT:
            text = text[:_SCAN_LIMIT]
        if self._pieces:
            text = self._mask(text)
        if limit is not None and len(text) > limit:
            text = text[: max(0, limit - 1)] + "…"
        return text

    def _mask(self, text: str) -> str:
        spans: list[tuple[int, int]] = []
        for piece in self._pieces:
            start = text.find(piece)
            while start != -1:
                spans.append((start, start + len(piece)))
                start = text.find(piece, start + 1)
        if not spans:
            return text
        spans.sort()
        merged = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        out, pos = [], 0
        for a, b in merged:
            out += [text[pos:a], MASK]
            pos = b
        out.append(text[pos:])
        return "".join(out)

    def json(self, value: Any) -> Any:
        """A JSON value with every string (keys included) redacted; the same object when nothing changed."""
        if not self._pieces:
            return value
        if isinstance(value, str):
            return self._mask(value) if len(value) >= len(self._pieces[0]) else value
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.json(k): self.json(v) for k, v in value.items()}
        return value


_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")


def hide_credentials(text: str) -> str:
    """``https://user:token@host/...`` -> ``https://***@host/...`` anywhere in ``text`` (git remotes, stderr)."""
    return _URL_USERINFO.sub(r"\1***@", text)
