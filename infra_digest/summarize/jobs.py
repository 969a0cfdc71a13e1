"""One request to the model: its prompt (a template of ``prompts/`` with the data as JSON inside ``<data>``), the
parts it answers, how an answer is parsed into parts, and how each part is validated (see ``llm.Job``)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from infra_digest.summarize import validate as V


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("infra_digest.summarize", "prompts"),
        autoescape=False,  # prompts are plain text; untrusted text goes in as JSON inside <data>
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _render(name: str, **kw: Any) -> str:
    return _env().get_template(name).render(**kw).strip()


def _dumps(data: Any) -> str:
    # "<" and ">" escaped so that no text inside the data can close the <data> block
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")



_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _strip_wrapping(content: str) -> str:
    text = _THINK.sub("", content or "").strip()
    return _FENCE.sub("", text).strip()


def _json_object(content: str) -> dict[str, Any] | None:
    text = _strip_wrapping(content)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        obj = json.loads(text[start:end + 1])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _tidy(text: str) -> str:
    """Formatting only: bold markers dropped (the prose is plain text)."""
    return text.replace("**", "").strip()


def _one_line(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return _tidy(re.sub(r"\s+", " ", text)).strip("\"“”'") or None


@dataclass(frozen=True)
class Part:
    section: str              # validate section: gist | paragraph | summary | overview
    facts: V.Facts            # what it may draw on
    foreign: str = ""         # other items' untrusted text in the same prompt
    forbidden: frozenset[str] = frozenset()


class PromptJob:
    """One request: a template, its data, and the parts it answers (see ``llm.Job``)."""

    def __init__(self, name: str, template: str, lang: str, day: str, parts: dict[str, Part], mode: str,
                 build_data: Any, extra: Mapping[str, Any] | None = None):
        self.name, self.template, self.lang, self.day = name, template, lang, day
        self.part_specs, self.mode, self._build_data = parts, mode, build_data
        self.extra = dict(extra or {})
        self.parts = list(parts)
        self._messages: dict[tuple, list[dict[str, str]]] = {}

    def messages(self, only: Collection[str] | None = None, feedback: Mapping[str, str] | None = None) -> list[dict[str, str]]:
        key = (tuple(sorted(only)) if only is not None else None, tuple(sorted((feedback or {}).items())))
        if key not in self._messages:
            parts = list(self.parts) if only is None else [p for p in self.parts if p in only]
            data = self._build_data(parts)
            user = _render(self.template, lang=self.lang, day=self.day, data_json=_dumps(data), feedback=dict(feedback or {}),
                           **self.extra, **self._shape(parts))
            self._messages[key] = [{"role": "system", "content": _system(self.lang)}, {"role": "user", "content": user}]
        return self._messages[key]

    def _shape(self, parts: Sequence[str]) -> dict[str, Any]:
        if self.mode != "json":
            return {}
        gist_ids = [p for p in parts if p != "paragraph"]
        shape: dict[str, Any] = {}
        if "paragraph" in parts:
            shape["paragraph"] = "..."
        shape["items"] = {i: "..." for i in gist_ids}
        return {"want_paragraph": "paragraph" in parts, "gist_ids": gist_ids,
                "answer_shape": json.dumps(shape, ensure_ascii=False)}

    def parse(self, content: str, parts: Collection[str]) -> dict[str, str | None]:
        if self.mode == "json":
            obj = _json_object(content)
            if obj is None:
                return {}
            out: dict[str, str | None] = {}
            if "paragraph" in parts:
                out["paragraph"] = _one_line(obj.get("paragraph"))
            items = obj.get("items")
            if isinstance(items, list):
                items = {str(x.get("id")): x.get("gist") or x.get("text") for x in items if isinstance(x, dict)}
            if not isinstance(items, dict):
                items = {}
            norm = {str(k).strip().lstrip("#").strip("`").lower(): v for k, v in items.items()}
            for p in parts:
                if p == "paragraph":
                    continue
                out[p] = _one_line(items.get(p, norm.get(p.lstrip("#").lower())))
            return out
        text = _strip_wrapping(content)
        if text.startswith("{"):
            obj = _json_object(text)
            if obj:
                text = next((v for k in ("text", "summary", "overview", "answer") if isinstance(v := obj.get(k), str)),
                            next((v for v in obj.values() if isinstance(v, str)), ""))
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if self.parts == ["overview"]:
            fixed = []
            for ln in lines:
                ln = re.sub(r"^(?:[*•·]|\d+[.)、])\s*", "- ", ln)
                fixed.append(ln if ln.startswith("- ") else "- " + ln)
            lines = fixed
        text = _tidy("\n".join(lines) if self.parts == ["overview"] else " ".join(lines))
        return {self.parts[0]: text or None}

    def validate(self, part: str, text: str) -> tuple[bool, str]:
        spec = self.part_specs[part]
        return V.validate(text, section=spec.section, lang=self.lang, allowed=spec.facts, foreign=spec.foreign,
                          forbidden=spec.forbidden)


@lru_cache(maxsize=4)
def _system(lang: str) -> str:
    return _render("system.j2", lang=lang)


