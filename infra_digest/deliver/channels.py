"""Send one message to one apprise URL: retries, the channel's length limit, and errors with no secret in them.

apprise logs through the ``apprise`` logger, sometimes with the full URL (tokens included) at debug level, and
urllib3 logs each request line (path and query) at debug level. While we send, apprise's logger writes only to a
private collector and the HTTP libraries' loggers are silenced (neither reaches the application's handlers), and
the reason we keep for a failure is scrubbed of every secret value and of every URL.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence

from infra_digest.deliver import feishu

# Characters a message body may have per scheme, where apprise's own limit is too generous for the service
# (Feishu, Lark and DingTalk limit the request to 20 KB, i.e. about 6,000 CJK characters).
LIMIT_OVERRIDES = {"feishu": 6000, "lark": 6000, "dingtalk": 6000, "feishusign": feishu.MAX_CHARS,
                   "larksign": feishu.MAX_CHARS}
DEFAULT_LIMIT = 32768
RETRY_DELAYS = (2.0, 8.0)  # seconds before the 2nd and 3rd attempt

# Loggers that may write a request URL (tokens in the path or query) while we send: apprise's lines are collected
# privately (for the scrubbed reason of a failure), the HTTP libraries' are silenced.
QUIET_LOGGERS = ("apprise", "urllib3", "requests")

_lock = threading.Lock()
_URLISH = re.compile(r"[a-z][a-z0-9+.-]{1,31}://\S+", re.I)


@dataclasses.dataclass
class SendResult:
    ok: bool
    attempts: int
    error: str | None = None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` without any secret value (nor any URL, which may embed one in a form we do not know)."""
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(s, "***")
    return _URLISH.sub("<url>", text)


def _apprise():
    import apprise

    feishu.register()
    return apprise


def limit_for(url: str, override: int | None = None) -> int:
    """The body length (characters) one message to ``url`` may have."""
    apprise = _apprise()
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    limit = DEFAULT_LIMIT
    if plugin is not None:
        limit = int(getattr(plugin, "body_maxlen", DEFAULT_LIMIT) or DEFAULT_LIMIT)
        scheme = url.split("://", 1)[0].lower()
        limit = min(limit, LIMIT_OVERRIDES.get(scheme, limit))
        # a plugin without a title field puts the title into the body
        if getattr(plugin, "title_maxlen", 250) <= 0:
            limit -= 260
    if override:
        limit = min(limit, override)
    return max(limit, 200)


def send_once(url: str, title: str, body: str, secrets: Sequence[str]) -> tuple[bool, str | None]:
    """One attempt; (ok, scrubbed reason)."""
    apprise = _apprise()
    collect = _Collect()
    with _lock:  # the loggers' configuration is process-wide
        saved = []
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            saved.append((logger, logger.propagate, logger.level, list(logger.handlers)))
            logger.handlers = [collect] if name == "apprise" else []
            logger.propagate = False
            logger.setLevel(logging.DEBUG if name == "apprise" else logging.CRITICAL + 1)
        try:
            obj = apprise.Apprise()
            if not obj.add(url):
                return False, f"apprise does not accept this URL (scheme {url.split('://', 1)[0]}://)"
            try:
                ok = bool(obj.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
            except Exception as exc:  # a plugin bug must not stop the other channels
                return False, scrub(f"{type(exc).__name__}: {exc}", [*secrets, url])
        finally:
            for logger, propagate, level, handlers in saved:
                logger.handlers = handlers
                logger.propagate = propagate
                logger.setLevel(level)
    if ok:
        return True, None
    msgs = [r.getMessage() for r in collect.records if r.levelno >= logging.WARNING]
    reason = "; ".join(dict.fromkeys(m.strip() for m in msgs if m.strip())) or "the channel refused the message"
    reason = scrub(reason, [*secrets, url])
    return False, reason[:400]


def send(url: str, title: str, body: str, secrets: Sequence[str], *,
         retry_delays: Sequence[float] | None = None, sleep: Callable[[float], None] = time.sleep) -> SendResult:
    """Send with retries (one attempt plus one per delay; default :data:`RETRY_DELAYS`). Never raises."""
    retry_delays = RETRY_DELAYS if retry_delays is None else retry_delays
    reason = None
    for attempt in range(1, len(retry_delays) + 2):
        ok, reason = send_once(url, title, body, secrets)
        if ok:
            return SendResult(True, attempt)
        if attempt <= len(retry_delays):
            sleep(retry_delays[attempt - 1])
    return SendResult(False, len(retry_delays) + 1, reason)
