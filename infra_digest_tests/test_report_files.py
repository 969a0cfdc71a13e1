"""Report files are written atomically: a failure leaves the previous reports and no temporary file (issue 14.9).

The failures are real: a process whose file-size limit (RLIMIT_FSIZE) is smaller than the report gets EFBIG from
the kernel, as on a full disk; text that cannot be encoded fails in the middle of a write."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra_digest.pipeline.report import report_path, write_report_files

D = dt.date(2026, 2, 18)


def _rows(md: str, html: str, langs=("zh", "en")):
    return [{"day": D, "lang": lang, "markdown": md, "html": html} for lang in langs]


def test_files_are_written_and_replaced(tmp_path):
    written = write_report_files(_rows("# old\n", "<p>old</p>"), tmp_path)
    assert sorted(Path(p).name for p in written) == ["2026-02-18.en.html", "2026-02-18.en.md", "2026-02-18.zh.html", "2026-02-18.zh.md"]
    write_report_files(_rows("# new\n", "<p>new</p>"), tmp_path)
    assert report_path(tmp_path, D, "zh", "md").read_text() == "# new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(p).name for p in written)


def test_a_failed_write_keeps_the_previous_reports_and_leaves_no_temporary_file(tmp_path):
    write_report_files(_rows("# old\n", "<p>old</p>"), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    rows = _rows("# new\n", "<p>new</p>") + [{"day": D, "lang": "xx", "markdown": "bad \ud800 surrogate", "html": ""}]
    with pytest.raises(UnicodeEncodeError):
        write_report_files(rows, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no report half-replaced, no .tmp


def test_a_full_disk_keeps_the_previous_reports_and_leaves_no_temporary_file(tmp_path):
    write_report_files(_rows("# old\n", "<p>old</p>"), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    script = textwrap.dedent(f"""
        import datetime as dt, resource, signal, sys
        from infra_digest.pipeline.report import write_report_files
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        rows = [{{"day": dt.date(2026, 2, 18), "lang": l, "markdown": "# new\\n" + "x" * 3000, "html": "<p>" + "y" * 5000}}
                for l in ("zh", "en")]
        try:
            write_report_files(rows, {str(tmp_path)!r})
        except OSError as exc:
            print("OSError", exc.errno)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "OSError 27" in done.stdout  # EFBIG
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
