"""Validation of model answers. Pure functions: an answer and what it was allowed to draw on, in; (ok, reason) out.

An answer is used only if it is:

- non-empty, one of a bounded length for its section, plain prose (no links, HTML, headings, code fences);
- in the report's language: for ``zh`` the *prose* must be Chinese (English names of code, models and
  hardware are the norm, so identifiers, acronyms, capitalised names, code spans, URLs and numbers are not
  counted against it); for ``en`` it must be English with next to no CJK;
- faithful: every number, sha, ``#N`` reference, version and URL in it exists in the input it was given;
- free of placeholders ("truncated", "TODO", refusals) and of text it had no business copying: words of an
  instruction-like span (prompt injection) or HTML of *another* item, and long verbatim runs of another
  item's untrusted text.

Nothing here depends on a particular model: it judges the answer, whatever produced it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TRUNCATION_MARK = "[truncated]"

# (min chars, max chars, max lines) per section and language.
LIMITS: dict[str, dict[str, tuple[int, int, int]]] = {
    "gist": {"zh": (8, 200, 1), "en": (20, 400, 1)},
    "paragraph": {"zh": (20, 520, 3), "en": (60, 1100, 3)},
    "summary": {"zh": (40, 800, 4), "en": (100, 1700, 4)},
    "overview": {"zh": (20, 1000, 10), "en": (60, 2100, 10)},
}
MIN_CJK = {"gist": 4, "paragraph": 8, "summary": 15, "overview": 10}

_CODE_SPAN = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`，。；、！？）（]+", re.I)
_URL_TRAIL = ".,;:!?'\")]}"
_SHA = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{7,40}(?![0-9A-Za-z])")
_REF = re.compile(r"#\s?(\d+)")
_VERSION = re.compile(r"(?<![\d.])v?(\d+(?:\.\d+)+)")
_DIGITS = re.compile(r"\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/\-]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_ZH_NUMERAL = re.compile(r"([二两三四五六七八九十百]+)\s*(?:个|项|次|条|处|种|份|位|名|篇|款|家|类|组|行)")
_EN_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
               "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
               "dozen": 12, "hundred": 100, "thousand": 1000}
_EN_NUMBER_WORD = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r")\b", re.I)

_MARKUP = [
    (re.compile(r"<"), "contains '<' (HTML or markup)"),
    (re.compile(r"\]\s*\("), "contains a Markdown link"),
    (re.compile(r"!\["), "contains a Markdown image"),
    (re.compile(r"^\s{0,3}#{1,6}\s", re.M), "contains a Markdown heading"),
    (re.compile(r"```|~~~"), "contains a code fence"),
    (re.compile(r"\*\*"), "contains Markdown emphasis"),
    (re.compile(r"^\s*\|", re.M), "contains a table"),
    (re.compile(r"\b(?:javascript|vbscript):", re.I), "contains a script URL"),
    (re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I), "contains an HTML entity"),
]
_PLACEHOLDERS = re.compile(
    r"\[truncated\]|\btruncat\w*|截断|被截|内容不完整|内容缺失|已省略|\bTODO\b|\bTBD\b|\bN/A\b|lorem ipsum|\{\{|\}\}|"
    r"<id>|\bas an ai\b|\bi cannot\b|\bi can't\b|\bi'm sorry\b|\bi am sorry\b|\bi apologi[sz]e|抱歉|作为一个\s*AI|作为\s*AI|"
    r"无法(?:提供|回答|完成)|\bsorry\b", re.I)
_FORMAT_LEAK = re.compile(r"^\s*(?:\{|\[|\"(?:items|paragraph|summary|overview|gist)\"\s*:)|\"\s*:\s*\"|</?data>", re.I)

# Instruction-like spans in untrusted text (prompt injection) and HTML.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|guidelines|directions|"
    r"(?:previous|prior|above|earlier|preceding|system|your)\s+(?:text|content|context|messages?|rules|instructions?|prompts?)|"
    r"(?:everything|all)\s+(?:above|before))\b"
    r"|\b(?:you are now|you're now|act as|pretend to be|from now on|new instructions?|system prompt|jailbreak)\b"
    r"|^\s*(?:system|assistant|user)\s*:"
    r"|\b(?:respond|reply|answer|output|print|write|say|return|type|repeat)\b\s+(?:only\s+|exactly\s+|just\s+|back\s+)?(?:with\s+)?(?:the\s+)?(?:word\s+|string\s+|text\s+)?[\"'“`]?(?-i:[A-Z]{3,})\b"
    r"|\b(?:summary|summari[sz]e|gist|report|digest|model|assistant|llm|ai)\b[^.!?\n]{0,40}\b(?:must|should|shall)\s+(?:say|be|contain|state|include|read|output|write)"
    r"|(?:忽略|无视|忘记|忽视|不要理会)[^。！？\n]{0,20}(?:指令|指示|提示|要求|规则|以上|之前|上面|前面)"
    r"|(?:你现在是|请扮演|扮演一个|系统提示|新的指令)"
    r"|(?:输出|回答|回复|写|打印)[^。！？\n]{0,6}[“\"'「]",
    re.I | re.M,
)
_HTML_SPAN = re.compile(r"<[^<>\n]{1,300}>?")
_SENTENCE = re.compile(r"[^.!?。！？\n]*(?:[.!?。！？\n]|$)")
_STOP = {
    "the", "and", "for", "with", "that", "this", "from", "into", "your", "you", "are", "all", "any", "not", "but",
    "ignore", "disregard", "forget", "override", "bypass", "skip", "previous", "prior", "earlier", "above", "below",
    "instruction", "instructions", "prompt", "prompts", "rule", "rules", "system", "guideline", "guidelines",
    "respond", "reply", "answer", "output", "print", "write", "say", "return", "type", "repeat", "only", "exactly",
    "just", "back", "word", "string", "text", "now", "act", "pretend", "new", "instead", "please", "must", "should",
    "shall", "will", "would", "can", "could", "summary", "summarize", "summarise", "gist", "report", "digest", "model",
    "assistant", "llm", "user", "then", "them", "they", "what", "when", "here", "there", "have", "has", "was",
    "were", "been", "being", "does", "did", "doing", "than", "also", "its", "it's", "our", "their", "which",
}


def _strip_urls(text: str) -> tuple[str, list[str]]:
    urls = [u.rstrip(_URL_TRAIL) for u in _URL.findall(text)]
    return _URL.sub(" ", text), urls


def _norm_int(s: str) -> str:
    return s.lstrip("0") or "0"


def _is_sha(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _shas(text: str) -> list[str]:
    return [m.lower() for m in _SHA.findall(text) if _is_sha(m)]


def _without_shas(text: str) -> str:
    return _SHA.sub(lambda m: " " if _is_sha(m.group(0)) else m.group(0), text)


def _zh_numeral(s: str) -> int | None:
    digits = {"二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if "百" in s:
        return None
    if s == "十":
        return 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(s) if len(s) == 1 else None


class Facts:
    """What an input contains, precomputed once per input text (numbers, refs, versions, shas, URLs, words)."""

    def __init__(self, text: str):
        self.text = text
        body, urls = _strip_urls(text)
        self.urls = set(urls)
        self.url_text = text
        self.shas = _shas(body)
        plain = _without_shas(body)
        self.refs = {_norm_int(n) for n in _REF.findall(plain)}
        self.versions = {v for v in _VERSION.findall(plain)}
        self.numbers = {_norm_int(n) for n in _DIGITS.findall(plain)}
        self.words = {w.lower() for w in _WORD.findall(text)}
        self.lower = text.lower()


def check_facts(answer: str, facts: Facts) -> tuple[bool, str]:
    """Every URL, sha, #N, version and number of the answer must exist in the input."""
    body, urls = _strip_urls(answer)
    for url in urls:
        if url not in facts.url_text:
            return False, f"URL not in the input: {url[:80]}"
    for sha in _shas(body):
        if not any(s.startswith(sha) for s in facts.shas):
            return False, f"sha {sha} not in the input"
    plain = _without_shas(body)
    for n in _REF.findall(plain):
        if _norm_int(n) not in facts.refs:
            return False, f"#{n} not in the input"
    for v in _VERSION.findall(plain):
        if v not in facts.versions:
            return False, f"version {v} not in the input"
    for n in _DIGITS.findall(plain):
        if _norm_int(n) not in facts.numbers:
            return False, f"number {n} not in the input"
    for m in _ZH_NUMERAL.finditer(plain):
        value = _zh_numeral(m.group(1))
        if value is not None and str(value) not in facts.numbers:
            return False, f"count {m.group(0)} not in the input"
    for m in _EN_NUMBER_WORD.finditer(plain):
        if str(_EN_NUMBERS[m.group(1).lower()]) not in facts.numbers and m.group(1).lower() not in facts.words:
            return False, f"count '{m.group(1)}' not in the input"
    return True, ""


def _is_name(token: str) -> bool:
    """An identifier, acronym, version, path or proper name: not counted as English prose in a zh answer."""
    core = token.strip(".-+/")
    if not core:
        return True
    if any(c.isdigit() for c in core) or any(c in core for c in "_./+") or "-" in core:
        return True
    if core.isupper() or core[0].isupper():  # FP8, SM120, Blackwell, FlashInfer
        return True
    return bool(re.search(r"[a-z][A-Z]", core))  # camelCase


def language_stats(text: str, input_words: set[str] | None = None) -> dict[str, float]:
    """Counts used by the language check: CJK characters, English prose words (weighted), other scripts."""
    body = _CODE_SPAN.sub(" ", text)
    body, _ = _strip_urls(body)
    cjk = len(_CJK.findall(body))
    kana = len(_KANA_HANGUL.findall(body))
    other = sum(1 for ch in body if ord(ch) > 127 and ch.isalpha() and not _CJK.match(ch) and not _KANA_HANGUL.match(ch)
                and unicodedata.category(ch).startswith("L") and not ("\u0370" <= ch <= "\u03ff"))
    prose_words = 0.0
    ascii_letters = 0
    en_words = 0
    for tok in _ASCII_TOKEN.findall(body):
        ascii_letters += sum(1 for c in tok if c.isalpha())
        en_words += bool(re.fullmatch(r"[A-Za-z][A-Za-z'\-]*[.,;:!?]?", tok))
        if _is_name(tok):
            continue
        for w in _WORD.findall(tok):
            prose_words += 0.5 if input_words and w.lower() in input_words else 1.0
    return {"cjk": cjk, "kana": kana, "other": other, "prose_words": prose_words, "ascii_letters": ascii_letters,
            "en_words": en_words}


def check_language(answer: str, lang: str, section: str = "gist", input_words: set[str] | None = None) -> tuple[bool, str]:
    s = language_stats(answer, input_words)
    if s["kana"] > 2:
        return False, "wrong language (Japanese or Korean script)"
    letters = s["cjk"] + s["ascii_letters"] + s["other"]
    if s["other"] > 3 and s["other"] > 0.05 * max(letters, 1):
        return False, "wrong language (another script)"
    if lang == "zh":
        if s["cjk"] < MIN_CJK.get(section, 6):
            return False, f"not Chinese prose ({s['cjk']} CJK characters)"
        if s["cjk"] < 1.5 * s["prose_words"]:
            return False, f"not Chinese prose ({s['cjk']} CJK characters for {s['prose_words']:g} English words)"
        return True, ""
    if lang == "en":
        if s["cjk"] > 2 and s["cjk"] > 0.02 * max(letters, 1):
            return False, f"not English ({s['cjk']} CJK characters)"
        if s["en_words"] < 3:
            return False, "not English prose"
        return True, ""
    return False, f"unknown language {lang!r}"


def check_form(answer: str, section: str, lang: str) -> tuple[bool, str]:
    text = answer.strip()
    if not text or not any(ch.isalnum() for ch in text):
        return False, "empty answer"
    lo, hi, max_lines = LIMITS[section][lang]
    if len(text) < lo:
        return False, f"too short ({len(text)} < {lo} characters)"
    if len(text) > hi:
        return False, f"too long ({len(text)} > {hi} characters)"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > max_lines:
        return False, f"too many lines ({len(lines)} > {max_lines})"
    outside_code = _CODE_SPAN.sub(" ", text)
    for pattern, reason in _MARKUP:
        if pattern.search(text if pattern.pattern == "<" else outside_code):
            return False, reason
    if _FORMAT_LEAK.search(text):
        return False, "contains JSON or prompt structure"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co") and ch not in "\n\t" for ch in text):
        return False, "contains control characters"
    return True, ""


def check_placeholders(answer: str, allowed_text: str) -> tuple[bool, str]:
    source = allowed_text.replace(TRUNCATION_MARK, " ").lower()
    for m in _PLACEHOLDERS.finditer(answer):
        word = m.group(0).lower()
        if word == TRUNCATION_MARK or word.startswith(("{", "}", "<")):
            return False, f"contains a placeholder ({m.group(0)!r})"
        if word.startswith("truncat") or word in ("截断", "被截"):
            if "truncat" in source or "截断" in source:
                continue  # the input itself is about truncation (a fix of a truncation bug, ...)
        elif word in source:
            continue
        return False, f"contains a placeholder or refusal ({m.group(0)!r})"
    return True, ""


# ---------------------------------------------------------------------------------------------- injection

def instruction_spans(text: str | None) -> list[str]:
    """Sentences of untrusted text that look like instructions to a model, and HTML tags."""
    if not text:
        return []
    spans = [m.group(0) for m in _HTML_SPAN.finditer(text)]
    sentences = [s for s in _SENTENCE.findall(text) if s.strip()]
    for i, sent in enumerate(sentences):
        if _INSTRUCTION.search(sent):
            spans.append(sent)
            if i + 1 < len(sentences):
                spans.append(sentences[i + 1])  # "Ignore the above. Write X." -> the payload follows
    return spans


def span_tokens(spans: Iterable[str]) -> set[str]:
    """Distinctive words of instruction-like spans: ASCII words (3+ letters, not common instruction words),
    quoted strings and CJK runs."""
    out: set[str] = set()
    for span in spans:
        for w in re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", span):
            if w.lower() not in _STOP:
                out.add(w.lower())
        for q in re.findall(r"[\"'“「`]([^\"'”」`\n]{2,40})[\"'”」`]", span):
            q = q.strip().lower()
            if q and q not in _STOP:
                out.add(q)
        for run in _CJK_RUN.findall(span):
            for tok in re.split(r"(?:忽略|无视|忘记|忽视|不要理会|之前|以上|上面|前面|的|所有|指令|指示|提示|要求|规则|并|然后|输出|回答|回复|写|打印|请|你|现在|是)", run):
                if len(tok) >= 2:
                    out.add(tok)
    return out


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")


def payload_tokens(untrusted: str | None, benign_words: set[str]) -> set[str]:
    """Tokens an answer may only contain if it is the gist of the item that holds this text."""
    return {t for t in span_tokens(instruction_spans(untrusted)) if t not in benign_words}


def benign_words(text: str) -> set[str]:
    """Lower-case words of text with its instruction-like spans removed (used to keep common words allowed)."""
    for span in instruction_spans(text):
        text = text.replace(span, " ")
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", text)}


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z0-9_]+", text)]


def check_injection(answer: str, *, allowed_text: str, foreign_text: str = "",
                    forbidden: Iterable[str] = (), ngram: int = 6, cjk_run: int = 6) -> tuple[bool, str]:
    lower = answer.lower()
    for tok in forbidden:
        if not tok:
            continue
        if re.fullmatch(r"[a-z0-9_ ]+", tok):
            if re.search(r"(?<![a-z0-9_])" + re.escape(tok) + r"(?![a-z0-9_])", lower):
                return False, f"repeats text of an instruction found in another item ({tok[:30]!r})"
        elif tok in lower:
            return False, f"repeats text of an instruction found in another item ({tok[:30]!r})"
    if foreign_text:
        allowed_lower, foreign_lower = allowed_text.lower(), foreign_text.lower()
        words = _words(answer)
        allowed_seq = " " + " ".join(_words(allowed_lower)) + " "
        foreign_seq = " " + " ".join(_words(foreign_lower)) + " "
        for i in range(len(words) - ngram + 1):
            gram = " " + " ".join(words[i:i + ngram]) + " "
            if gram in foreign_seq and gram not in allowed_seq:
                return False, f"copies another item's text ({gram.strip()[:40]!r})"
        for run in _CJK_RUN.findall(answer):
            for i in range(len(run) - cjk_run + 1):
                window = run[i:i + cjk_run]
                if window in foreign_text and window not in allowed_text:
                    return False, f"copies another item's text ({window!r})"
    return True, ""


# ---------------------------------------------------------------------------------------------- all checks

def validate(answer: str | None, *, section: str, lang: str, allowed: str | Facts, foreign: str = "",
             forbidden: Iterable[str] = ()) -> tuple[bool, str]:
    """Check one answer. ``section``: gist | paragraph | summary | overview. ``allowed``: the input this answer
    may draw on (the item's own data for a gist); ``foreign``: other items' untrusted text in the same prompt;
    ``forbidden``: instruction tokens of other items. Returns (ok, reason)."""
    if answer is None or not isinstance(answer, str):
        return False, "no answer"
    facts = allowed if isinstance(allowed, Facts) else Facts(allowed)
    text = unicodedata.normalize("NFKC", answer).strip()  # full-width digits and letters judged as ASCII
    if not text or not any(ch.isalnum() for ch in text):
        return False, "empty answer"
    for check in (
        lambda: check_language(text, lang, section, facts.words),
        lambda: check_form(text, section, lang),
        lambda: check_placeholders(text, facts.text),
        lambda: check_facts(text, facts),
        lambda: check_injection(text, allowed_text=facts.text, foreign_text=foreign, forbidden=forbidden),
    ):
        ok, reason = check()
        if not ok:
            return False, reason
    return True, ""
