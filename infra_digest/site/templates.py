"""The site's templates, stylesheet and the one script (search), kept in Python so the package needs no data files.

Every template is rendered with autoescaping; the only markup from the history is the report body, which
:mod:`infra_digest.site.sanitize` has re-built from an allow-list first. No page has an inline script, and each
carries a Content-Security-Policy that forbids them, so text from the data can never run.
"""

from __future__ import annotations

LANG_NAMES = {"zh": "中文", "en": "English"}

UI = {
    "zh": {
        "site": "AI Infra 日报", "archive": "日报归档", "days": "历史日报（最新在前）", "tags": "仓库与标签",
        "search": "搜索", "search_hint": "搜索全部日报", "feed": "订阅（Atom）", "repos": "仓库", "prev": "前一天",
        "next": "后一天", "labels_of_day": "当日的仓库与标签", "items": "条目",
        "commits": "commit", "merged_prs": "合并 PR", "new_prs": "新 PR", "issues": "新 issue",
        "incomplete": "数据不完整", "report": "日报", "no_days": "还没有日报。",
        "family_hardware": "硬件", "family_precision": "精度", "family_models": "模型", "family_topics": "主题",
        "family_flags": "标记", "kind_commit": "commit", "kind_pull_request": "PR", "kind_issue": "issue",
        "untitled": "（无标题）", "items_of": "{name}：共 {n} 条", "subscription": "订阅",
        "filters": "筛选条件", "no_filters": "全部条目", "period": "时段", "no_items": "本期没有匹配的条目。",
        "languages": "语言", "all_days": "全部日期",
    },
    "en": {
        "site": "AI Infra Daily", "archive": "Archive", "days": "Reports, newest first", "tags": "Repositories and tags",
        "search": "Search", "search_hint": "Search every report", "feed": "Atom feed", "repos": "Repositories",
        "prev": "Previous day", "next": "Next day", "labels_of_day": "Repositories and tags of the day",
        "items": "items", "commits": "commits", "merged_prs": "merged PRs", "new_prs": "new PRs",
        "issues": "new issues", "incomplete": "incomplete data", "report": "Report", "no_days": "No report yet.",
        "family_hardware": "Hardware", "family_precision": "Precision", "family_models": "Models",
        "family_topics": "Topics", "family_flags": "Flags", "kind_commit": "commit", "kind_pull_request": "PR",
        "kind_issue": "issue", "untitled": "(untitled)", "items_of": "{name}: {n} items", "subscription": "Subscription",
        "filters": "Filters", "no_filters": "every item", "period": "Period", "no_items": "Nothing matched in this period.",
        "languages": "Languages", "all_days": "All days",
    },
}

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'; frame-src 'none'")

BASE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="referrer" content="no-referrer">
<title>{{ title }}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ root }}assets/site.css">
{% if feed %}<link rel="alternate" type="application/atom+xml" title="{{ ui.feed }}" href="{{ feed }}">
{% endif %}{% if search %}<link rel="stylesheet" href="{{ root }}pagefind/pagefind-ui.css">
<script src="{{ root }}pagefind/pagefind-ui.js"></script>
<script src="{{ root }}assets/search.js" defer></script>
{% endif %}{% if report_css %}<style>{{ report_css }}</style>
{% endif %}</head>
<body>
<header class="site"><a href="{{ root }}index.html">{{ ui.site }}</a>{% for link in nav %} · <a href="{{ link.href }}"{% if link.get("hreflang") %} hreflang="{{ link.hreflang }}" lang="{{ link.hreflang }}"{% endif %}>{{ link.text }}</a>{% endfor %}</header>
{% block content %}{% endblock %}
</body>
</html>
"""

ITEMS = """{% macro item_list(items) %}<ul class="items">
{% for it in items %}<li><span class="kind">{{ it.kind }}</span> {% if it.href %}<a href="{{ it.href }}" rel="nofollow noopener noreferrer"><code>{{ it.ident }}</code></a>{% else %}<code>{{ it.ident }}</code>{% endif %} {{ it.title }} <span class="type">{{ it.change_type }}</span>{% for t in it.tags %} <a class="tag tag-{{ t.family }}" href="{{ t.href }}">{{ t.name }}</a>{% endfor %} · <a class="repo" href="{{ it.repo_href }}">{{ it.repo }}</a>{% if it.day_href %} · <a href="{{ it.day_href }}">{{ it.day }}</a>{% else %} · {{ it.day }}{% endif %}</li>
{% endfor %}</ul>{% endmacro %}"""

ROOT_INDEX = """{% extends "base" %}{% block content %}
<main>
<h1>{{ ui.site }}</h1>
{% for block in langs %}
<section lang="{{ block.lang }}">
<h2><a href="{{ block.index }}">{{ block.ui.archive }}</a> · <a href="{{ block.feed }}">{{ block.ui.feed }}</a></h2>
{% if block.days %}<ul class="days">
{% for d in block.days %}<li><a href="{{ d.href }}">{{ d.day }}</a>{% if d.incomplete %} <span class="warn">{{ block.ui.incomplete }}</span>{% endif %}</li>
{% endfor %}</ul>{% else %}<p>{{ block.ui.no_days }}</p>{% endif %}
</section>
{% endfor %}
{% if subs %}<section><h2>{{ ui.subscription }}</h2><ul>
{% for s in subs %}<li><a href="{{ s.href }}">{{ s.name }}</a> · <a href="{{ s.feed }}">Atom</a></li>
{% endfor %}</ul></section>{% endif %}
</main>
{% endblock %}"""

LANG_INDEX = """{% extends "base" %}{% block content %}
<main>
<h1>{{ ui.site }} · {{ ui.archive }}</h1>
{% if search %}<div id="search" data-placeholder="{{ ui.search_hint }}"></div>{% endif %}
<h2>{{ ui.days }}</h2>
{% if days %}<ul class="days">
{% for d in days %}<li><a href="{{ d.href }}">{{ d.day }}</a> · {{ d.totals }}{% if d.incomplete %} <span class="warn">{{ ui.incomplete }}</span>{% endif %}</li>
{% endfor %}</ul>{% else %}<p>{{ ui.no_days }}</p>{% endif %}
</main>
{% endblock %}"""

DAY = """{% extends "base" %}{% block content %}
<nav class="prevnext">{% if prev %}<a rel="prev" href="{{ prev.href }}">← {{ prev.day }}</a>{% endif %}{% if next %} <a rel="next" href="{{ next.href }}">{{ next.day }} →</a>{% endif %}</nav>
<main data-pagefind-body>
{{ body }}
</main>
{% if repos or families %}<aside class="labels" data-pagefind-ignore="all">
<h2>{{ ui.labels_of_day }}</h2>
{% if repos %}<p><strong>{{ ui.repos }}</strong>:{% for r in repos %} <a class="repo" href="{{ r.href }}">{{ r.name }}</a> ({{ r.n }}){% endfor %}</p>{% endif %}
{% for f in families %}<p><strong>{{ f.title }}</strong>:{% for t in f.tags %} <a class="tag tag-{{ f.family }}" href="{{ t.href }}">{{ t.name }}</a> ({{ t.n }}){% endfor %}</p>
{% endfor %}</aside>{% endif %}
{% endblock %}"""

LIST_PAGE = """{% extends "base" %}{% from "items" import item_list %}{% block content %}
<main>
<h1>{{ heading }}</h1>
<p>{{ ui.items_of.format(name=name, n=count) }}</p>
{% for g in groups %}<section id="d-{{ g.day }}">
<h2>{% if g.day_href %}<a href="{{ g.day_href }}">{{ g.day }}</a>{% else %}{{ g.day }}{% endif %}</h2>
{{ item_list(g.entries) }}
</section>
{% endfor %}
</main>
{% endblock %}"""

TAGS = """{% extends "base" %}{% block content %}
<main>
<h1>{{ ui.tags }}</h1>
<h2>{{ ui.repos }}</h2>
<ul class="cloud">{% for r in repos %}<li><a class="repo" href="{{ r.href }}">{{ r.name }}</a> ({{ r.n }})</li>{% endfor %}</ul>
{% for f in families %}<h2>{{ f.title }}</h2>
<ul class="cloud">{% for t in f.tags %}<li><a class="tag tag-{{ f.family }}" href="{{ t.href }}">{{ t.name }}</a> ({{ t.n }})</li>{% endfor %}</ul>
{% endfor %}
</main>
{% endblock %}"""

SUB = """{% extends "base" %}{% from "items" import item_list %}{% block content %}
<main>
<h1>{{ ui.subscription }}: {{ name }}</h1>
<p><strong>{{ ui.filters }}</strong>: {% if filters %}{% for f in filters %}{{ f.key }} = {{ f.vals }}{% if not loop.last %}; {% endif %}{% endfor %}{% else %}{{ ui.no_filters }}{% endif %} · {{ cadence }} · <a href="{{ feed }}">{{ ui.feed }}</a></p>
{% for p in periods %}<section id="{{ p.anchor }}">
<h2>{% if p.day_href %}<a href="{{ p.day_href }}">{{ p.label }}</a>{% else %}{{ p.label }}{% endif %}</h2>
{% if p.entries %}{{ item_list(p.entries) }}{% else %}<p>{{ ui.no_items }}</p>{% endif %}
</section>
{% endfor %}
</main>
{% endblock %}"""

TEMPLATES = {"base": BASE, "items": ITEMS, "root_index": ROOT_INDEX, "lang_index": LANG_INDEX, "day": DAY,
             "list": LIST_PAGE, "tags": TAGS, "sub": SUB}

CSS = """body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.55;color:#1f2328;overflow-wrap:anywhere}
a{color:#0969da}header.site{border-bottom:1px solid #d0d7de;padding:.5rem 0;margin-bottom:1rem}
code{background:#f0f2f4;padding:0 .25em;border-radius:3px;word-break:break-all}
.tag{display:inline-block;background:#ddf4ff;color:#0550ae;border-radius:1em;padding:0 .5em;font-size:.8em;text-decoration:none}
.tag-hardware{background:#dafbe1;color:#116329}.tag-precision{background:#fff8c5;color:#7d4e00}
.tag-models{background:#fbefff;color:#6e40c9}.tag-topics{background:#ddf4ff;color:#0550ae}.tag-flags{background:#ffebe9;color:#a40e26}
.kind,.type{color:#57606a;font-size:.85em}.warn{color:#9a6700}.meta{background:#f6f8fa;border-left:4px solid #d0d7de;padding:.5rem 1rem}
.files{color:#57606a;font-size:.9em}ul.items li{margin:.25rem 0}ul.cloud{list-style:none;padding:0}ul.cloud li{display:inline-block;margin:.2rem .6rem .2rem 0}
nav.prevnext{display:flex;justify-content:space-between;gap:1rem}aside.labels{border-top:1px solid #d0d7de;margin-top:2rem}
#search{margin:1rem 0 2rem}
"""

SEARCH_JS = """// Search box of the archive (Pagefind UI). Result links are made relative to the site's root, wherever it is served.
(function () {
  "use strict";
  var script = document.currentScript;
  function start() {
    var box = document.getElementById("search");
    if (!box || typeof PagefindUI === "undefined") { return; }
    var root = new URL("../", script ? script.src : document.baseURI);
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: new URL("pagefind/", root).pathname,
      baseUrl: root.pathname,
      showSubResults: false,
      showImages: false,
      resetStyles: false,
      translations: { placeholder: box.getAttribute("data-placeholder") || "" }
    });
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) { ui.triggerSearch(q); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
"""
