"""A fake OpenAI-compatible chat-completions server: real HTTP on 127.0.0.1, answers from a script.

``POST /v1/chat/completions`` (and ``/chat/completions``) reply with a chat completion whose content is
chosen by the script, with ``usage`` (prompt tokens ~ prompt chars / 4). Every request is recorded in
``FakeLLM.requests``.

The script is a list of rules ``{"match": str | callable | None, "do": behaviour, "times": int | None}``
(first rule that matches the prompt and still has uses wins; ``times`` default 1, ``None`` = forever;
``match`` is a substring of the whole prompt or ``callable(prompt_text, request_json) -> bool``), or one
callable ``(prompt_text, request_json) -> behaviour``. Otherwise the ``default`` behaviour (``"good"``).

Behaviours (a name, or a callable ``(data, prompt_text) -> str`` giving the content):

==================  ===================================================================================
``good``            a valid answer built from the ``<data>`` JSON of the prompt (right language, only refs
                    and numbers of the data)
``invented_number`` a good answer with a PR number that is not in the data (``#987654``)
``wrong_language``  English when Chinese is asked, and Chinese when English is asked
``empty``           an empty content
``garbage``         content that is not the requested JSON
``rate_limit``      429 with ``Retry-After: <retry_after>`` (default 1)
``error500``        500 with an OpenAI-style error body
``hang``            sleeps ``hang_seconds`` (default 30) before answering (past any client timeout)
``trickle``         a good answer sent one byte every ``trickle_seconds`` (default 0.5): every read is quick, the
                    whole answer takes minutes (a per-read timeout never fires)
``unauthorized``    401 with an OpenAI-style "invalid API key" body
``obey_injection``  obeys an instruction hidden in an issue body: adds "PWNED" to every part of a good answer
``only_pwned``      obeys it completely: every part is just "PWNED"
``markup``          a good answer with ``<img src=x onerror=alert(1)>`` in every part
==================  ===================================================================================
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any



@dataclass
class Req:
    path: str
    body: dict[str, Any]
    prompt: str
    behaviour: str
    status: int
    at: float
    data: dict[str, Any] | None = None


def prompt_text(body: dict[str, Any]) -> str:
    return "\n\n".join(str(m.get("content") or "") for m in body.get("messages") or [])


def prompt_data(prompt: str) -> dict[str, Any] | None:
    start, end = prompt.rfind("<data>"), prompt.rfind("</data>")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(prompt[start + len("<data>"):end])
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ good answers

def _ref(item: dict[str, Any]) -> str:
    return str(item.get("id") or item.get("ref") or "")


def good_parts(data: dict[str, Any]) -> dict[str, Any]:
    """Valid answers for every part the prompt asks for, from the data alone."""
    lang = data.get("lang", "zh")
    section = data.get("section")
    zh = lang == "zh"
    if section in ("repo", "items"):
        out: dict[str, Any] = {"items": {}}
        for item in data.get("gist_items") or []:
            rid = _ref(item)
            kind = item.get("kind")
            if zh:
                what = {"issue": "该 issue 报告并讨论了一个使用中遇到的问题，希望维护者确认原因并给出修复或替代方案。",
                        "pull_request": "该 PR 提出了一项改动，完善了相关组件的实现与测试，目前等待评审。"}.get(
                    kind, "该变更调整了相关组件的实现，使其行为更加稳定，并补充了对应的测试。")
            else:
                what = {"issue": "The issue reports a problem met in practice and asks the maintainers to confirm the cause and suggest a fix.",
                        "pull_request": "The pull request proposes a change that improves the implementation of the component and its tests."}.get(
                    kind, "The change adjusts the implementation of the component so that it behaves more reliably, with tests.")
            out["items"][rid] = what
        if data.get("want_paragraph"):
            counts = data.get("counts") or {}
            n_changes, n_issues = counts.get("changes", 0), counts.get("issues", 0)
            if zh:
                out["paragraph"] = (f"该仓库当日共有 {n_changes} 项代码变更和 {n_issues} 个新 issue，"
                                    "整体以修复问题和完善已有功能为主，值得关注后续讨论。")
            else:
                out["paragraph"] = (f"The repository saw {n_changes} code changes and {n_issues} new issues during the day, "
                                    "mostly fixes and improvements of existing features worth following.")
        return out
    if section == "summary":
        tot = data.get("totals") or {}
        if zh:
            return {"text": f"当日关注的仓库中有 {data.get('active_count', 0)} 个有动态，共有 {tot.get('changes', 0)} 项代码变更、"
                            f"{tot.get('issues', 0)} 个新 issue。各项目以修复问题、完善功能和改进性能为主，整体节奏平稳。"}
        return {"text": f"{data.get('active_count', 0)} of the watched repositories were active, with {tot.get('changes', 0)} code "
                        f"changes and {tot.get('issues', 0)} new issues. The work was mostly fixes, features and performance improvements."}
    if section == "overview":
        if zh:
            return {"text": "- 多个仓库同时在推进对新硬件和低精度计算的支持，相关问题在不同项目中都有出现。\n"
                            "- 各项目的修复工作集中在稳定性和兼容性上，值得持续关注。"}
        return {"text": "- Several repositories are working on support for new hardware and low precision at the same time.\n"
                        "- Fixes across projects focus on stability and compatibility, which is worth following."}
    return {"text": "该条目的内容已整理完毕，值得关注。" if zh else "The entry was reviewed and is worth following."}


def _render(data: dict[str, Any], parts: dict[str, Any]) -> str:
    if data.get("section") in ("repo", "items"):
        return json.dumps(parts, ensure_ascii=False)
    return parts["text"]


def _map(parts: dict[str, Any], fn: Callable[[str], str]) -> dict[str, Any]:
    out = {k: (fn(v) if isinstance(v, str) else v) for k, v in parts.items()}
    if isinstance(parts.get("items"), dict):
        out["items"] = {k: fn(v) for k, v in parts["items"].items()}
    return out


def behaviour_content(name: str, data: dict[str, Any] | None) -> str:
    if data is None:
        return "I could not find any data."
    parts = good_parts(data)
    zh = data.get("lang", "zh") == "zh"
    if name == "good":
        return _render(data, parts)
    if name == "invented_number":
        return _render(data, _map(parts, lambda s: s.rstrip("。.") + ("，另见 #987654。" if zh else ", see also #987654.")))
    if name == "wrong_language":
        other = dict(data, lang="en" if zh else "zh")
        return _render(data, good_parts(other))
    if name == "empty":
        return ""
    if name == "garbage":
        return "Sure! Here is the summary you asked for: things happened."
    if name == "obey_injection":
        return _render(data, _map(parts, lambda s: s + " PWNED"))
    if name == "only_pwned":
        return _render(data, _map(parts, lambda s: "PWNED"))
    if name == "markup":
        return _render(data, _map(parts, lambda s: s + " <img src=x onerror=alert(1)>"))
    raise ValueError(f"unknown behaviour {name!r}")


# ------------------------------------------------------------------------------------------ the server

@dataclass
class FakeLLM:
    script: list[dict[str, Any]] | Callable[[str, dict], Any] | None = None
    default: Any = "good"
    latency: float = 0.0
    retry_after: float = 1.0
    hang_seconds: float = 30.0
    trickle_seconds: float = 0.5
    port: int = 0  # 0: any free port
    requests: list[Req] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._uses: dict[int, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle
    def start(self) -> FakeLLM:
        fake = self
        self._stopping.clear()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # /v1/models, for clients that probe
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0].rstrip("/")
                if path not in ("/v1/chat/completions", "/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {path}"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "body is not JSON"}})
                    return
                fake._handle(self, path, body)

            def _trickle(self, status: int, payload: Any, every: float) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.flush()
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        if fake._stopping.wait(every):
                            return
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    # -- script
    def set_script(self, script: Any, default: Any = "good") -> None:
        with self._lock:
            self.script, self.default, self._uses = script, default, {}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    def _choose(self, prompt: str, body: dict) -> Any:
        with self._lock:
            if callable(self.script):
                return self.script(prompt, body)
            for i, rule in enumerate(self.script or []):
                match = rule.get("match")
                hit = match is None or (match(prompt, body) if callable(match) else match in prompt)
                if not hit:
                    continue
                times = rule.get("times", 1)
                used = self._uses.get(i, 0)
                if times is not None and used >= times:
                    continue
                self._uses[i] = used + 1
                return rule["do"]
            return self.default

    def _handle(self, handler: Any, path: str, body: dict) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._reply(handler, path, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _reply(self, handler: Any, path: str, body: dict) -> None:
        prompt = prompt_text(body)
        data = prompt_data(prompt)
        behaviour = self._choose(prompt, body)
        name = behaviour if isinstance(behaviour, str) else getattr(behaviour, "__name__", "custom")
        if self.latency:
            time.sleep(self.latency)
        status = 200
        if name == "rate_limit":
            status = 429
            self._record(path, body, prompt, name, status, data)
            handler._send(429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "code": "rate_limit_exceeded"}},
                          {"Retry-After": f"{self.retry_after:g}"})
            return
        if name == "error500":
            status = 500
            self._record(path, body, prompt, name, status, data)
            handler._send(500, {"error": {"message": "The server had an error", "type": "server_error"}})
            return
        if name == "unauthorized":
            self._record(path, body, prompt, name, 401, data)
            handler._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                          "code": "invalid_api_key"}})
            return
        if name == "trickle":
            self._record(path, body, prompt, name, 200, data)
            content = behaviour_content("good", data)
            handler._trickle(200, self._completion(body, prompt, content), self.trickle_seconds)
            return
        if name == "hang":
            self._record(path, body, prompt, name, 0, data)
            time.sleep(self.hang_seconds)
            content = behaviour_content("good", data)
        elif callable(behaviour):
            content = behaviour(data, prompt)
        else:
            content = behaviour_content(name, data)
        self._record(path, body, prompt, name, status, data)
        handler._send(200, self._completion(body, prompt, content))

    def _completion(self, body: dict, prompt: str, content: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or "fake-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": max(1, len(prompt) // 4), "completion_tokens": max(1, len(content) // 4),
                      "total_tokens": max(1, len(prompt) // 4) + max(1, len(content) // 4)},
        }

    def _record(self, path: str, body: dict, prompt: str, name: str, status: int, data: dict | None) -> None:
        with self._lock:
            self.requests.append(Req(path, body, prompt, name, status, time.time(), data))


def main(argv: list[str] | None = None) -> None:
    """Serve the fake on a port, for trying the pipeline by hand:

        python -m infra_digest_tests.fakes.llm_server --port 8000 --latency 0.3
        INFRA_DIGEST_LLM_MODEL=openai/fake-model INFRA_DIGEST_LLM_API_BASE=http://127.0.0.1:8000/v1 \\
            infra-digest run --date 2026-02-18 --source replay:../shared/replay
    """
    import argparse

    ap = argparse.ArgumentParser(description="A fake OpenAI-compatible chat-completions server.")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--default", default="good", help="behaviour for every request (good, invented_number, ...)")
    args = ap.parse_args(argv)
    fake = FakeLLM(latency=args.latency, default=args.default, port=args.port).start()
    print(f"fake LLM on {fake.api_base} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
