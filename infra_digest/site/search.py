"""Offline search: a Pagefind index of the day pages, one per language (Chinese segmented by the extended build).

Pagefind comes from PyPI (``pagefind[extended]``: the Python wrapper and the ``pagefind_extended`` binary, no
download at run time). The index is built in a scratch folder and then synced into ``<site>/pagefind/`` file by
file, so a rebuild touches only the index files whose content changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DAY_GLOB = "*/day/*.html"
BUNDLE = "pagefind"


class SearchUnavailable(RuntimeError):
    pass


def executable() -> Path:
    """The extended Pagefind binary ($PAGEFIND_BINARY_PATH, the pagefind_bin_extended package, or PATH)."""
    env = os.environ.get("PAGEFIND_BINARY_PATH")
    if env and Path(env).is_file():
        return Path(env)
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-not-found]

        path = Path(get_executable())
        if path.is_file():
            return path
    except ImportError:
        pass
    found = shutil.which("pagefind_extended")
    if found:
        return Path(found)
    raise SearchUnavailable("Pagefind's extended build is not installed (pip install 'pagefind[extended]')")


def version() -> str:
    try:
        out = subprocess.run([str(executable()), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SearchUnavailable(f"cannot run Pagefind: {exc}") from None
    return out.stdout.strip()


def build_index(site: Path, scratch: Path) -> None:
    """Index the day pages of ``site`` into ``scratch`` (created anew)."""
    if scratch.exists():
        shutil.rmtree(scratch)
    cmd = [str(executable()), "--site", str(site), "--glob", DAY_GLOB, "--output-path", str(scratch), "--quiet"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise SearchUnavailable("Pagefind did not finish within 15 minutes") from None
    if proc.returncode != 0 or not (scratch / "pagefind-entry.json").is_file():
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise SearchUnavailable("Pagefind failed: " + " | ".join(tail))


def sync(src: Path, dst: Path) -> tuple[int, int, int]:
    """Make ``dst`` hold exactly the files of ``src``, writing only what differs. (written, unchanged, removed)"""
    written = unchanged = removed = 0
    new = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
    for rel in sorted(new):
        data = (src / rel).read_bytes()
        target = dst / rel
        if target.is_file() and target.read_bytes() == data:
            unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        written += 1
    if dst.is_dir():
        for p in sorted(dst.rglob("*"), reverse=True):
            rel = p.relative_to(dst).as_posix()
            if p.is_file() and rel not in new:
                p.unlink()
                removed += 1
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()
    return written, unchanged, removed
