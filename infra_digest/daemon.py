"""`infra-digest-daemon`: `dagster-daemon` with a shorter backfill-daemon loop (same arguments as `dagster-daemon`).

Dagster 1.13.27 sleeps a hard-coded 30 s between two iterations of its backfill daemon
(`dagster/_daemon/controller.py:39` `DEFAULT_DAEMON_INTERVAL_SECONDS = 30`, read when the loop starts at
`dagster/_daemon/backfill.py:78`); no `dagster.yaml` key or environment variable sets it. A UI backfill therefore
waits 0-30 s before its first run, 0-30 s before each wave of runs whose parents just finished (the reports), and
0-30 s more before it shows complete. This wrapper sets the constant before the daemon threads start.

PRIVATE API, pinned to dagster 1.13.27: `infra_digest_tests/test_ops_daemon.py` fails loudly if the constant
moves or its reader changes; re-check both on every Dagster upgrade.

    infra-digest-daemon run -w workspace.yaml        # INFRA_DIGEST_BACKFILL_LOOP_SECONDS=2 by default
"""

from __future__ import annotations

import os
import sys

def loop_seconds(environ=None) -> float:
    """The backfill loop interval: $INFRA_DIGEST_BACKFILL_LOOP_SECONDS (0.5 to 30), else 2 (read through Settings)."""
    from infra_digest.settings import ENV_BACKFILL_LOOP_SECONDS, Settings, SettingsError

    try:
        value = Settings.from_env(os.environ if environ is None else environ, demo_world=False).backfill_loop_seconds
    except SettingsError as exc:
        raise SystemExit(str(exc)) from None
    if not 0.5 <= value <= 30:
        raise SystemExit(f"{ENV_BACKFILL_LOOP_SECONDS} must be between 0.5 and 30 seconds, got {value:g}")
    return value


def patch_backfill_loop(seconds: float) -> None:
    """Set Dagster's daemon-loop constant (1.13.27: only the backfill daemon and the pre-sensor asset daemon read it)."""
    import dagster._daemon.controller as controller

    if not isinstance(getattr(controller, "DEFAULT_DAEMON_INTERVAL_SECONDS", None), int | float):
        raise RuntimeError("dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS is gone: this wrapper is pinned to "
                           "dagster 1.13.27; re-check the backfill loop (dagster/_daemon/backfill.py) and update it")
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = seconds


def main() -> None:
    patch_backfill_loop(loop_seconds())
    from dagster._daemon.cli import main as dagster_daemon_main

    sys.argv = ["dagster-daemon", *sys.argv[1:]]
    dagster_daemon_main()


if __name__ == "__main__":
    main()
