"""Build the static archive site from the history: pages, feeds and the search index, touching only what changed.

Every page is rendered in memory from the history (deterministically: no clock, no random), then compared with
what is on disk: only files whose bytes differ are written, and files a previous build made that are no longer
produced (listed in ``.site-manifest.json``) are removed. Files in the output folder that the builder did not make
are never touched. The search index is rebuilt only when a day page changed, and synced file by file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from markupsafe import Markup, escape

from infra_digest.deliver.message import highlights_from_markdown
from infra_digest.deliver.select import Period, is_github_url, matches, period_for, rank
from infra_digest.deliver.subscriptions import Subscription
from infra_digest.site import feeds, paths, search, templates
from infra_digest.site.data import History, Report, load_history
from infra_digest.site.sanitize import body_of, report_styles, sanitize, strip_invalid

MANIFEST = ".site-manifest.json"
MAX_FEED_ENTRIES = 30
MAX_SUB_PERIODS = 30

try:  # display names of tag ids, shared with the report
    from infra_digest.report.i18n import tag_name as _tag_name
except ImportError:  # pragma: no cover
    def _tag_name(tag: str) -> str:
        return tag

try:
    from infra_digest.report.i18n import t as _report_t
except ImportError:  # pragma: no cover
    _report_t = None


def tag_name(tag: str) -> str:
    try:
        return str(_tag_name(tag))
    except Exception:
        return tag


def type_name(lang: str, change_type: str | None) -> str:
    if not change_type:
        return ""
    if _report_t is not None:
        try:
            return str(_report_t(lang, change_type))
        except Exception:
            pass
    return change_type


@dataclasses.dataclass
class SiteStats:
    out_dir: str
    files: int = 0                                  # files the builder produced (pages, feeds, assets)
    written: list[str] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = dataclasses.field(default_factory=list)
    days: dict[str, int] = dataclasses.field(default_factory=dict)
    feeds: int = 0
    search: str = "disabled"                        # indexed | unchanged | disabled | skipped: <reason>
    search_written: int = 0
    seconds: float = 0.0

    def metadata(self) -> dict[str, Any]:
        return {"files": self.files, "written": len(self.written), "unchanged": self.unchanged,
                "removed": len(self.removed), "days": dict(self.days), "feeds": self.feeds, "search": self.search,
                "search_files_written": self.search_written, "seconds": round(self.seconds, 2)}

    def line(self) -> str:
        days = ", ".join(f"{n} {lang}" for lang, n in self.days.items()) or "none"
        return (f"site: {self.files} files ({len(self.written)} written, {self.unchanged} unchanged, "
                f"{len(self.removed)} removed); days: {days}; feeds: {self.feeds}; search: {self.search}"
                f"{f' ({self.search_written} index files written)' if self.search_written else ''}; "
                f"{self.seconds:.1f}s")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates.TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env


class _Renderer:
    def __init__(self, history: History, base_url: str | None, subscriptions: Sequence[Subscription], search: bool):
        self.h = history
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.subs = list(subscriptions)
        self.search = search
        self.env = _env()
        self.files: dict[str, bytes] = {}
        self.report_days = {lang: set(history.days(lang)) for lang in history.langs}
        self.items_by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
        for it in history.items:
            self.items_by_day[it["day"]].append(it)

    # --- helpers -----------------------------------------------------------------------------------------
    def add(self, path: str, text: str | bytes) -> None:
        self.files[path] = text if isinstance(text, bytes) else text.encode("utf-8")

    @staticmethod
    def root(path: str) -> str:
        return "../" * path.count("/")

    def rel(self, frm: str, to: str) -> str:
        return paths.relative(frm, to)

    def page(self, template: str, path: str, lang: str, title: str, nav: list[dict[str, str]], **ctx: Any) -> None:
        html = self.env.get_template(template).render(
            lang=lang, ui=templates.UI[lang], csp=templates.CSP, root=self.root(path), title=strip_invalid(title),
            nav=nav, feed=ctx.pop("feed", None) or self.rel(path, paths.feed_path(lang)), search=ctx.pop("search", False),
            report_css=ctx.pop("report_css", ""), **ctx)
        self.add(path, html)

    def nav(self, path: str, lang: str, other: str | None = None) -> list[dict[str, str]]:
        ui = templates.UI[lang]
        links = [{"href": self.rel(path, paths.lang_index_path(lang)), "text": ui["archive"]},
                 {"href": self.rel(path, paths.tags_path(lang)), "text": ui["tags"]},
                 {"href": self.rel(path, paths.feed_path(lang)), "text": ui["feed"]}]
        for o in self.h.langs:
            if o != lang:
                target = other.replace(f"{lang}/", f"{o}/", 1) if other else paths.lang_index_path(o)
                if not self._exists(target):
                    target = paths.lang_index_path(o)
                links.append({"href": self.rel(path, target), "text": templates.LANG_NAMES.get(o, o),
                              "hreflang": o})
        return links

    def _exists(self, path: str) -> bool:
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "day":
            return dt.date.fromisoformat(parts[2][:-5]) in self.report_days.get(parts[0], set())
        return True

    def day_href(self, frm: str, lang: str, day: dt.date) -> str | None:
        return self.rel(frm, paths.day_path(lang, day)) if day in self.report_days.get(lang, set()) else None

    def totals_line(self, lang: str, report: Report) -> str:
        ui = templates.UI[lang]
        parts = []
        for key in ("commits", "merged_prs", "new_prs", "issues"):
            v = report.totals.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                parts.append(f"{ui[key]} {v}")
        return " · ".join(parts)

    def item_view(self, frm: str, lang: str, it: Mapping[str, Any]) -> dict[str, Any]:
        ui = templates.UI[lang]
        ident = str(it.get("item_id") or "")
        ident = ident[:7] if it.get("item_kind") == "commit" else f"#{ident}"
        tags = [{"family": fam, "name": tag_name(v), "href": self.rel(frm, paths.tag_path(lang, fam, v))}
                for fam in paths.FAMILIES for v in it.get(fam) or ()]
        return {
            "kind": ui.get(f"kind_{it.get('item_kind')}", it.get("item_kind") or ""),
            "ident": strip_invalid(ident), "href": it["url"] if is_github_url(it.get("url")) else None,
            "title": strip_invalid(it.get("title") or "") or ui["untitled"],
            "change_type": type_name(lang, it.get("change_type")), "tags": tags,
            "repo": it["repo"], "repo_href": self.rel(frm, paths.repo_path(lang, it["repo"])),
            "day": it["day"].isoformat(), "day_href": self.day_href(frm, lang, it["day"]),
        }

    def groups(self, frm: str, lang: str, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        by_day: dict[dt.date, list] = defaultdict(list)
        for it in items:
            by_day[it["day"]].append(it)
        return [{"day": d.isoformat(), "day_href": self.day_href(frm, lang, d),
                 "entries": [self.item_view(frm, lang, it) for it in rank(by_day[d])]}
                for d in sorted(by_day, reverse=True)]

    @staticmethod
    def counts(items: Iterable[Mapping[str, Any]]) -> tuple[Counter, dict[str, Counter]]:
        repos: Counter = Counter()
        fams: dict[str, Counter] = {f: Counter() for f in paths.FAMILIES}
        for it in items:
            repos[it["repo"]] += 1
            for f in paths.FAMILIES:
                for v in it.get(f) or ():
                    fams[f][v] += 1
        return repos, fams

    def label_blocks(self, frm: str, lang: str, items: Sequence[Mapping[str, Any]]):
        ui = templates.UI[lang]
        repos, fams = self.counts(items)
        repo_list = [{"name": r, "n": n, "href": self.rel(frm, paths.repo_path(lang, r))}
                     for r, n in sorted(repos.items(), key=lambda kv: (-kv[1], kv[0]))]
        families = [{"family": f, "title": ui[f"family_{f}"],
                     "tags": [{"name": tag_name(v), "n": n, "href": self.rel(frm, paths.tag_path(lang, f, v))}
                              for v, n in sorted(fams[f].items(), key=lambda kv: (-kv[1], kv[0]))]}
                    for f in paths.FAMILIES if fams[f]]
        return repo_list, families

    # --- pages ---------------------------------------------------------------------------------------------
    def build(self) -> dict[str, bytes]:
        self.add("assets/site.css", templates.CSS)
        if self.search:
            self.add("assets/search.js", templates.SEARCH_JS)
        for lang in self.h.langs:
            self.lang_pages(lang)
        self.root_index()
        for sub in self.subs:
            self.sub_pages(sub)
        return self.files

    def root_index(self) -> None:
        path = "index.html"
        lang = self.h.langs[0] if self.h.langs else "zh"
        blocks = []
        for lg in self.h.langs:
            blocks.append({"lang": lg, "ui": templates.UI[lg], "index": paths.lang_index_path(lg),
                           "feed": paths.feed_path(lg),
                           "days": [{"day": r.day.isoformat(), "href": paths.day_path(lg, r.day),
                                     "incomplete": bool(r.failed_repos)} for r in self.h.reports[lg]]})
        subs = [{"name": s.name, "href": paths.sub_path(s.name), "feed": paths.sub_feed_path(s.name)} for s in self.subs]
        nav = [{"href": paths.lang_index_path(lg), "text": f"{templates.UI[lg]['archive']} ({templates.LANG_NAMES.get(lg, lg)})",
                "hreflang": lg} for lg in self.h.langs]
        self.page("root_index", path, lang, templates.UI[lang]["site"], nav, langs=blocks, subs=subs)

    def lang_pages(self, lang: str) -> None:
        ui = templates.UI[lang]
        reports = self.h.reports[lang]
        path = paths.lang_index_path(lang)
        days = [{"day": r.day.isoformat(), "href": self.rel(path, paths.day_path(lang, r.day)),
                 "totals": self.totals_line(lang, r), "incomplete": bool(r.failed_repos)} for r in reports]
        self.page("lang_index", path, lang, f"{ui['site']} · {ui['archive']}", self.nav(path, lang, path),
                  days=days, search=self.search)
        ordered = sorted(reports, key=lambda r: r.day)
        for i, r in enumerate(ordered):
            self.day_page(lang, r, ordered[i - 1] if i else None, ordered[i + 1] if i + 1 < len(ordered) else None)
        self.feed(lang, reports)
        # repositories and tags
        repos: dict[str, list] = defaultdict(list)
        tags: dict[tuple[str, str], list] = defaultdict(list)
        for it in self.h.items:
            repos[it["repo"]].append(it)
            for fam in paths.FAMILIES:
                for v in it.get(fam) or ():
                    tags[(fam, v)].append(it)
        for repo, items in repos.items():
            p = paths.repo_path(lang, repo)
            self.page("list", p, lang, f"{repo} · {ui['site']}", self.nav(p, lang, p), heading=repo, name=repo,
                      count=len(items), groups=self.groups(p, lang, items))
        for (fam, v), items in tags.items():
            p = paths.tag_path(lang, fam, v)
            name = f"{ui[f'family_{fam}']}: {tag_name(v)}"
            self.page("list", p, lang, f"{name} · {ui['site']}", self.nav(p, lang, p), heading=name, name=tag_name(v),
                      count=len(items), groups=self.groups(p, lang, items))
        p = paths.tags_path(lang)
        repo_list, families = self.label_blocks(p, lang, self.h.items)
        self.page("tags", p, lang, f"{ui['tags']} · {ui['site']}", self.nav(p, lang, p), repos=repo_list,
                  families=families)

    def day_page(self, lang: str, r: Report, prev: Report | None, nxt: Report | None) -> None:
        ui = templates.UI[lang]
        path = paths.day_path(lang, r.day)
        body = Markup(sanitize(body_of(r.html)))
        repos, families = self.label_blocks(path, lang, self.items_by_day.get(r.day, []))
        self.page("day", path, lang, f"{ui['site']} · {r.day}", self.nav(path, lang, path), body=body,
                  report_css=Markup(report_styles(r.html)) if r.html else "",
                  prev={"day": prev.day.isoformat(), "href": self.rel(path, paths.day_path(lang, prev.day))} if prev else None,
                  next={"day": nxt.day.isoformat(), "href": self.rel(path, paths.day_path(lang, nxt.day))} if nxt else None,
                  repos=repos, families=families)

    def link(self, feed_path: str, target: str) -> str:
        return paths.absolute(self.base_url, target) or self.rel(feed_path, target)

    def feed(self, lang: str, reports: Sequence[Report]) -> None:
        ui = templates.UI[lang]
        fp = paths.feed_path(lang)
        entries = []
        for r in reports[:MAX_FEED_ENTRIES]:
            hs = highlights_from_markdown(r.markdown, lang)
            totals = self.totals_line(lang, r)
            html = "".join(f"<li>{escape(h['text'])}" + "".join(
                f' <a href="{escape(u)}">{escape(u.rsplit("/", 1)[-1][:12])}</a>' for u in h["links"]) + "</li>" for h in hs)
            html = (f"<p>{escape(totals)}</p>" if totals else "") + (f"<ul>{html}</ul>" if html else "")
            entries.append({"id": feeds.entry_id("day", lang, r.day.isoformat()), "title": f"{ui['site']} · {r.day}",
                            "href": self.link(fp, paths.day_path(lang, r.day)), "updated": r.generated_at,
                            "summary": totals, "content_html": html})
        self.add(fp, feeds.build_feed(feed_id=feeds.entry_id("feed", lang), title=ui["site"],
                                      self_href=self.link(fp, fp), alternate_href=self.link(fp, paths.lang_index_path(lang)),
                                      lang=lang, entries=entries))

    # --- subscriptions ---------------------------------------------------------------------------------------
    def periods(self, sub: Subscription) -> list[tuple[Period, list[dict[str, Any]]]]:
        days = sorted(self.report_days.get(sub.lang, set()) | set(self.items_by_day), reverse=True)
        days = [d for d in days if d in self.report_days.get(sub.lang, set())]
        out = []
        for d in days:
            p = period_for(sub, d)
            if p is None:
                continue
            items = rank(it for day in p.days for it in self.items_by_day.get(day, []) if matches(it, sub.filters))
            if sub.filters and not items:
                continue
            out.append((p, items))
            if len(out) >= MAX_SUB_PERIODS:
                break
        return out

    def sub_pages(self, sub: Subscription) -> None:
        lang = sub.lang
        ui = templates.UI[lang]
        path, fp = paths.sub_path(sub.name), paths.sub_feed_path(sub.name)
        periods = self.periods(sub)
        views = []
        for p, items in periods:
            label = str(p.end) if not p.weekly else f"{p.start} – {p.end}"
            views.append({"anchor": paths.period_anchor(p.end), "label": label,
                          "day_href": self.day_href(path, lang, p.end) if not p.weekly else None,
                          "entries": [self.item_view(path, lang, it) for it in items]})
        filters = [{"key": k, "vals": ", ".join(v)} for k, v in sub.filters.items()]
        nav = self.nav(path, lang)[:3]
        self.page("sub", path, lang, f"{ui['subscription']}: {sub.name}", nav, name=sub.name, filters=filters,
                  cadence=sub.cadence, periods=views, feed=self.rel(path, fp))
        entries = []
        for p, items in periods[:MAX_FEED_ENTRIES]:
            gen = [r.generated_at for d in p.days if (r := self.h.report(lang, d))]
            updated = max(gen) if gen else dt.datetime.combine(p.end, dt.time(), dt.timezone.utc)
            lis = "".join(
                "<li>" + (f'<a href="{escape(it["url"])}">{escape(it["repo"])}</a>' if is_github_url(it.get("url"))
                          else escape(it["repo"])) + f" {escape(strip_invalid(it.get('title') or ''))}</li>"
                for it in items)
            label = str(p.end) if not p.weekly else f"{p.start} – {p.end}"
            entries.append({"id": feeds.entry_id("sub", sub.name, p.key), "title": f"{sub.name} · {label}",
                            "href": self.link(fp, path) + f"#{paths.period_anchor(p.end)}", "updated": updated,
                            "summary": ui["items_of"].format(name=sub.name, n=len(items)),
                            "content_html": f"<ul>{lis}</ul>" if lis else ""})
        self.add(fp, feeds.build_feed(feed_id=feeds.entry_id("feed", "sub", sub.name), title=f"{ui['site']} · {sub.name}",
                                      self_href=self.link(fp, fp), alternate_href=self.link(fp, path), lang=lang,
                                      entries=entries))


def _write(out: Path, rel: str, data: bytes) -> bool:
    target = out / rel
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return True


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def build_site(conn: duckdb.DuckDBPyConnection, out_dir: str | Path, base_url: str | None = None,
               subscriptions: Sequence[Subscription] | None = None, *, search_index: bool = True,
               langs: Sequence[str] | None = None) -> SiteStats:
    """Build (or update) the site in ``out_dir`` from the history on ``conn``. ``base_url`` (where the site is
    served) makes feed links absolute; pages always link relatively. Returns what was written."""
    started = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stats = SiteStats(out_dir=str(out))
    history = load_history(conn, langs)
    search_reason = None
    pf_version = None
    if search_index:
        try:
            pf_version = search.version()
        except search.SearchUnavailable as exc:
            search_reason = str(exc)
    renderer = _Renderer(history, base_url, subscriptions or [], search=search_index and search_reason is None)
    files = renderer.build()
    stats.files = len(files)
    stats.days = {lang: len(rs) for lang, rs in history.reports.items()}
    stats.feeds = sum(1 for p in files if p.startswith("feeds/"))
    for rel in sorted(files):
        if _write(out, rel, files[rel]):
            stats.written.append(rel)
        else:
            stats.unchanged += 1
    manifest = _read_manifest(out)
    for rel in sorted(set(manifest.get("files") or []) - set(files)):
        target = out / rel
        if isinstance(rel, str) and ".." not in rel.split("/") and target.is_file():
            target.unlink()
            stats.removed.append(rel)
            parent = target.parent
            while parent != out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    # search
    bundle = out / search.BUNDLE
    if not search_index:
        stats.search = "disabled"
    elif search_reason:
        stats.search = f"skipped: {search_reason}"
    else:
        day_changed = any("/day/" in p for p in (*stats.written, *stats.removed))
        if day_changed or not (bundle / "pagefind-entry.json").is_file() or manifest.get("pagefind") != pf_version:
            scratch = out / ".pagefind-build"
            try:
                search.build_index(out, scratch)
                written, _, removed = search.sync(scratch, bundle)
                stats.search, stats.search_written = "indexed", written + removed
            except search.SearchUnavailable as exc:
                stats.search = f"skipped: {exc}"
            finally:
                if scratch.exists():
                    import shutil

                    shutil.rmtree(scratch, ignore_errors=True)
        else:
            stats.search = "unchanged"
    new_manifest = {"files": sorted(files), "pagefind": pf_version if stats.search in ("indexed", "unchanged") else None}
    _write(out, MANIFEST, (json.dumps(new_manifest, indent=1) + "\n").encode())
    stats.seconds = time.monotonic() - started
    return stats
