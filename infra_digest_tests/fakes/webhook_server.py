"""Fake chat webhooks on 127.0.0.1, for delivery tests through the real apprise client.

One server, three kinds of endpoint:

- generic JSON (apprise ``json://``): ``POST /json/<name>`` records the JSON body, answers 200;
- Slack-compatible incoming webhook (apprise ``mmost://host:port/<token>``, Mattermost's Slack-compatible hooks):
  ``POST /hooks/<token>``: the token must be one the server knows (else 404 like Slack), the body must be JSON
  with a string ``text``; answers ``ok``;
- Feishu custom bot with signature verification: ``POST /open-apis/bot/v2/hook/<token>``: checks ``timestamp``
  (within an hour) and ``sign`` against its own computation of Feishu's algorithm, answering ``{"code": 0}`` or
  Feishu's ``{"code": 19021}`` on a bad signature.

``fail(path_prefix, times)`` makes the next ``times`` requests to matching paths answer 500 (``times=None``: all).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookServer:
    def __init__(self, *, slack_tokens: tuple[str, ...] = (), feishu_secrets: dict[str, str] | None = None):
        self.requests: list[dict[str, Any]] = []
        self.slack_tokens = set(slack_tokens)
        self.feishu_secrets = dict(feishu_secrets or {})  # token -> signing secret
        self.failures: dict[str, int | None] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body, ctype = server.handle(self.path, dict(self.headers), raw)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> "WebhookServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, prefix: str, times: int | None = None) -> None:
        with self.lock:
            self.failures[prefix] = times

    def received(self, prefix: str = "/", ok_only: bool = True) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(prefix) and (r["ok"] or not ok_only)]

    @staticmethod
    def feishu_sign(secret: str, timestamp: str) -> str:
        # Feishu's algorithm, written out independently of infra_digest.deliver.feishu
        mac = hmac.new(f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256)
        return base64.b64encode(mac.digest()).decode()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, str]:
        with self.lock:
            for prefix, left in list(self.failures.items()):
                if path.startswith(prefix) and (left is None or left > 0):
                    if left is not None:
                        self.failures[prefix] = left - 1
                    self.requests.append({"path": path, "ok": False, "json": None, "raw": raw, "status": 500})
                    return 500, "Internal Server Error", "text/plain"
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self._record(path, raw, None, False, 400, "invalid JSON", "text/plain")
        if path.startswith("/json/"):
            return self._record(path, raw, payload, True, 200, {"ok": True}, "application/json")
        if path.startswith("/hooks/"):
            token = path[len("/hooks/"):].split("?")[0]
            if token not in self.slack_tokens:
                return self._record(path, raw, payload, False, 404, "no_service", "text/plain")
            if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
                return self._record(path, raw, payload, False, 400, "no_text", "text/plain")
            return self._record(path, raw, payload, True, 200, "ok", "text/plain")
        if path.startswith("/open-apis/bot/v2/hook/"):
            token = path.rsplit("/", 1)[-1]
            secret = self.feishu_secrets.get(token)
            if secret is None:
                return self._record(path, raw, payload, False, 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}, "application/json")
            ts, sign = str(payload.get("timestamp", "")), payload.get("sign")
            fresh = ts.isdigit() and abs(time.time() - int(ts)) < 3600
            if not fresh or not isinstance(sign, str) or not hmac.compare_digest(sign, self.feishu_sign(secret, ts)):
                return self._record(path, raw, payload, False, 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}, "application/json")
            if payload.get("msg_type") != "text" or not isinstance((payload.get("content") or {}).get("text"), str):
                return self._record(path, raw, payload, False, 200, {"code": 9499, "msg": "Bad Request"}, "application/json")
            return self._record(path, raw, payload, True, 200, {"code": 0, "msg": "success", "data": {}}, "application/json")
        return self._record(path, raw, payload, False, 404, "not found", "text/plain")

    def _record(self, path, raw, payload, ok, status, body, ctype):
        with self.lock:
            self.requests.append({"path": path, "ok": ok, "json": payload, "raw": raw, "status": status})
        return status, body, ctype
