"""Which executor runs the steps of a run. Default: in-process (one process, steps in order).

``celery``: dagster-celery's executor. Each step becomes a Celery task that any worker started with Dagster's own
command picks up (``dagster-celery worker start -A dagster_celery.app -y celery.yaml``), on this machine or
another. It needs a storage every worker can reach (DuckLake, not a local DuckDB file) and a Dagster instance
every worker shares (PostgreSQL); see docs/scaling.md.

Settings (environment, read into :class:`~infra_digest.settings.Settings` when the Definitions are built, i.e. in
the process that coordinates the run):

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

import dagster as dg

from infra_digest.settings import Settings

EXECUTORS = ("in_process", "celery")


def celery_config(s: Settings | None = None) -> dict:
    """The celery executor's config (also what the workers' YAML repeats under ``execution: config:``)."""
    s = s or Settings.from_env()
    return {
        "broker": s.celery_broker,
        "backend": s.celery_backend,
        "include": list(s.celery_include),
        "config_source": {
            "task_default_queue": s.celery_queue,
            "result_expires": 3600,  # a step's result (its serialized events) is read once by the run coordinator
            "broker_connection_retry_on_startup": True,
        },
    }


def celery_worker_yaml(s: Settings | None = None) -> str:
    """YAML for ``dagster-celery worker start -y FILE``: the same broker, backend and includes as the executor."""
    import yaml

    return yaml.safe_dump({"execution": {"config": celery_config(s)}}, sort_keys=False)


def select_executor(s: Settings):
    name = (s.executor or "in_process").strip().lower()
    if name == "in_process":
        return dg.in_process_executor
    if name == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:  # pragma: no cover - dagster-celery is in requirements.in
            raise ValueError("the celery executor needs dagster-celery: pip install dagster-celery") from None
        return celery_executor.configured(celery_config(s), name="celery")
    raise ValueError(f"unknown executor {name!r}: use {' or '.join(EXECUTORS)}")


if __name__ == "__main__":  # python -m infra_digest.defs.executors > celery.yaml  (the workers' -y file)
    print(celery_worker_yaml(), end="")
