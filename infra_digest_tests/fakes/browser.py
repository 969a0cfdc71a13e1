"""A small Chrome DevTools Protocol client around Debian's headless Chromium, for the site's page tests.

It opens pages, records every console message, uncaught exception and browser log entry (CSP violations, failed
loads), evaluates JavaScript, and waits for conditions. Uses the ``websockets`` package's synchronous client.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from typing import Any


def chromium_path() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class BrowserError(RuntimeError):
    pass


class Page:
    def __init__(self, browser: "Browser", session: str, target: str):
        self.browser, self.session, self.target = browser, session, target
        self.events: list[dict[str, Any]] = []
        self.dialogs: list[str] = []

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def problems(self) -> list[str]:
        """Console messages, uncaught exceptions and error log entries seen on this page."""
        out = []
        for e in self.events:
            m, p = e["method"], e["params"]
            if m == "Runtime.consoleAPICalled":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                out.append(f"console.{p.get('type')}: {args}")
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                out.append(f"log {p['entry'].get('level')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      timeout=timeout)
        if "exceptionDetails" in r:
            raise BrowserError(f"evaluation failed: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression}")
            time.sleep(0.1)

    def close(self) -> None:
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target}, timeout=10)
        except BrowserError:
            pass


class Browser:
    def __init__(self, binary: str | None = None):
        from websockets.sync.client import connect

        binary = binary or chromium_path()
        if not binary:
            raise BrowserError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="site-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.monotonic() + 60
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                if self.proc.poll() is not None:
                    break
                continue
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if not url:
            self.close()
            raise BrowserError("chromium did not start its DevTools endpoint")
        # keep draining stderr so the browser never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(url, max_size=64 * 1024 * 1024, open_timeout=30))
        self.ids = itertools.count(1)
        self.pages: dict[str, Page] = {}
        self.lock = threading.Lock()
        self.pending: dict[int, dict[str, Any]] = {}

    def _dispatch(self, msg: dict[str, Any]) -> None:
        sid = msg.get("sessionId")
        page = self.pages.get(sid) if sid else None
        if page is not None and "method" in msg:
            page.events.append(msg)
            if msg["method"] == "Page.javascriptDialogOpening":
                page.dialogs.append(msg["params"].get("message", ""))
                threading.Thread(target=lambda: self._dismiss(sid), daemon=True).start()

    def _dismiss(self, sid: str) -> None:
        try:
            self.ws.send(json.dumps({"id": next(self.ids), "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": False}, "sessionId": sid}))
        except Exception:
            pass

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        mid = next(self.ids)
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        with self.lock:
            self.ws.send(json.dumps(msg))
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"no answer to {method} within {timeout}s")
                try:
                    raw = self.ws.recv(timeout=left)
                except TimeoutError:
                    raise BrowserError(f"no answer to {method} within {timeout}s") from None
                reply = json.loads(raw)
                if reply.get("id") == mid:
                    if "error" in reply:
                        raise BrowserError(f"{method}: {reply['error'].get('message')}")
                    return reply.get("result", {})
                self._dispatch(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for a while (console messages that arrive after load)."""
        deadline = time.monotonic() + seconds
        with self.lock:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    self._dispatch(json.loads(self.ws.recv(timeout=left)))
                except TimeoutError:
                    break

    def open(self, url: str, *, width: int = 1280, height: int = 900, settle: float = 0.5) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, sid, target)
        self.pages[sid] = page
        for domain in ("Runtime", "Log", "Page"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                          "mobile": width < 600})
        page.send("Page.navigate", {"url": url})
        page.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")
        self.pump(settle)
        return page

    def close(self) -> None:
        try:
            if getattr(self, "_stack", None) is not None:
                self._stack.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)
