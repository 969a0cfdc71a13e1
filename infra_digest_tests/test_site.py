"""The archive site: pages, permalinks, escaping, incremental rebuilds, Atom feeds, and, in headless Chromium,
rendering without console errors, search in Chinese and English, and no script from the data running."""

from __future__ import annotations

import datetime as dt
import html
import functools
import re
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra_digest.deliver.subscriptions import parse_subscriptions
from infra_digest.site import paths, search
from infra_digest.site.build import MANIFEST, build_site
from infra_digest.site.sanitize import report_styles, sanitize
from infra_digest.storage.db import connect
from infra_digest_tests.fakes.history import (EN_WORDS, REPOS, ZH_WORDS, add_flags_column, day_items, drop_flags_column,
                                          write_history)

DAYS = [dt.date(2026, 4, 28) + dt.timedelta(days=k) for k in range(5)]  # across a month's end
SUBS = parse_subscriptions({"subscriptions": [
    {"name": "blackwell-fp4", "to": "json://127.0.0.1:9/x", "lang": "en",
     "filters": {"hardware": ["nvidia-blackwell", "nvidia-blackwell-rtx"], "precision": ["fp4"]}},
    {"name": "weekly-all", "to": "json://127.0.0.1:9/y", "cadence": f"weekly:{DAYS[-1].strftime('%a').upper()}"},
]})
OUR_SCRIPTS = {"pagefind/pagefind-ui.js", "assets/search.js"}


def has_pagefind() -> bool:
    try:
        search.executable()
        return True
    except search.SearchUnavailable:
        return False


def make_db(tmp_path: Path, days=DAYS, flags: bool = True) -> Path:
    path = tmp_path / "h.duckdb"
    with connect(path) as conn:
        if flags:
            add_flags_column(conn)
        else:
            drop_flags_column(conn)
        write_history(conn, days, failed={days[1]: [REPOS[2]]})
    return path


def build(db: Path, out: Path, **kw):
    with connect(db, read_only=True) as conn:
        return build_site(conn, out, subscriptions=SUBS, **kw)


@pytest.fixture
def site(tmp_path: Path):
    db = make_db(tmp_path)
    out = tmp_path / "site"
    stats = build(db, out, search_index=has_pagefind())
    return db, out, stats


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []   # (tag, attribute, value)
        self.scripts: list[tuple[str | None, bool]] = []
        self.handlers: list[str] = []
        self.ids: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "action", "formaction", "data") and value is not None:
                self.links.append((tag, name, value))
        if tag == "script":
            self.scripts.append((d.get("src"), False))
            self._in_script = True
        if tag in ("iframe", "object", "embed", "form", "img"):
            self.handlers.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts[-1] = (self.scripts[-1][0], True)


def parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def site_pages(out: Path) -> list[Path]:
    return [p for p in out.rglob("*.html") if "pagefind" not in p.relative_to(out).parts[:1]]


# --- structure and permalinks ---------------------------------------------------------------------------------

def test_pages_feeds_and_permalinks(site):
    _, out, stats = site
    for lang in ("zh", "en"):
        for d in DAYS:
            assert (out / paths.day_path(lang, d)).is_file()
        assert (out / paths.lang_index_path(lang)).is_file() and (out / paths.tags_path(lang)).is_file()
        for fam, value in (("hardware", "nvidia-blackwell-rtx"), ("precision", "fp4"), ("models", "qwen"),
                           ("flags", "crash"), ("topics", "moe")):
            assert (out / paths.tag_path(lang, fam, value)).is_file(), (fam, value)
        for repo in REPOS:
            assert (out / paths.repo_path(lang, repo)).is_file()
        assert (out / paths.feed_path(lang)).is_file()
    assert paths.day_path("zh", DAYS[0]) == "zh/day/2026-04-28.html"
    assert paths.repo_path("en", "vllm-project/vllm") == "en/repo/vllm-project/vllm.html"
    assert paths.tag_path("en", "models", "deepseek") == "en/tag/model/deepseek.html"
    assert paths.tag_path("en", "hardware", "../../etc/passwd").startswith("en/tag/hardware/x-")
    for s in SUBS:
        assert (out / paths.sub_path(s.name)).is_file() and (out / paths.sub_feed_path(s.name)).is_file()
    assert stats.days == {"zh": 5, "en": 5} and stats.feeds == 4


def test_index_lists_days_newest_first_per_language(site):
    _, out, _ = site
    for index in (out / "index.html", out / "zh/index.html", out / "en/index.html"):
        text = index.read_text(encoding="utf-8")
        for lang in (("zh", "en") if index.name == "index.html" and index.parent == out else (index.parent.name,)):
            found = re.findall(rf'href="(?:\.\./)?(?:{lang}/)?day/(\d{{4}}-\d\d-\d\d)\.html"', text)
            assert found[: len(DAYS)] == [d.isoformat() for d in reversed(DAYS)], (index, lang)
    zh = (out / "zh/index.html").read_text(encoding="utf-8")
    assert "数据不完整" in zh  # the day with a failed repository says so


def test_no_script_or_handler_from_data_and_only_github_or_internal_links(site):
    _, out, _ = site
    pages = site_pages(out)
    assert len(pages) > 30
    for page in pages:
        p = parse(page)
        rel = page.relative_to(out).as_posix()
        assert not p.handlers, (rel, p.handlers)
        for src, inline in p.scripts:
            assert not inline, f"inline script in {rel}"
            target = urllib.parse.urljoin(f"http://s/{rel}", src)
            assert target.removeprefix("http://s/") in OUR_SCRIPTS, (rel, src)
        text = page.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in text and "script-src 'self' 'wasm-unsafe-eval';" in html.unescape(text)
        for tag, attr, value in p.links:
            if value.startswith(("https://github.com/", "data:,")):
                continue
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I), (rel, tag, attr, value)  # no other scheme
            assert not value.startswith("/"), (rel, value)                                    # relative only


def test_every_internal_link_resolves(site):
    _, out, _ = site
    checked = 0
    for page in site_pages(out):
        rel = page.relative_to(out).as_posix()
        for tag, attr, value in parse(page).links:
            if value.startswith(("https://", "data:")):
                continue
            target, _, frag = urllib.parse.urljoin(f"http://s/{rel}", value).removeprefix("http://s/").partition("#")
            assert (out / target).is_file(), f"{rel}: {value} -> {target} missing"
            if frag and target.endswith(".html"):
                assert frag in parse(out / target).ids, f"{rel}: #{frag} not in {target}"
            checked += 1
    assert checked > 200


def test_report_html_is_sanitized_and_hostile_titles_escaped(site):
    _, out, _ = site
    day = (out / paths.day_path("en", DAYS[2])).read_text(encoding="utf-8")
    body = day.split("<body>", 1)[1]
 # the report HTML carried raw <script>, <img onerror>, <iframe>, <form>, style= and javascript: links
    assert "<script" not in body and "onerror" not in body and "window.__pwned" not in body
    assert "<iframe" not in body and "<form" not in body and "javascript:" not in body
    assert 'href="https://evil.example' not in body and "style=" not in body
    assert 'href="https://github.com/vllm-project/vllm/commit/' in body
    assert 'href="#top"' in body
    repo_page = (out / paths.repo_path("en", REPOS[2])).read_text(encoding="utf-8")
    assert "&lt;b onmouseover=alert(1)&gt;" in repo_page and "javascript:" not in repo_page
    fi_page = (out / paths.repo_path("en", REPOS[1])).read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in fi_page  # a hostile title shown as text


def test_sanitizer_unit():
    dirty = ('<p onclick="x()">a<script>bad()</script><a href="JaVaScRiPt:x">j</a><a href=" https://github.com/a/b ">g</a>'
             '<a href="//evil.example/">e</a><svg><script>bad()</script></svg><style>*{}</style><b>ok</b>'
             '<details open><summary>s</summary><code class="x y!">c</code></details><img src=x onerror=bad()>'
             '<textarea><script>bad()</script></textarea>&lt;script&gt;</p></div></span>')
    clean = sanitize(dirty)
    assert clean == ('<p>a<a>j</a><a href="https://github.com/a/b" rel="nofollow noopener noreferrer">g</a><a>e</a>'
                     '<b>ok</b><details open><summary>s</summary><code class="x">c</code></details>&lt;script&gt;</p>')
    assert report_styles("<style>a{color:red}</style><style>@import url(x)</style><style>b{x:1}</style>") == \
        "a{color:red}\nb{x:1}"


# --- incremental rebuilds --------------------------------------------------------------------------------------

def test_rebuild_touches_only_what_changed_and_keeps_permalinks(tmp_path: Path):
    db = make_db(tmp_path, DAYS[:4])
    out = tmp_path / "site"
    first = build(db, out, search_index=has_pagefind())
    assert first.written and not first.removed
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build(db, out, search_index=has_pagefind())
    assert again.written == [] and again.removed == [] and again.search in ("unchanged", "disabled")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    # a new day: its pages, its neighbour's (next-day link), the indexes, feeds, repo/tag pages; not older days
    with connect(db) as conn:
        write_history(conn, [DAYS[4]], start_index=4)
    third = build(db, out, search_index=has_pagefind())
    written = set(third.written)
    for lang in ("zh", "en"):
        assert paths.day_path(lang, DAYS[4]) in written and paths.day_path(lang, DAYS[3]) in written
        for d in DAYS[:3]:
            assert paths.day_path(lang, d) not in written
            assert (out / paths.day_path(lang, d)).stat().st_mtime_ns == mtimes[out / paths.day_path(lang, d)]
        assert paths.lang_index_path(lang) in written and paths.feed_path(lang) in written
    assert not third.removed
    new_items = [it for it in day_items(DAYS[4], 4)]
    expected = {"index.html", *(f"{lang}/{f}" for lang in ("zh", "en") for f in ("index.html", "tags.html")),
                *(paths.day_path(lang, d) for lang in ("zh", "en") for d in DAYS[3:]),
                *(p for p in third.written if p.startswith(("feeds/", "sub/"))),
                *(paths.repo_path(lang, it["repo"]) for lang in ("zh", "en") for it in new_items),
                *(paths.tag_path(lang, fam, v) for lang in ("zh", "en") for it in new_items
                  for fam in paths.FAMILIES for v in it[fam])}
    assert written <= expected, written - expected
    for lang in ("zh", "en"):  # a tag the new day does not have: untouched
        llama = out / paths.tag_path(lang, "models", "llama")
        assert paths.tag_path(lang, "models", "llama") not in written and llama.stat().st_mtime_ns == mtimes[llama]
    assert "assets/site.css" not in written


def test_files_no_longer_produced_are_removed_but_foreign_files_kept(tmp_path: Path):
    db = make_db(tmp_path, DAYS[:2])
    out = tmp_path / "site"
    out.mkdir()
    (out / "CNAME").write_text("digest.example.org\n")
    build(db, out, search_index=False)
    with connect(db) as conn:
        conn.execute("DELETE FROM report.daily WHERE day = ? AND lang = 'en'", [DAYS[1]])
    stats = build(db, out, search_index=False)
    assert paths.day_path("en", DAYS[1]) in stats.removed
    assert not (out / paths.day_path("en", DAYS[1])).exists() and (out / "CNAME").is_file()
    assert (out / MANIFEST).is_file()


def test_works_without_the_flags_column(tmp_path: Path):
    db = make_db(tmp_path, DAYS[:2], flags=False)
    out = tmp_path / "site"
    stats = build(db, out, search_index=False)
    assert stats.days == {"zh": 2, "en": 2}
    assert not (out / paths.tag_path("zh", "flags", "crash")).exists()
    assert (out / paths.tag_path("zh", "hardware", "amd")).is_file()


def test_empty_history_builds_an_empty_index(tmp_path: Path):
    with connect(tmp_path / "h.duckdb") as conn:
        stats = build_site(conn, tmp_path / "site", search_index=False)
    assert stats.days == {} and (tmp_path / "site/index.html").is_file()


# --- served over HTTP: feeds and browser -------------------------------------------------------------------------

@pytest.fixture
def served(site):
    db, out, stats = site
    handler = functools.partial(_QuietHandler, directory=str(out))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", out, stats, db
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_atom_feeds_parse_with_stable_ids_and_resolving_links(served, tmp_path):
    feedparser = pytest.importorskip("feedparser")
    base, out, _, db = served
    feeds = [paths.feed_path("zh"), paths.feed_path("en"), *(paths.sub_feed_path(s.name) for s in SUBS)]
    ids = {}
    for fp in feeds:
        parsed = feedparser.parse(base + fp)
        assert not parsed.bozo, (fp, parsed.get("bozo_exception"))
        assert parsed.version == "atom10" and parsed.entries, fp
        ids[fp] = [e.id for e in parsed.entries]
        for e in parsed.entries:
            assert e.id.startswith("urn:uuid:")
            with urllib.request.urlopen(e.link) as resp:
                assert resp.status == 200, e.link
                page = resp.read().decode("utf-8")
            frag = urllib.parse.urlsplit(e.link).fragment
            assert not frag or f'id="{frag}"' in page, e.link
            assert "<script" not in (e.get("summary", "") + "".join(c.value for c in e.get("content", [])))
    day_feed = feedparser.parse(base + paths.feed_path("en"))
    assert [e.link.rsplit("/", 1)[-1] for e in day_feed.entries] == [f"{d}.html" for d in reversed(DAYS)]
    sub = feedparser.parse(base + paths.sub_feed_path("blackwell-fp4"))
    assert all("#p-" in e.link for e in sub.entries) and len(sub.entries) == len(DAYS)
    # a rebuild with an extra day keeps every earlier entry id; only a new one comes
    with connect(db) as conn:
        write_history(conn, [DAYS[-1] + dt.timedelta(days=1)], start_index=5)
    build(db, out, search_index=False)
    for fp in feeds[:3]:
        new_ids = [e.id for e in feedparser.parse(base + fp).entries]
        assert set(ids[fp]) <= set(new_ids) and len(new_ids) == len(ids[fp]) + 1, fp


def test_feed_links_are_absolute_with_a_base_url(tmp_path: Path):
    feedparser = pytest.importorskip("feedparser")
    db = make_db(tmp_path, DAYS[:2])
    with connect(db, read_only=True) as conn:
        build_site(conn, tmp_path / "site", base_url="https://digest.example.org/ai/", search_index=False)
    parsed = feedparser.parse((tmp_path / "site" / paths.feed_path("zh")).read_bytes())
    assert parsed.entries[0].link == f"https://digest.example.org/ai/zh/day/{DAYS[1]}.html"


chromium = pytest.importorskip("infra_digest_tests.fakes.browser")


def _browser_or_skip(need_search: bool = False):
    if not chromium.chromium_path():
        pytest.skip("Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    if need_search and not has_pagefind():
        pytest.skip("Pagefind's extended build is not installed (pip install 'pagefind[extended]')")
    pytest.importorskip("websockets")
    return chromium.Browser()


RESULTS_JS = """(() => {
  const links = [...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.getAttribute('href'));
  const msg = document.querySelector('.pagefind-ui__message');
  const text = msg ? msg.textContent.trim() : '';
  // the count ("找到 1 个 … 的相关结果", "1 result for …") is shown before the results themselves are loaded: wait for
  // as many links as it announces (the first page of results shows at most 5)
  const count = text.match(/\\d+/);
  const want = count ? Math.min(parseInt(count[0], 10), 5) : 0;
  const done = text && !/\\.\\.\\.|…/.test(text) && links.length >= want;
  return done ? {links, message: text} : null;
})()"""


def test_in_chromium_pages_render_without_errors_and_no_data_script_runs(served):
    base, out, stats, _ = served
    browser = _browser_or_skip()
    try:
        for rel in ("index.html", "zh/index.html", paths.day_path("zh", DAYS[2]), paths.day_path("en", DAYS[1]),
                    paths.tag_path("en", "flags", "crash"), paths.sub_path("blackwell-fp4")):
            page = browser.open(base + rel)
            assert page.problems() == [], (rel, page.problems())
            assert page.evaluate("typeof window.__pwned") == "undefined", rel
            assert page.dialogs == [], rel
            assert page.evaluate("document.querySelectorAll('[onerror],[onclick],[onmouseover],iframe,form:not(.pagefind-ui__form)').length") == 0
            scripts = page.evaluate("[...document.scripts].map(s => s.src.replace(location.origin, ''))")
            assert all(s.endswith(("/pagefind/pagefind-ui.js", "/assets/search.js")) for s in scripts), (rel, scripts)
            page.close()
        # 400 px wide: no horizontal scrolling on a day page
        page = browser.open(base + paths.day_path("zh", DAYS[2]), width=400)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.close()
    finally:
        browser.close()


def test_in_chromium_search_finds_the_day_in_chinese_and_english(served):
    base, out, stats, _ = served
    browser = _browser_or_skip(need_search=True)
    assert stats.search == "indexed"
    try:
        # search: a Chinese and an English word, each on one day only
        for lang, words in (("zh", ZH_WORDS), ("en", EN_WORDS)):
            i = 3
            page = browser.open(base + f"{lang}/index.html?q=" + urllib.parse.quote(words[i]))
            found = page.wait_for(RESULTS_JS, timeout=30)
            assert [h.rsplit("/", 1)[-1] for h in found["links"]] == [f"{DAYS[i]}.html"], (lang, found)
            assert all(h.startswith(f"/{lang}/day/") for h in found["links"])
            assert page.problems() == [], page.problems()
            page.close()
            page = browser.open(base + f"{lang}/index.html?q=" + urllib.parse.quote("nonexistentwordzz"))
            assert page.wait_for(RESULTS_JS, timeout=30)["links"] == []
            page.close()
    finally:
        browser.close()


def test_irregular_history_gaps_one_language_days_and_a_day_without_items(tmp_path: Path):
    feedparser = pytest.importorskip("feedparser")
    days = [dt.date(2025, 12, 30), dt.date(2026, 1, 2), dt.date(2026, 1, 9)]
    db = tmp_path / "h.duckdb"
    with connect(db) as conn:
        write_history(conn, days)
        conn.execute("DELETE FROM report.daily WHERE lang = 'en' AND day = ?", [days[1]])   # no en report that day
        conn.execute("DELETE FROM classified.changes WHERE day = ?", [days[2]])              # a quiet day
    out = tmp_path / "site"
    with connect(db, read_only=True) as conn:
        stats = build_site(conn, out, subscriptions=SUBS, search_index=False)
    assert stats.days == {"zh": 3, "en": 2}
    assert not (out / paths.day_path("en", days[1])).exists()
    # the zh page of that day offers the English index instead of a missing page; prev/next skip the gap
    zh_day = (out / paths.day_path("zh", days[1])).read_text(encoding="utf-8")
    assert 'href="../../en/index.html" hreflang="en"' in zh_day
    en_last = (out / paths.day_path("en", days[2])).read_text(encoding="utf-8")
    assert f'rel="prev" href="{days[0]}.html"' in en_last
    for page in site_pages(out):
        rel = page.relative_to(out).as_posix()
        for _, _, value in parse(page).links:
            if not value.startswith(("https://", "data:")):
                target = urllib.parse.urljoin(f"http://s/{rel}", value).removeprefix("http://s/").partition("#")[0]
                assert (out / target).is_file(), (rel, value)
    for fp in (paths.feed_path("zh"), paths.feed_path("en"), paths.sub_feed_path("blackwell-fp4")):
        parsed = feedparser.parse((out / fp).read_bytes())
        assert not parsed.bozo and parsed.entries, fp
    # no reported day is the weekly subscription's weekday: a valid feed without entries
    weekly = feedparser.parse((out / paths.sub_feed_path("weekly-all")).read_bytes())
    assert not weekly.bozo and weekly.entries == []


def test_site_and_deliver_commands_take_their_settings_from_the_one_settings(tmp_path: Path, monkeypatch, capsys):
    """`site` and `deliver` read INFRA_DIGEST_DB / _SITE_DIR / _SITE_URL / _SUBSCRIPTIONS through Settings (the
    variables are declared once, in settings.py), options win, and the demo's world is never picked for them."""
    import argparse

    from infra_digest import settings
    from infra_digest.deliver.cli import add_deliver_arguments, deliver_settings
    from infra_digest.site.cli import add_site_arguments, site_settings

    env = {settings.ENV_DB: str(tmp_path / "env.duckdb"), settings.ENV_SITE_DIR: str(tmp_path / "env_site"),
           settings.ENV_SITE_URL: "https://digest.example.org/", settings.ENV_SUBSCRIPTIONS: str(tmp_path / "subs.yaml")}
    site_args = add_site_arguments(argparse.ArgumentParser())
    conf = site_settings(site_args.parse_args([]), environ=env)
    assert (conf.db, conf.site_dir, conf.site_url, conf.subscriptions) == tuple(env.values())
    conf = site_settings(site_args.parse_args(["--db", "x.duckdb", "--out", "o", "--base-url", "https://b/"]),
                         environ={settings.ENV_SOURCE: settings.DEMO_SOURCE})
    assert (conf.db, conf.site_dir, conf.site_url, conf.subscriptions) == ("x.duckdb", "o", "https://b/", None)
    assert site_settings(site_args.parse_args([]), environ={settings.ENV_SOURCE: settings.DEMO_SOURCE}).db == settings.DEFAULT_DB
    deliver_args = add_deliver_arguments(argparse.ArgumentParser())
    conf = deliver_settings(deliver_args.parse_args(["--date", "2026-03-02"]), environ=env)
    assert (conf.db, conf.site_url, conf.subscriptions) == (env[settings.ENV_DB], env[settings.ENV_SITE_URL],
                                                            env[settings.ENV_SUBSCRIPTIONS])
    # end to end: the command builds the site where the environment says
    db = make_db(tmp_path, DAYS[:2])
    monkeypatch.setenv(settings.ENV_DB, str(db))
    monkeypatch.setenv(settings.ENV_SITE_DIR, str(tmp_path / "from_env"))
    monkeypatch.delenv(settings.ENV_SUBSCRIPTIONS, raising=False)
    args = site_args.parse_args(["--no-search"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "from_env" / "index.html")
    assert (tmp_path / "from_env" / paths.day_path("en", DAYS[0])).is_file()
