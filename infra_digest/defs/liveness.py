"""A dead run never blocks: runs whose process is gone are marked failed and their pool slots freed.

Dagster 1.13.27 does not do this for us. Run monitoring asks the run launcher whether a run's worker is alive,
but the default run launcher (what `dagster dev` and `dagster-daemon` use) cannot tell
(``supports_check_run_worker_health`` is False), and ``free_slots_after_run_end_seconds`` frees only the slots of
runs that have *ended*. A run killed with ``kill -9`` stays STARTED and keeps its ``duckdb`` slot: every later run
waits for it forever. ``infra-digest run`` executes in-process and is not watched by any daemon at all.

So every run records which process runs it (the run tag ``infra_digest/process``: host, boot id, pid and the
process's start time, so that a reused pid or a reboot is not mistaken for the run): the CLI when it launches a
run, the assets when a run launched by the daemon starts its first step. :func:`reap_dead_runs` marks failed every
unfinished run of this host whose process is gone, and frees the pool slots of every finished run that still holds
some. It runs when ``infra-digest run`` starts, and every few seconds under the daemon (the sensor
``dead_runs``). Runs of another host are left to that host.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import dagster as dg

PROCESS_TAG = "infra_digest/process"
UNFINISHED = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)
log = logging.getLogger(__name__)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "-"


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/PID/stat field 22), or None if there is no such
    process. On systems without /proc: "-" when the pid exists."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if fields[0] == "Z" else fields[19]
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "-"


def process_tag(pid: int | None = None) -> str:
    """``host|boot id|pid|start time`` of ``pid`` (default: this process)."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}|{_boot_id()}|{pid}|{_start_time(pid) or '-'}"


def process_alive(tag: str) -> bool | None:
    """True/False for a process of this host; None when the tag names another host (we cannot tell)."""
    try:
        host, boot, pid, started = tag.split("|")
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    if boot != _boot_id():
        return False  # the machine rebooted since
    now = _start_time(int(pid))
    return now is not None and (started in ("-", now) or now == "-")


def tag_run(instance: dg.DagsterInstance, run_id: str) -> None:
    """Record this process as the one running ``run_id`` (once)."""
    run = instance.get_run_by_id(run_id)
    if run is not None and PROCESS_TAG not in run.tags:
        instance.add_run_tags(run_id, {PROCESS_TAG: process_tag()})


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the unfinished runs of this host whose process is gone; free the pool slots of those and of
    finished runs still holding any. Returns the ids of the runs marked failed."""
    reaped = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(UNFINISHED)), limit=1000):
        run = record.dagster_run
        tag = run.tags.get(PROCESS_TAG)
        if tag is None or process_alive(tag) is not False:
            continue
        pid = tag.split("|")[2]
        instance.report_run_failed(run, f"the process running this run (pid {pid}) is gone (killed or crashed); "
                                        "marked failed by infra-digest, its pool slots freed")
        reaped.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        if holders:
            finished = instance.get_run_records(filters=dg.RunsFilter(run_ids=list(holders), statuses=list(dg.DagsterRunStatus)),
                                                limit=len(holders))
            for record in finished:
                if record.dagster_run.status not in UNFINISHED and record.dagster_run.status != dg.DagsterRunStatus.QUEUED:
                    storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
    for run_id in reaped:
        log.warning("run %s: its process is gone; marked failed and its pool slots freed", run_id)
    return reaped


@dg.sensor(name="dead_runs", minimum_interval_seconds=5, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every 5 s: a run of this host whose process is gone (kill -9, crash, reboot) is marked failed "
                       "and its pool slots are freed, so that it never blocks the runs after it.")
def dead_runs_sensor(context: dg.SensorEvaluationContext):
    reaped = reap_dead_runs(context.instance)
    return dg.SkipReason(f"marked {len(reaped)} dead run(s) failed: {', '.join(reaped)}" if reaped else "no dead run")
