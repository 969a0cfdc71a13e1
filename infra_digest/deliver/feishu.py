"""Signed requests to Feishu / Lark custom bots ("signature verification" security setting).

apprise's own ``feishu://`` and ``lark://`` plugins do not sign, so groups that require signed requests reject
them. This module adds two apprise schemes that do:

    feishusign://<token>?secret=${FEISHU_SECRET}     -> https://open.feishu.cn/open-apis/bot/v2/hook/<token>
    larksign://<token>?secret=${LARK_SECRET}         -> https://open.larksuite.com/open-apis/bot/v2/hook/<token>

``&base=http://127.0.0.1:8080`` sends to another host (a proxy, or the fake server of the tests) with the same
path. The signature, per Feishu's documentation: ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
message=b""))`` with ``timestamp`` in seconds, both sent in the JSON body. Feishu answers HTTP 200 with
``{"code": 0}`` on success and a non-zero ``code`` (19021: bad signature, 19022: stale timestamp) otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

HOSTS = {"feishusign": "https://open.feishu.cn", "larksign": "https://open.larksuite.com"}
HOOK_PATH = "/open-apis/bot/v2/hook/"
# Feishu limits a request body to 20 KB: at 3 bytes per CJK character, 6,000 characters fit.
MAX_CHARS = 6000
TIMEOUT = (5, 15)

log = logging.getLogger("apprise")  # captured and scrubbed with apprise's own log lines


def sign(secret: str, timestamp: int | str) -> str:
    """Feishu's custom-bot signature for ``timestamp`` (seconds)."""
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode("ascii")


def payload(text: str, secret: str | None, now: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
    if secret:
        ts = int(time.time() if now is None else now)
        body.update(timestamp=str(ts), sign=sign(secret, ts))
    return body


def endpoint(schema: str, token: str, base: str | None) -> str:
    root = HOSTS[schema]
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base must be an http(s) URL such as http://127.0.0.1:8080")
        root = f"{parts.scheme}://{parts.netloc}"
    return root + HOOK_PATH + token


def post(url: str, text: str, secret: str | None) -> tuple[bool, str | None]:
    """Send; (ok, reason). The reason never includes the URL (it holds the token) or the secret."""
    try:
        resp = requests.post(url, json=payload(text, secret), timeout=TIMEOUT)
    except requests.RequestException as exc:
        return False, f"request failed: {type(exc).__name__}"
    if resp.status_code != 200:
        return False, f"HTTP {resp.status_code}"
    try:
        answer = resp.json()
    except ValueError:
        return False, "the answer is not JSON"
    code = answer.get("code", answer.get("StatusCode", 0)) if isinstance(answer, dict) else None
    if code != 0:
        msg = answer.get("msg") or answer.get("StatusMessage") if isinstance(answer, dict) else None
        return False, f"Feishu refused the message: code {code}" + (f" ({str(msg)[:100]})" if msg else "")
    return True, None


def _send(schema: str):
    def send(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
        token = (meta.get("host") or "").strip()
        qsd = meta.get("qsd") or {}
        if not token:
            log.warning("%s: no bot token in the URL (%s://<token>?secret=...)", schema, schema)
            return False
        try:
            url = endpoint(schema, token, qsd.get("base"))
        except ValueError as exc:
            log.warning("%s: %s", schema, exc)
            return False
        text = f"{title}\n{body}" if title else body
        ok, reason = post(url, text, qsd.get("secret"))
        if not ok:
            log.warning("%s: %s", schema, reason)
        return ok

    return send


def register() -> None:
    """Add the two schemes to apprise (idempotent)."""
    from apprise.decorators import notify
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()
    for schema, name in (("feishusign", "Feishu (signed)"), ("larksign", "Lark (signed)")):
        if schema not in manager:
            notify(on=schema, name=name)(_send(schema))
