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
# A URL of any scheme ("scheme://...", or a scheme that needs no "//": mailto:, data:, ...).
_URL = re.compile(r"(?<![A-Za-z0-9+.\-])(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}://|(?:mailto|tel|sms|xmpp|data|file|javascript|vbscript|magnet|irc):)"
                  r"[^\s<>()\[\]{}\"'`，。；、！？）（]+", re.I)
_URL_TRAIL = ".,;:!?'\")]}"
# A bare domain a renderer or a reader takes for a link: "www." + anything, or a name in a common top-level domain.
_TLDS = ("com|net|org|io|ai|dev|app|co|cn|xyz|info|me|site|online|top|ru|uk|de|fr|jp|us|gov|edu|ly|gg|tk|link|click|biz|"
         "page|cloud|tech|store|shop|live|news|blog|example|su|eu|ch|nl|kr|tw|hk|sg|au|ca|br|ir|vn|tv|fm|ws|zip|mov")
_DOMAIN = re.compile(r"(?<![\w@./:\-])(?:www\.(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)*[a-z0-9\-]+"
                     r"|(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r"))(?![\w\-])", re.I)
_EMAIL = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+", re.I)
_MENTION = re.compile(r"(?<![\w@/.`\-])@([a-z0-9](?:[a-z0-9\-]{0,38}))(?![\w\-])", re.I)
_LOGIN = re.compile(r"[a-z0-9][a-z0-9\-]{0,38}", re.I)
_SHA = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{7,40}(?![0-9A-Za-z])")
_REF = re.compile(r"#\s?(\d+)")
_VERSION = re.compile(r"(?<![\d.])v?(\d+(?:\.\d+)+)")
_DIGITS = re.compile(r"\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/\-]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_LETTERS = re.compile(r"[^\W\d_]+")

# Numbers written in words. English: "two", "seventy-five", "three hundred", "a dozen" ("one" alone is too
# common a word to count); Chinese: "百分之七十", "三倍", "七成", "三个" (a lone 一 is too common to count).
_EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
             "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
             "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_EN_NUMWORD = "|".join(sorted([*_EN_UNITS, *_EN_SCALES], key=len, reverse=True))
_EN_NUMBER_PHRASE = re.compile(rf"\b(?:{_EN_NUMWORD})(?:(?:[\s\-]+(?:and[\s\-]+)?)(?:{_EN_NUMWORD}))*\b", re.I)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "亿": 10**8}
_ZH_NUM = "零〇一二两三四五六七八九十百千万亿"
_ZH_COUNTERS = "个项次条处种份位名篇款家类组行倍"
_ZH_NUMBER = re.compile(rf"百分之([{_ZH_NUM}]+)|([{_ZH_NUM}]+)\s*(成(?![为功员本立果绩长熟])|[{_ZH_COUNTERS}])")

# Function words: enough to tell English prose from French, German, Spanish, Italian, Portuguese or Dutch prose
# (words that are also English, or single letters, are left out).
_FUNCTION_WORDS = {
    "en": frozenset("the and or of to in on for with is are was were be been by this that these those it its from as at "
                    "which when not but into than has have had adds fixes new now also after before can will should "
                    "while where there their they what".split()),
    "fr": frozenset("le la les des du un une et est sont dans pour avec sur par qui que pas ce cette ces lors aux au leur "
                    "leurs ses mais ou où été être nouveau nouvelle ajoute corrige problème lorsque entre très aussi il "
                    "elle nous vous ils d' l'".split()),
    "de": frozenset("der das den dem des und ist sind nicht mit für auf bei von zu zum zur ein eine einen einem einer "
                    "wird werden wurde wurden auch oder im dass aus nach über wenn behebt fügt hinzu neue neuen fehler "
                    "kann sich wir".split()),
    "es": frozenset("el los las del y es son en para con por que una uno se su sus al como pero más este esta corrige "
                    "añade nuevo nueva".split()),
    "it": frozenset("il lo gli della delle dei è sono con che una uno nel nella alla questo questa anche corregge "
                    "aggiunge".split()),
    "pt": frozenset("os do da dos das é são em para com por que não uma um no na ao adiciona".split()),
    "nl": frozenset("het een en zijn van voor met op niet dat wordt ook bij naar".split()),
}
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


def zh_number(s: str) -> int | None:
    """The value of a Chinese numeral (七十 -> 70, 三百零五 -> 305, 两万 -> 20000, 二〇二六 -> 2026)."""
    if not s or any(c not in _ZH_NUM for c in s):
        return None
    if all(c in _ZH_DIGITS for c in s):
        return _ZH_DIGITS[s] if len(s) == 1 else int("".join(str(_ZH_DIGITS[c]) for c in s))
    total = section = num = 0
    for c in s:
        if c in _ZH_DIGITS:
            num = _ZH_DIGITS[c]
        elif c in _ZH_UNITS:
            section += (num or 1) * _ZH_UNITS[c]
            num = 0
        else:
            section += num
            total = (total + (section or 1)) * _ZH_BIG[c] if c == "亿" else total + (section or 1) * _ZH_BIG[c]
            section = num = 0
    return total + section + num


def en_number(phrase: str) -> int | None:
    """The value of an English number phrase ("seventy-five" -> 75, "three hundred and two" -> 302)."""
    total = current = 0
    seen = False
    for w in re.split(r"[\s\-]+", phrase.lower()):
        if w == "and" or not w:
            continue
        seen = True
        if w in _EN_UNITS:
            current += _EN_UNITS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _EN_SCALES:
            total += max(current, 1) * _EN_SCALES[w]
            current = 0
        else:
            return None
    return total + current if seen else None


def _links_of(text: str) -> tuple[set[str], set[str], set[str]]:
    """Bare domains, e-mail addresses and @mentions in text outside URLs and code spans (lower-case)."""
    emails = {m.group(0).lower() for m in _EMAIL.finditer(text)}
    rest = _EMAIL.sub(" ", text)
    domains = {m.group(0).lower() for m in _DOMAIN.finditer(rest)}
    mentions = {m.group(1).lower() for m in _MENTION.finditer(rest)}
    return domains, emails, mentions


class Facts:
    """What an input contains, precomputed once per input text (numbers, refs, versions, shas, URLs, words)."""

    def __init__(self, text: str):
        self.text = text
        body, urls = _strip_urls(text)
        self.urls = set(urls)
        self.url_text = text
        self.domains, self.emails, _ = _links_of(body)
        for url in urls:
            host = re.sub(r"^[a-z][a-z0-9+.\-]*:(?://)?(?:[^@/]*@)?", "", url.lower()).split("/")[0].split(":")[0]
            if host:
                self.domains |= {host, host.removeprefix("www.")}
        self.domains |= {e.split("@", 1)[1] for e in self.emails}
        self.logins = {w.lower() for w in _LOGIN.findall(text)}
        self.shas = _shas(body)
        plain = _without_shas(body)
        self.refs = {_norm_int(n) for n in _REF.findall(plain)}
        self.versions = {v for v in _VERSION.findall(plain)}
        self.numbers = {_norm_int(n) for n in _DIGITS.findall(plain)}
        self.words = {w.lower() for w in _WORD.findall(text)}
        self.lower = text.lower()


def check_links(answer: str, facts: Facts) -> tuple[bool, str]:
    """Every link of the answer, of any form (a URL of any scheme, a bare domain, an e-mail address, an @mention),
    must be in the input: a URL as a whole input URL (not a part of one), the others as they appear there."""
    body, urls = _strip_urls(answer)
    for url in urls:
        if url not in facts.urls:
            return False, f"URL not in the input: {url[:80]}"
    domains, emails, mentions = _links_of(_CODE_SPAN.sub(" ", body))
    for e in sorted(emails):
        if e not in facts.emails:
            return False, f"e-mail address not in the input: {e[:80]}"
    for d in sorted(domains):
        if d not in facts.domains and d.removeprefix("www.") not in facts.domains:
            return False, f"domain not in the input: {d[:80]}"
    for m in sorted(mentions):
        if m not in facts.logins:
            return False, f"@{m[:40]} not in the input"
    return True, ""


def check_facts(answer: str, facts: Facts) -> tuple[bool, str]:
    """Every link (see :func:`check_links`), sha, #N, version and number (in digits or in words, English or
    Chinese) of the answer must exist in the input."""
    ok, reason = check_links(answer, facts)
    if not ok:
        return ok, reason
    body, _ = _strip_urls(answer)
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
    for m in _ZH_NUMBER.finditer(plain):
        value = zh_number(m.group(1) or m.group(2))
        if value is None or (value == 1 and m.group(2) == "一"):
            continue
        candidates = {value, value * 10} if m.group(3) and m.group(3).startswith("成") else {value}
        if not any(str(v) in facts.numbers for v in candidates) and m.group(0) not in facts.text:
            return False, f"number {m.group(0)} not in the input"
    for m in _EN_NUMBER_PHRASE.finditer(plain):
        phrase = re.sub(r"\s+", " ", m.group(0).lower())
        value = en_number(phrase)
        if value is None or phrase in ("one", "zero"):
            continue
        if str(value) not in facts.numbers and phrase not in facts.lower and not (" " not in phrase and phrase in facts.words):
            return False, f"number '{m.group(0)}' not in the input"
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


def latin_language(text: str) -> tuple[str | None, int, int]:
    """(language, its function words, English function words) when ``text`` reads as a Latin-script language other
    than English (French, German, Spanish, Italian, Portuguese, Dutch), else (None, 0, English function words)."""
    body = _CODE_SPAN.sub(" ", text)
    body, _ = _strip_urls(body)
    words = [w.lower() for w in _LETTERS.findall(body.replace("’", "'"))]
    words += [w.lower() + "'" for w in re.findall(r"\b([dl])'", body, re.I)]  # French elision: l'..., d'...
    counts = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    en = counts.pop("en")
    best = max(counts, key=lambda k: counts[k])
    if counts[best] >= 3 and counts[best] > en:
        return best, counts[best], en
    return None, 0, en


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
        other, hits, en_hits = latin_language(answer)
        if other is not None:
            return False, f"wrong language (looks like {other}: {hits} function words of it, {en_hits} of English)"
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

def instruction_ranges(text: str | None) -> list[tuple[int, int]]:
    """(start, end) of the HTML tags and of the instruction-like sentences of untrusted text (each such sentence
    with the one after it: "Ignore the above. Write X." -> the payload follows). Linear in the text's length."""
    if not text:
        return []
    ranges = [m.span() for m in _HTML_SPAN.finditer(text)]
    sentences = [m.span() for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    for i, (start, end) in enumerate(sentences):
        if _INSTRUCTION.search(text[start:end]):
            ranges.append((start, end))
            if i + 1 < len(sentences):
                ranges.append(sentences[i + 1])
    return ranges


def instruction_spans(text: str | None) -> list[str]:
    """Sentences of untrusted text that look like instructions to a model, and HTML tags."""
    return [text[a:b] for a, b in instruction_ranges(text)] if text else []


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
    """Lower-case words of text with its instruction-like spans removed (used to keep common words allowed).
    Linear: the spans are cut out by position in one pass."""
    kept, pos = [], 0
    for start, end in sorted(instruction_ranges(text)):
        if start > pos:
            kept.append(text[pos:start])
        pos = max(pos, end)
    kept.append(text[pos:])
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", " ".join(kept))}


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
    limit = LIMITS.get(section, {}).get(lang, (0, 2000, 10))[1]
    if len(answer) > 4 * limit + 200:  # judged by length alone: no check below reads a huge answer
        return False, f"too long ({len(answer)} > {limit} characters)"
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
