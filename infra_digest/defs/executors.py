"""Which executor runs the steps of a run. Default: in-process (one process, steps in order).

``celery``: dagster-celery's executor. Each step becomes a Celery task that any worker started with Dagster's own
command picks up (``dagster-celery worker start -A dagster_celery.app -y celery.yaml``), on this machine or
another. It needs a storage every worker can reach (DuckLake, not a local DuckDB file) and a Dagster instance
every worker shares (PostgreSQL); see docs/scaling.md.

Settings (environment, read when the Definitions are built, i.e. in the process that coordinates the run):

- ``INFRA_DIGEST_CELERY_BROKER``  (default ``redis://127.0.0.1:6379/0``; RabbitMQ: ``pyamqp://guest@host:5672//``)
- ``INFRA_DIGEST_CELERY_BACKEND`` (default ``redis://127.0.0.1:6379/1``)
- ``INFRA_DIGEST_CELERY_INCLUDE`` (comma-separated modules the workers import; default ``infra_digest.definitions``)
- ``INFRA_DIGEST_CELERY_QUEUE``   (the queue steps go to; default ``dagster``, which is what workers listen on unless
  started with ``-q NAME``; a distinct name keeps two deployments on one broker apart)

The workers must be started with the same broker and backend: :func:`celery_worker_yaml` writes their YAML.
Credentials belong in the broker URL's environment variable, never in a file in the repository.

Known upstream issue (dagster-io/dagster#29660, open): the step-polling loop calls ``AsyncResult.get()``, which
Celery (>= 3.2, here 5.7) forbids inside a task. It bites only when the RUN itself executes inside a Celery task
(``CeleryRunLauncher``, the celery-k8s run launcher). With this executor the run coordinator is an ordinary
process (the CLI, ``execute_job``, or the default run launcher's subprocess), so ``get()`` is called outside any
task and works with Celery 5.7; tested in infra_digest_tests/test_celery.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

ENV_CELERY_BROKER = "INFRA_DIGEST_CELERY_BROKER"
ENV_CELERY_BACKEND = "INFRA_DIGEST_CELERY_BACKEND"
ENV_CELERY_INCLUDE = "INFRA_DIGEST_CELERY_INCLUDE"
ENV_CELERY_QUEUE = "INFRA_DIGEST_CELERY_QUEUE"
DEFAULT_CELERY_QUEUE = "dagster"  # dagster-celery's default queue
DEFAULT_CELERY_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_CELERY_BACKEND = "redis://127.0.0.1:6379/1"
DEFAULT_CELERY_INCLUDE = ("infra_digest.definitions",)

EXECUTORS = ("in_process", "celery")


def _env(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name)
    return value if value else default


def celery_config(environ: Mapping[str, str] | None = None) -> dict:
    """The celery executor's config (also what the workers' YAML repeats under ``execution: config:``)."""
    environ = os.environ if environ is None else environ
    include = _env(environ, ENV_CELERY_INCLUDE, ",".join(DEFAULT_CELERY_INCLUDE))
    return {
        "broker": _env(environ, ENV_CELERY_BROKER, DEFAULT_CELERY_BROKER),
        "backend": _env(environ, ENV_CELERY_BACKEND, DEFAULT_CELERY_BACKEND),
        "include": [m.strip() for m in include.split(",") if m.strip()],
        "config_source": {
            "task_default_queue": _env(environ, ENV_CELERY_QUEUE, DEFAULT_CELERY_QUEUE),
            "result_expires": 3600,  # a step's result (its serialized events) is read once by the run coordinator
            "broker_connection_retry_on_startup": True,
        },
    }


def celery_worker_yaml(environ: Mapping[str, str] | None = None) -> str:
    """YAML for ``dagster-celery worker start -y FILE``: the same broker, backend and includes as the executor."""
    import yaml

    return yaml.safe_dump({"execution": {"config": celery_config(environ)}}, sort_keys=False)


def select_executor(name: str | None):
    name = (name or "in_process").strip().lower()
    if name == "in_process":
        return dg.in_process_executor
    if name == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:  # pragma: no cover - dagster-celery is in requirements.in
            raise ValueError("the celery executor needs dagster-celery: pip install dagster-celery") from None
        return celery_executor.configured(celery_config(), name="celery")
    raise ValueError(f"unknown executor {name!r}: use {' or '.join(EXECUTORS)}")


if __name__ == "__main__":  # python -m infra_digest.defs.executors > celery.yaml  (the workers' -y file)
    print(celery_worker_yaml(), end="")
