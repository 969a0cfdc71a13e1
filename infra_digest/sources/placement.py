"""Placing issue listing items that carry no ``created_at``: a workaround for recorded data, not for GitHub.

github.com always sends ``created_at``. Recorded sets (``shared/replay``'s issues were recovered from archived
threads) sometimes do not, and a fake GitHub serving them passes the gap on. So that such a set gives the same
days through the github source as through the replay source, an undated item is placed, in this order:

1. on ``provenance.created_date_from_archive`` when the recording has it;
2. between dated neighbours by its number (issue numbers grow with creation time): on their day when both
   neighbours share it, else on the only requested day its neighbours allow, else next to the nearer one;
3. else on the last requested day its neighbours allow.

Each placement comes back with a note saying how it was made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Placed:
    day: dt.date
    item: dict[str, Any]
    note: str | None  # how an undated item was placed; None for a dated one


def place_items(dated: Sequence[tuple[dict[str, Any], dt.date | None]], wanted: Sequence[dt.date]) -> list[Placed]:
    """``dated``: (item, day of its created_at or None) in listing order; items are numbered (validated).
    Returns the items that land on a ``wanted`` day."""
    wanted = sorted(set(wanted))
    wanted_set = set(wanted)
    known: dict[int, dt.date] = {}
    how_known: dict[int, str] = {}
    for item, d in dated:
        if d is None:
            prov = item.get("provenance")
            raw = prov.get("created_date_from_archive") if isinstance(prov, dict) else None
            try:
                d = dt.date.fromisoformat(raw) if isinstance(raw, str) and raw else None
            except ValueError:
                d = None
            if d is not None:
                how_known[item["number"]] = "by provenance.created_date_from_archive"
        if d is not None:
            known[item["number"]] = d
    anchors = sorted(known.items())
    out: list[Placed] = []
    for item, _ in dated:
        num = item["number"]
        kind = "pull request" if "pull_request" in item else "issue"
        d = known.get(num)
        if d is not None:
            if d in wanted_set:
                how = how_known.get(num)
                out.append(Placed(d, item, f"{kind} #{num} has no created_at; placed on {d} {how}" if how else None))
            continue
        lower = max(((n, dd) for n, dd in anchors if n < num), default=None)
        upper = min(((n, dd) for n, dd in anchors if n > num), default=None)
        lo_day = max(lower[1], wanted[0]) if lower else wanted[0]
        hi_day = min(upper[1], wanted[-1]) if upper else wanted[-1]
        if lo_day > hi_day:
            continue  # its numbered neighbours put it outside the requested days
        if lower and upper and lower[1] == upper[1]:
            d, how = lower[1], f"by its number, between #{lower[0]} and #{upper[0]} created that day"
        elif lo_day == hi_day:
            after = f" after #{lower[0]} ({lower[1]})" if lower else ""
            before = f" before #{upper[0]} ({upper[1]})" if upper else ""
            d, how = lo_day, f"as the only requested day its number allows{after}{before}"
        elif lower and upper:
            nearer = lower if num - lower[0] <= upper[0] - num else upper
            d, how = nearer[1], f"next to #{nearer[0]} (its creation day is unknown: between {lower[1]} and {upper[1]})"
        else:
            d, how = hi_day, f"on the last possible day (its creation day is unknown: between {lo_day} and {hi_day})"
        if d in wanted_set:
            out.append(Placed(d, item, f"{kind} #{num} has no created_at; placed on {d} {how}"))
    return out
