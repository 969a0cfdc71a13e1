"""The model behind the summaries: litellm, cached in DuckDB, with bounded concurrency and retries.

``LLMResource`` (a Dagster resource) says which model; ``LLMResource.summarizer(conn)`` gives the
``LLMSummarizer`` that ``summarize_day`` uses, or None when no model is configured.

- litellm is imported only when a model is actually called (``_litellm()``), with its cost map read from
  the local copy (``LITELLM_LOCAL_MODEL_COST_MAP``), telemetry and callbacks off: nothing reaches the
  network but the configured endpoint. Keys come from litellm's usual variables and are never logged or
  stored.
- Temperature 0, a timeout per request, retries with exponential backoff on 429 (honouring Retry-After) and
  5xx / connection errors, a hard deadline per section; requests run in a bounded thread pool.
- Answers are validated by the caller's job (``Job.parse`` / ``Job.validate``); an invalid part is asked
  again once (with the reason), then left to the caller's fallback.
- ``llm.cache`` holds validated answers keyed by sha256(model + prompt): a re-run asks the model nothing.
  ``llm.calls`` gets one row per request and per cache hit (append-only usage history).

No connection is held while the model works (issue 14.5: the history is never write-locked while waiting on a
model). The digest stage reads in one short phase, asks the model with no connection open, then writes:

- read: :meth:`LLMSummarizer.load_cache` takes the ``llm.cache`` rows of every prompt the days will send into an
  in-memory snapshot (``pipeline.digest.load_digest_inputs`` does this);
- model: :meth:`LLMSummarizer.run` answers from the snapshot, asks the model the rest, and keeps the new cache rows
  and the ``llm.calls`` rows in memory;
- write: :meth:`LLMSummarizer.take_writes` hands them over and :func:`write_llm_rows` writes them in one
  transaction.

A summarizer given a connection (``LLMSummarizer(model, conn)``) is the direct mode kept for simple callers: it
reads the cache through it for keys not in its snapshot and writes its rows at the end of each ``run``. DuckDB
connections are not thread-safe: worker threads only talk HTTP and validate.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import dagster as dg
import duckdb

log = logging.getLogger(__name__)

ENVELOPE_VERSION = 1
DAY_DEADLINE = 120.0        # seconds for all of a day's (and language's) model requests
MAX_ANSWER_CHARS = 100_000  # a longer answer is not read (no answer of ours is near this)
DEADLINE_GRACE = 1.0        # after the day's deadline, seconds to collect answers already arriving
RETRY_AFTER_CAP = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

_litellm_lock = threading.Lock()
_litellm_mod: Any = None


def _litellm() -> Any:
    """Import litellm on first use, offline and quiet."""
    global _litellm_mod
    with _litellm_lock:
        if _litellm_mod is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_TELEMETRY", "False")
            os.environ.setdefault("LITELLM_MODE", "PRODUCTION")  # no .env loading
            import litellm

            litellm.telemetry = False
            litellm.suppress_debug_info = True
            litellm.turn_off_message_logging = True
            litellm.success_callback = []
            litellm.failure_callback = []
            litellm.callbacks = []
            litellm.drop_params = True
            litellm.num_retries = 0
            logging.getLogger("LiteLLM").setLevel(logging.WARNING)
            logging.getLogger("httpx").setLevel(logging.WARNING)
            _litellm_mod = litellm
        return _litellm_mod


# ------------------------------------------------------------------------------------------------ calls

@dataclass
class Call:
    """One request to the model (after its transport retries)."""

    content: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    requests: int = 0  # HTTP requests made, transport retries included


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


def _retry_after(exc: BaseException) -> float | None:
    headers: Any = None
    response = getattr(exc, "response", None)
    if response is not None:
        headers = getattr(response, "headers", None)
    headers = headers or getattr(exc, "litellm_response_headers", None) or getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
    except AttributeError:
        return None
    if value is None:
        ms = headers.get("retry-after-ms") if hasattr(headers, "get") else None
        return float(ms) / 1000 if ms else None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


class ModelClient:
    """litellm.completion with our timeouts, retries and accounting."""

    def __init__(self, model: str, api_base: str | None = None, timeout: float = 60, max_retries: int = 3,
                 temperature: float = 0.0):
        self.model = model
        self.api_base = api_base or None
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.temperature = temperature

    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"model": self.model, "temperature": self.temperature, "max_retries": 0, "num_retries": 0}
        if self.api_base:
            kw["api_base"] = self.api_base
            # An OpenAI-compatible local server (vLLM, SGLang, Ollama) usually wants no key, but the OpenAI
            # client insists on one: give a placeholder only when the user has set none.
            if self.model.startswith(("openai/", "hosted_vllm/")) and not os.environ.get("OPENAI_API_KEY"):
                kw["api_key"] = "no-key"
        return kw

    def complete(self, messages: Sequence[Mapping[str, str]], deadline: float) -> Call:
        litellm = _litellm()
        call = Call()
        started = time.monotonic()
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                call.error = call.error or "deadline exceeded"
                break
            call.requests += 1
            try:
                resp = litellm.completion(messages=list(messages), timeout=min(self.timeout, remaining), **self._kwargs())
            except Exception as exc:  # noqa: BLE001 - litellm maps every provider error to its own classes
                status = _status_of(exc)
                name = type(exc).__name__
                timeout = isinstance(exc, getattr(litellm, "Timeout", ())) or "timeout" in name.lower()
                retryable = (status == 429 or (status is not None and status >= 500)
                             or isinstance(exc, getattr(litellm, "APIConnectionError", ())) and not timeout)
                call.error = f"{name}" + (f" (HTTP {status})" if status else "") + (": timed out" if timeout else "")
                if timeout or not retryable or attempt >= self.max_retries:
                    break
                wait = _retry_after(exc) if status == 429 else None
                if wait is None:
                    wait = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt)) * (0.75 + random.random() / 2)
                wait = min(wait, RETRY_AFTER_CAP)
                if time.monotonic() + wait >= deadline:
                    call.error += "; no time left to retry"
                    break
                log.info("model %s: %s, retrying in %.1fs", self.model, call.error, wait)
                time.sleep(wait)
                attempt += 1
                continue
            call.error = None
            try:
                call.content = resp.choices[0].message.content or ""
            except (AttributeError, IndexError):
                call.content = ""
            usage = getattr(resp, "usage", None)
            call.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
            call.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
            try:
                call.cost_usd = float(litellm.completion_cost(completion_response=resp) or 0.0)
            except Exception:  # noqa: BLE001 - a model missing from the cost map costs "unknown" = 0
                call.cost_usd = 0.0
            break
        call.seconds = time.monotonic() - started
        return call


# ------------------------------------------------------------------------------------------------ jobs

class Job(Protocol):
    """One prompt to the model, answering one or more parts (a paragraph, gists, a summary).

    ``messages(only, feedback)``: the prompt for all parts (only=None) or for a retry of some parts, with the
    reasons the previous answers were rejected. ``parse(content, parts)``: the model's text -> {part: text};
    ``validate(part, text)``: (ok, reason)."""

    name: str
    parts: Sequence[str]

    def messages(self, only: Collection[str] | None = None, feedback: Mapping[str, str] | None = None) -> list[dict[str, str]]: ...

    def parse(self, content: str, parts: Collection[str]) -> dict[str, str | None]: ...

    def validate(self, part: str, text: str) -> tuple[bool, str]: ...


@dataclass
class Outcome:
    texts: dict[str, str] = field(default_factory=dict)      # validated
    rejected: dict[str, str] = field(default_factory=dict)   # part -> why it is not used
    cached: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)  # llm.calls rows (without day/lang/model)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    answered: bool = False  # the model answered (so the outcome may be cached)


def prompt_hash(messages: Sequence[Mapping[str, str]]) -> str:
    text = json.dumps(list(messages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cache_key(model: str, messages: Sequence[Mapping[str, str]]) -> str:
    text = json.dumps(list(messages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((model + "\n" + text).encode()).hexdigest()


CACHE_SQL = "SELECT key, response FROM llm.cache WHERE model = ? AND key IN (SELECT unnest(?::VARCHAR[]))"


def read_cache(conn: duckdb.DuckDBPyConnection, model: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
    """The valid cache envelopes of ``model`` among ``keys`` (a history without the llm tables has none)."""
    if not keys:
        return {}
    try:
        rows = conn.execute(CACHE_SQL, [model, sorted(set(keys))]).fetchall()
    except duckdb.CatalogException:  # a read-only history written before the llm schema existed
        return {}
    out = {}
    for key, response in rows:
        try:
            env = json.loads(response)
        except ValueError:
            continue
        if isinstance(env, dict) and env.get("v") == ENVELOPE_VERSION:
            out[key] = env
    return out


@dataclass
class LLMWrites:
    """What a summarizer has to write, kept in memory until the write phase: ``llm.cache`` rows (tuples in the
    table's column order) and ``llm.calls`` rows (dicts)."""

    cache_rows: list[tuple] = field(default_factory=list)
    call_rows: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cache_rows or self.call_rows)

    def extend(self, other: LLMWrites) -> None:
        self.cache_rows += other.cache_rows
        self.call_rows += other.call_rows


def write_llm_rows(conn: duckdb.DuckDBPyConnection, writes: LLMWrites) -> None:
    """Write ``writes`` in one transaction of its own (repeated whole on a DuckLake conflict): answers paid for are
    kept even when a later write of the caller's fails. A cache row replaces the row of the same key."""
    if not writes:
        return
    from infra_digest.storage.writes import run_transaction

    latest = {r[0]: r for r in writes.cache_rows}  # one row per key: the last answer wins
    cache_rows, call_rows = list(latest.values()), list(writes.call_rows)

    def write(conn) -> None:
        if cache_rows:
            conn.execute("DELETE FROM llm.cache WHERE key IN (SELECT unnest(?::VARCHAR[]))", [[r[0] for r in cache_rows]])
            conn.executemany(
                "INSERT INTO llm.cache (key, model, prompt_hash, response, prompt_tokens, completion_tokens, cost_usd, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cache_rows)
        if call_rows:
            conn.executemany(
                "INSERT INTO llm.calls (day, lang, section, model, cached, ok, fallback_reason, prompt_tokens, completion_tokens, "
                "cost_usd, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r["day"], r["lang"], r["section"], r["model"], r["cached"], r["ok"], r["fallback_reason"], r["prompt_tokens"],
                  r["completion_tokens"], r["cost_usd"], r["seconds"], r["created_at"]) for r in call_rows])

    run_transaction(conn, write)


class LLMSummarizer:
    """Runs jobs against one model: cache first, then the model, in a bounded pool."""

    def __init__(self, model: str, conn: duckdb.DuckDBPyConnection | None = None, *, api_base: str | None = None,
                 timeout: float = 60, max_concurrency: int = 8, max_retries: int = 3, temperature: float = 0.0,
                 day_deadline: float = DAY_DEADLINE):
        self.model = model
        # all requests of one ``run`` (a day in a language) end by this many seconds; what is unanswered then falls
        # back to extractive text. Requests run in daemon threads: one stuck on a server that trickles its answer
        # holds neither the run nor the process's exit.
        self.day_deadline = float(day_deadline)
        self.conn = conn  # direct mode only (see the module docstring); None: the caller reads and writes
        self._snapshot: dict[str, dict[str, Any]] = {}  # cache envelopes by key, loaded in the read phase
        self._looked_up: set[str] = set()  # keys whose row was looked for (found or not)
        self._pending = LLMWrites()
        self.client = ModelClient(model, api_base=api_base, timeout=timeout, max_retries=max_retries, temperature=temperature)
        self.max_concurrency = max(1, int(max_concurrency))
        # a section (its first request and its one retry, each with transport retries) never takes longer than this
        self.section_deadline = 2 * (self.client.timeout * (self.client.max_retries + 1) + 15)

    @property
    def name(self) -> str:
        return f"llm:{self.model}"

    # -- cache
    def cache_keys(self, jobs: Sequence[Job]) -> list[str]:
        """The cache key of each job's first prompt (what :meth:`run` looks up)."""
        return [cache_key(self.model, job.messages(None, None)) for job in jobs]

    def load_cache(self, conn: duckdb.DuckDBPyConnection, keys: Collection[str]) -> int:
        """Read phase: take the cache rows of ``keys`` into the in-memory snapshot. Returns how many of ``keys``
        the snapshot answers."""
        keys = set(keys)
        todo = [k for k in keys if k not in self._looked_up]
        self._snapshot.update(read_cache(conn, self.model, todo))
        self._looked_up.update(todo)
        return sum(1 for k in keys if k in self._snapshot)

    def take_writes(self) -> LLMWrites:
        """Write phase: the cache and call rows gathered since the last call (and forget them)."""
        out, self._pending = self._pending, LLMWrites()
        return out

    def _read_cache(self, keys: Collection[str]) -> dict[str, dict[str, Any]]:
        if self.conn is not None:  # direct mode: what the history holds now
            return read_cache(self.conn, self.model, keys)
        return {k: self._snapshot[k] for k in keys if k in self._snapshot}

    def _write(self, cache_rows: list[tuple], call_rows: list[dict[str, Any]]) -> None:
        for row in cache_rows:  # later runs of this summarizer hit what this one learnt
            self._snapshot[row[0]] = json.loads(row[3])
            self._looked_up.add(row[0])
        self._pending.extend(LLMWrites(cache_rows, [{**r, "model": self.model} for r in call_rows]))
        if self.conn is not None:  # direct mode: written at once
            write_llm_rows(self.conn, self.take_writes())

    # -- one job, in a worker thread
    def _run_job(self, job: Job, day_end: float | None = None) -> Outcome:
        out = Outcome()
        deadline = time.monotonic() + self.section_deadline
        if day_end is not None:
            deadline = min(deadline, day_end)
        todo: list[str] = list(job.parts)
        feedback: dict[str, str] | None = None
        for attempt in range(2):  # the first answer and one retry of what failed
            only = None if attempt == 0 else todo
            messages = job.messages(only, feedback)
            call = self.client.complete(messages, deadline)
            out.requests += call.requests
            out.prompt_tokens += call.prompt_tokens
            out.completion_tokens += call.completion_tokens
            out.cost_usd += call.cost_usd
            out.seconds += call.seconds
            row = {"section": job.name + (" retry" if attempt else ""), "cached": False, "ok": False, "fallback_reason": None,
                   "prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
                   "cost_usd": call.cost_usd, "seconds": round(call.seconds, 3)}
            out.calls.append(row)
            if call.content is None:
                row["fallback_reason"] = f"model error: {call.error}"
                for p in todo:
                    out.rejected[p] = row["fallback_reason"]
                break  # transport failure (after its retries): not asked again
            out.answered = True
            try:
                parsed = job.parse(call.content, todo) if len(call.content) <= MAX_ANSWER_CHARS else {}
                if len(call.content) > MAX_ANSWER_CHARS:
                    log.warning("the answer to %s is %d characters long: not read", job.name, len(call.content))
            except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the day
                parsed = {}
                log.warning("could not parse the answer to %s: %s", job.name, exc)
            failed: dict[str, str] = {}
            for p in todo:
                text = parsed.get(p)
                if text is None or not str(text).strip():
                    failed[p] = "no answer for this part" if call.content.strip() else "empty answer"
                    continue
                try:
                    ok, reason = job.validate(p, str(text).strip())
                except Exception as exc:  # noqa: BLE001
                    ok, reason = False, f"validation error: {exc}"
                if ok:
                    out.texts[p] = str(text).strip()
                    out.rejected.pop(p, None)
                else:
                    failed[p] = reason
            row["ok"] = not failed
            row["fallback_reason"] = "; ".join(f"{p}: {r}" for p, r in failed.items())[:1000] or None
            out.rejected.update(failed)
            todo = list(failed)
            feedback = failed
            if not todo:
                break
        return out

    # -- a batch of jobs
    def run(self, jobs: Sequence[Job], *, day: str | dt.date, lang: str) -> tuple[dict[str, Outcome], dict[str, Any]]:
        started = time.monotonic()
        now = dt.datetime.now(dt.timezone.utc)
        day_value = dt.date.fromisoformat(str(day)) if not isinstance(day, dt.date) else day
        keyed = {}
        for job in jobs:
            messages = job.messages(None, None)
            keyed[job.name] = (job, cache_key(self.model, messages), prompt_hash(messages))
        cached = self._read_cache([k for _, k, _ in keyed.values()])
        outcomes: dict[str, Outcome] = {}
        todo: list[Job] = []
        for name, (job, key, _) in keyed.items():
            env = cached.get(key)
            out = self._from_cache(job, env) if env else None
            if out is None:
                todo.append(job)
            else:
                outcomes[name] = out
        if todo:
            outcomes.update(self._run_pool(todo, started + self.day_deadline))
        cache_rows, call_rows = [], []
        for name, out in outcomes.items():
            job, key, phash = keyed[name]
            for row in out.calls:
                call_rows.append({**row, "day": day_value, "lang": lang, "created_at": now})
            if out.answered and not out.cached:
                env = {"v": ENVELOPE_VERSION, "parts": out.texts,
                       "rejected": {p: r for p, r in out.rejected.items() if not r.startswith(("model error", "deadline"))}}
                if any(r.startswith(("model error", "deadline")) for r in out.rejected.values()):
                    continue  # a part was never judged: ask again next time
                cache_rows.append((key, self.model, phash, json.dumps(env, ensure_ascii=False), out.prompt_tokens,
                                   out.completion_tokens, out.cost_usd, now))
        self._write(cache_rows, call_rows)
        stats = {
            "llm_calls": sum(o.requests for o in outcomes.values()),
            "cache_hits": sum(1 for o in outcomes.values() if o.cached),
            "prompt_tokens": sum(o.prompt_tokens for o in outcomes.values()),
            "completion_tokens": sum(o.completion_tokens for o in outcomes.values()),
            "cost_usd": round(sum(o.cost_usd for o in outcomes.values()), 6),
            "seconds": round(time.monotonic() - started, 3),
        }
        return outcomes, stats

    def _run_pool(self, jobs: Sequence[Job], day_end: float) -> dict[str, Outcome]:
        """Run ``jobs`` in at most ``max_concurrency`` daemon threads until done or ``day_end`` (+ a grace second).
        A job unfinished then gets a "deadline exceeded" outcome; its thread is abandoned (a daemon: it cannot hold
        the process) and whatever it finishes later is ignored."""
        queue = collections.deque(jobs)
        results: dict[str, Outcome] = {}
        cond = threading.Condition()
        closed = False

        def failed(job: Job, reason: str) -> Outcome:
            return Outcome(rejected={p: reason for p in job.parts},
                           calls=[{"section": job.name, "cached": False, "ok": False, "fallback_reason": reason,
                                   "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "seconds": 0.0}])

        def worker() -> None:
            while True:
                with cond:
                    if closed or not queue:
                        return
                    job = queue.popleft()
                if time.monotonic() >= day_end:
                    out = failed(job, "deadline exceeded")
                else:
                    try:
                        out = self._run_job(job, day_end)
                    except Exception as exc:  # noqa: BLE001 - one job's bug must not lose the day
                        out = failed(job, f"internal error: {type(exc).__name__}: {exc}"[:300])
                with cond:
                    if not closed:
                        results[job.name] = out
                    cond.notify_all()

        threads = [threading.Thread(target=worker, name=f"llm-{i}", daemon=True)
                   for i in range(min(self.max_concurrency, len(jobs)))]
        for th in threads:
            th.start()
        with cond:
            while len(results) < len(jobs):
                remaining = day_end + DEADLINE_GRACE - time.monotonic()
                if remaining <= 0:
                    break
                cond.wait(remaining)
            closed = True
            done = dict(results)
        late = [job for job in jobs if job.name not in done]
        if late:
            log.warning("model %s: day deadline (%.0fs) passed with %d requests unanswered; they fall back to extractive text",
                        self.model, self.day_deadline, len(late))
        for job in late:
            done[job.name] = failed(job, "deadline exceeded")
        return done

    def _from_cache(self, job: Job, env: Mapping[str, Any]) -> Outcome | None:
        """A cached answer, re-validated (the validator may have become stricter); None to ask again."""
        parts, rejected = env.get("parts") or {}, env.get("rejected") or {}
        out = Outcome(cached=True)
        for p in job.parts:
            if p in parts:
                ok, _ = job.validate(p, parts[p])
                if not ok:
                    return None
                out.texts[p] = parts[p]
            elif p in rejected:
                out.rejected[p] = str(rejected[p])
            else:
                return None
        out.calls.append({"section": job.name, "cached": True, "ok": not out.rejected,
                          "fallback_reason": "; ".join(f"{p}: {r}" for p, r in out.rejected.items())[:1000] or None,
                          "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "seconds": 0.0})
        return out


# ------------------------------------------------------------------------------------------------ resource

class LLMResource(dg.ConfigurableResource):
    """Which model writes the summaries (any litellm model string), or none: the extractive summarizer.

    Keys come from litellm's usual variables (OPENAI_API_KEY, DEEPSEEK_API_KEY, ANTHROPIC_API_KEY, ...) and
    never enter config, metadata or logs. ``api_base`` points at an OpenAI-compatible server (vLLM, SGLang,
    Ollama: model ``openai/<served-name>``, api_base ``http://127.0.0.1:8000/v1``)."""

    model: str | None = None
    api_base: str | None = None
    timeout: float = 60
    max_concurrency: int = 8
    max_retries: int = 3
    temperature: float = 0.0
    day_deadline_seconds: float = DAY_DEADLINE

    def summarizer(self, conn: duckdb.DuckDBPyConnection | None = None) -> LLMSummarizer | None:
        """The summarizer, or None without a model. Without ``conn`` (what the digest stage uses) it holds no
        connection: the caller loads its cache (``load_cache``) and writes its rows (``take_writes``)."""
        model = (self.model or "").strip()
        if not model:
            return None
        return LLMSummarizer(model, conn, api_base=(self.api_base or "").strip() or None, timeout=self.timeout,
                             max_concurrency=self.max_concurrency, max_retries=self.max_retries, temperature=self.temperature,
                             day_deadline=self.day_deadline_seconds)
