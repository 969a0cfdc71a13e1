"""The subscriptions file: who gets which items, where, in which language and how often.

```yaml
subscriptions:
  - name: blackwell-fp4              # unique; letters, digits, . _ -
    to: json://127.0.0.1:9000/hook   # one apprise URL, or a list of them (or of {url, name, max_chars})
    lang: en                         # zh (default) | en
    cadence: daily                   # daily (default) | weekly:MON ... weekly:SUN
    filters:                         # optional: OR within a key, AND across keys
      hardware: [nvidia-blackwell, nvidia-blackwell-rtx]
      precision: [fp4]
    alerts: false                    # true: also receives operator alerts (run failures, incomplete days)
    digest: true                     # false: alerts only
```

Secrets (webhook tokens, SMTP passwords, signing keys) are written as environment references, ``${SLACK_TOKEN}``,
and expanded only at send time (:func:`expand`); the expanded URL is never stored, logged or printed. A password
or a secret-looking query parameter written literally is refused when the file is loaded.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from infra_digest.settings import LANGS

FILTER_KEYS = ("repos", "hardware", "precision", "topics", "models", "change_types", "flags")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REF_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9._-]+$")
_LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]{0,31})://", re.I)
# Query parameters that carry credentials in apprise URLs: their values must be ${VAR} references.
_SECRET_PARAMS = re.compile(r"^(secret|token|key|apikey|api_key|pass|password|pwd|access_token|webhook|auth|sign)$", re.I)


class SubscriptionError(ValueError):
    """The subscriptions file is missing, unreadable or invalid; the message lists every problem."""


@dataclasses.dataclass(frozen=True)
class Channel:
    """One destination: an apprise URL template (with ``${VAR}`` references, unexpanded) and its label."""
    template: str
    label: str                 # name from the file, or "<scheme>#<n>": what the database and logs show
    max_chars: int | None = None

    @property
    def scheme(self) -> str:
        m = _SCHEME_RE.match(self.template)
        return m.group(1).lower() if m else ""

    def __repr__(self) -> str:  # never show the template: it may name where a secret goes
        return f"Channel({self.label!r})"


@dataclasses.dataclass(frozen=True)
class Subscription:
    name: str
    channels: tuple[Channel, ...]
    lang: str = "zh"
    cadence: str = "daily"                              # daily | weekly:MON..SUN
    filters: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    alerts: bool = False
    digest: bool = True

    @property
    def weekday(self) -> int | None:
        """0 (Monday) .. 6 (Sunday) for a weekly subscription, None for a daily one."""
        if self.cadence == "daily":
            return None
        return WEEKDAYS.index(self.cadence.split(":", 1)[1])

    def __repr__(self) -> str:
        return f"Subscription({self.name!r}, {len(self.channels)} channel(s), {self.lang}, {self.cadence})"


def references(template: str) -> list[str]:
    """Names of the environment variables a URL template refers to."""
    return _REF_RE.findall(template)


def expand(template: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """The URL with every ``${VAR}`` replaced, and the secret values used (for scrubbing). Raises
    :class:`SubscriptionError` naming (only) the variables that are not set."""
    environ = os.environ if environ is None else environ
    missing = [n for n in references(template) if not environ.get(n)]
    if missing:
        raise SubscriptionError(f"environment variable(s) not set: {', '.join(sorted(set(missing)))}")
    values = [environ[n] for n in references(template)]
    return _REF_RE.sub(lambda m: environ[m.group(1)], template), values


def _literal_secret(template: str) -> str | None:
    """What in a URL template looks like a secret written literally, or None."""
    try:
        parts = urlsplit(template)
        password = parts.password
    except ValueError:
        return None
    if password and not _REF_RE.fullmatch(password):
        return "a password written in the URL"
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAMS.match(key) and value and not _REF_RE.fullmatch(value):
            return f"the query parameter {key!r} written literally"
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _known_labels() -> dict[str, set[str]]:
    """Label ids of the taxonomy per filter key (empty set: any well-formed id is accepted)."""
    try:
        from infra_digest.classify.rules import load_taxonomy

        tax = load_taxonomy()
        data = getattr(tax, "data", None) or getattr(tax, "_data", None)
    except Exception:  # the taxonomy is optional for validation
        data = None
    known: dict[str, set[str]] = {k: set() for k in FILTER_KEYS}
    if isinstance(data, Mapping):
        for key, field in (("hardware", "hardware"), ("precision", "precision"), ("topics", "topics"), ("models", "models")):
            if isinstance(data.get(field), Mapping):
                known[key] = set(data[field])
        ct = data.get("change_types")
        if isinstance(ct, Mapping):
            known["change_types"] = {t for v in ct.values() for t in _as_list(v)}
    return known


def _known_scheme(scheme: str) -> bool:
    """True when apprise (with our signed Feishu/Lark plugins) sends to ``scheme://``; True without apprise."""
    try:
        from apprise.manager_plugins import NotificationManager

        from infra_digest.deliver.feishu import register
    except ImportError:  # pragma: no cover - apprise is a dependency
        return True
    register()
    return scheme in NotificationManager()


def _parse_channels(raw: Any, where: str, errors: list[str]) -> tuple[Channel, ...]:
    entries = _as_list(raw)
    if not entries:
        errors.append(f"{where}: 'to' is required: one apprise URL or a list of them")
        return ()
    channels, labels = [], set()
    for n, entry in enumerate(entries, 1):
        here = f"{where}: to[{n}]"
        name, max_chars = None, None
        if isinstance(entry, Mapping):
            unknown = set(entry) - {"url", "name", "max_chars"}
            if unknown:
                errors.append(f"{here}: unknown key(s) {', '.join(sorted(map(str, unknown)))} (allowed: url, name, max_chars)")
            url, name, max_chars = entry.get("url"), entry.get("name"), entry.get("max_chars")
        else:
            url = entry
        if not isinstance(url, str) or not url.strip():
            errors.append(f"{here}: expected an apprise URL such as json://host/path or slack://${{SLACK_TOKEN}}")
            continue
        url = url.strip()
        m = _SCHEME_RE.match(url)
        if not m:
            errors.append(f"{here}: not an apprise URL (scheme://...)")
            continue
        if not _known_scheme(m.group(1).lower()):
            errors.append(f"{here}: apprise has no {m.group(1).lower()}:// service (see apprise's list of services)")
            continue
        why = _literal_secret(url)
        if why:
            errors.append(f"{here}: {why}; write secrets as environment references such as ${{SMTP_PASSWORD}}")
            continue
        if name is not None and (not isinstance(name, str) or not _NAME_RE.match(name)):
            errors.append(f"{here}: name must be letters, digits, '.', '_' or '-'")
            continue
        if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 200):
            errors.append(f"{here}: max_chars must be an integer of at least 200")
            continue
        label = name or f"{m.group(1).lower()}#{n}"
        if label in labels:
            errors.append(f"{here}: channel name {label!r} is used twice")
            continue
        labels.add(label)
        channels.append(Channel(template=url, label=label, max_chars=max_chars))
    return tuple(channels)


def parse_subscriptions(data: Any, source: str = "<subscriptions>") -> list[Subscription]:
    """Validate the parsed YAML; raise :class:`SubscriptionError` listing every problem at once."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping) or not isinstance(data.get("subscriptions", []), list):
        raise SubscriptionError(f"{source}: expected a mapping with a list under 'subscriptions:'")
    errors: list[str] = []
    unknown_top = set(data) - {"subscriptions"}
    if unknown_top:
        errors.append(f"{source}: unknown top-level key(s) {', '.join(sorted(map(str, unknown_top)))}")
    known = _known_labels()
    subs: list[Subscription] = []
    names: set[str] = set()
    for i, raw in enumerate(data.get("subscriptions") or [], 1):
        where = f"{source}: subscriptions[{i}]"
        if not isinstance(raw, Mapping):
            errors.append(f"{where}: expected a mapping with name, to, ...")
            continue
        name = raw.get("name")
        if isinstance(name, str) and _NAME_RE.match(name):
            where = f"{source}: subscription {name!r}"
            if name in names:
                errors.append(f"{where}: the name is used twice (names must be unique)")
            names.add(name)
        else:
            errors.append(f"{where}: 'name' is required: letters, digits, '.', '_' or '-' (at most 64)")
        allowed = {"name", "to", "lang", "cadence", "filters", "alerts", "digest"}
        unknown = set(raw) - allowed
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} (allowed: {', '.join(sorted(allowed))})")
        channels = _parse_channels(raw.get("to"), where, errors)
        lang = raw.get("lang", "zh")
        if lang not in LANGS:
            errors.append(f"{where}: lang {lang!r}: choose zh or en")
        cadence = raw.get("cadence", "daily")
        if not isinstance(cadence, str):
            cadence = str(cadence)
        cadence = cadence.strip()
        if cadence.lower().startswith("weekly:"):
            cadence = "weekly:" + cadence.split(":", 1)[1].strip().upper()
        if cadence != "daily" and cadence not in {f"weekly:{d}" for d in WEEKDAYS}:
            errors.append(f"{where}: cadence {cadence!r}: use daily or weekly:MON ... weekly:SUN")
        filters: dict[str, tuple[str, ...]] = {}
        rawf = raw.get("filters") or {}
        if not isinstance(rawf, Mapping):
            errors.append(f"{where}: filters must be a mapping of {', '.join(FILTER_KEYS)}")
            rawf = {}
        for key, values in rawf.items():
            if key not in FILTER_KEYS:
                errors.append(f"{where}: unknown filter {key!r} (use {', '.join(FILTER_KEYS)})")
                continue
            vals = [v for v in _as_list(values)]
            if not vals or not all(isinstance(v, str) and v.strip() for v in vals):
                errors.append(f"{where}: filters.{key} must be a non-empty list of strings")
                continue
            vals = [v.strip() if key == "repos" else v.strip().lower() for v in vals]
            pattern = _REPO_RE if key == "repos" else _LABEL_RE
            bad = [v for v in vals if not pattern.match(v)]
            if key != "repos" and known.get(key):
                bad += [v for v in vals if v not in known[key] and v not in bad]
            if bad:
                hint = f"; known: {', '.join(sorted(known[key]))}" if known.get(key) else ""
                errors.append(f"{where}: filters.{key}: unknown value(s) {', '.join(map(repr, bad))}{hint}")
                continue
            filters[key] = tuple(dict.fromkeys(vals))
        alerts, digest = raw.get("alerts", False), raw.get("digest", True)
        for key, value in (("alerts", alerts), ("digest", digest)):
            if not isinstance(value, bool):
                errors.append(f"{where}: {key} must be true or false")
        subs.append(Subscription(name=name if isinstance(name, str) else "", channels=channels, lang=lang,
                                     cadence=cadence, filters=filters, alerts=alerts is True, digest=digest is not False))
    if errors:
        raise SubscriptionError("invalid subscriptions:\n  " + "\n  ".join(errors))
    return subs


def load_subscriptions(path: str | Path) -> list[Subscription]:
    """Read and validate a subscriptions file (see the module docstring for its shape)."""
    p = Path(path)
    if not p.is_file():
        raise SubscriptionError(f"no subscriptions file at {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionError(f"cannot read {p}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SubscriptionError(f"{p}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return parse_subscriptions(data, source=str(p))
