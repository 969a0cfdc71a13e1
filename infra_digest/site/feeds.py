"""Atom feeds (RFC 4287): one per language (an entry per day) and one per subscription (an entry per period).

Entry ids are ``urn:uuid:`` names derived from what the entry is about (language and day; subscription and
period), so they never change across rebuilds; ``updated`` comes from the reports' generation times, never from
the clock, so an unchanged history gives a byte-identical feed. Links are relative to the feed's own location
unless the site has a base URL.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from infra_digest.site.sanitize import strip_invalid

ATOM = "http://www.w3.org/2005/Atom"
NAMESPACE = uuid.UUID("6f1c1c5e-3c0b-4f5e-9a53-2d6a4b6e0f18")  # infra-digest's, fixed forever


def entry_id(*parts: str) -> str:
    return uuid.uuid5(NAMESPACE, "/".join(parts)).urn


def _ts(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    el.text = strip_invalid(text)
    return el


def build_feed(*, feed_id: str, title: str, self_href: str, alternate_href: str, lang: str,
               entries: Sequence[dict[str, Any]]) -> bytes:
    """``entries``: dicts with id, title, href, updated (datetime), published (datetime, optional),
    summary (text) and content_html (escaped HTML string, optional)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    updated = max((e["updated"] for e in entries), default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    _text(feed, "updated", _ts(updated))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": self_href})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": alternate_href})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "infra-digest")
    _text(feed, "generator", "infra-digest")
    for e in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", e["id"])
        _text(entry, "title", e["title"])
        _text(entry, "updated", _ts(e["updated"]))
        if e.get("published"):
            _text(entry, "published", _ts(e["published"]))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": e["href"]})
        if e.get("summary"):
            _text(entry, "summary", e["summary"])
        if e.get("content_html"):
            _text(entry, "content", e["content_html"], type="html")
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8") + b"\n"
