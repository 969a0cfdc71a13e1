"""`infra-digest-daemon` patches a private constant of Dagster 1.13.27: these tests fail loudly when an upgrade moves
it, so that the backfill loop does not silently go back to 30 s."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from infra_digest import daemon


def test_the_pinned_dagster_still_has_the_backfill_loop_constant():
    import dagster
    import dagster._daemon.backfill as backfill
    import dagster._daemon.controller as controller

    assert dagster.__version__ == "1.13.27", (
        f"infra_digest/daemon.py is pinned to dagster 1.13.27, found {dagster.__version__}: re-check "
        "DEFAULT_DAEMON_INTERVAL_SECONDS and execute_backfill_iteration_loop, then update the pin here")
    assert controller.DEFAULT_DAEMON_INTERVAL_SECONDS == 30
    src = inspect.getsource(backfill.execute_backfill_iteration_loop)
    # read from the module at loop start (so that a patch before the threads start takes effect) and used as the sleep
    assert "from dagster._daemon.controller import DEFAULT_DAEMON_INTERVAL_SECONDS" in src
    assert "DEFAULT_DAEMON_INTERVAL_SECONDS - loop_duration" in src


def test_the_wrapper_sets_the_loop_in_a_real_daemon_process():
    # the patched value is what the backfill loop reads, in a fresh interpreter as `infra-digest-daemon` starts
    code = ("import sys; from infra_digest import daemon; daemon.patch_backfill_loop(daemon.loop_seconds());"
            "from dagster._daemon.controller import DEFAULT_DAEMON_INTERVAL_SECONDS as v; print(v)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"INFRA_DIGEST_BACKFILL_LOOP_SECONDS": "3", "PATH": ""}).stdout.strip()
    assert out == "3.0"


def test_loop_seconds_setting():
    assert daemon.loop_seconds({}) == 2
    assert daemon.loop_seconds({"INFRA_DIGEST_BACKFILL_LOOP_SECONDS": "5"}) == 5
    for bad in ("0", "-1", "31", "fast"):
        with pytest.raises(SystemExit, match="INFRA_DIGEST_BACKFILL_LOOP_SECONDS"):
            daemon.loop_seconds({"INFRA_DIGEST_BACKFILL_LOOP_SECONDS": bad})


def test_the_wrapper_refuses_when_the_constant_is_gone(monkeypatch):
    import dagster._daemon.controller as controller

    monkeypatch.delattr(controller, "DEFAULT_DAEMON_INTERVAL_SECONDS")
    with pytest.raises(RuntimeError, match="pinned to dagster 1.13.27"):
        daemon.patch_backfill_loop(2)
