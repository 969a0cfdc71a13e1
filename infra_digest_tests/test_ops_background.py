"""`dagster dev` started in the background from a script, as docs/operations.md shows, stops cleanly on SIGTERM:
the webserver, the daemon and the code server with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.daemon]
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("job_control", [True])
def test_dagster_dev_in_the_background_stops_on_sigterm(tmp_path: Path, job_control: bool):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    script = tmp_path / "start.sh"
    script.write_text(f"""#!/usr/bin/env bash
cd {ROOT}
export DAGSTER_HOME={home} INFRA_DIGEST_DB={tmp_path}/h.duckdb
{"set -m" if job_control else ""}
{bin_dir}/dagster dev -h 127.0.0.1 -p {port} -w workspace.yaml > {tmp_path}/dev.log 2>&1 &
echo $! > {tmp_path}/dev.pid
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRA_DIGEST_", "DAGSTER_"))}
    subprocess.run(["bash", str(script)], check=True, env=env, timeout=30)
    pid = int((tmp_path / "dev.pid").read_text())
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            family |= _descendants(pid)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if len(family) >= 3:  # webserver, daemon, code server
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"dagster dev did not come up: {(tmp_path / 'dev.log').read_text()[-2000:]}")
        family |= _descendants(pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(_alive(p) for p in {pid, *family}):
            time.sleep(0.5)
        assert not any(_alive(p) for p in {pid, *family}), "dagster dev or a child survived SIGTERM"
        assert "Dagster services shut down" in (tmp_path / "dev.log").read_text()
    finally:
        for p in sorted(family | {pid}, reverse=True):  # only what this test started
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
