"""Background tasks (django-tasks, database backend; run by `cadence db_worker`)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def early_warning(day: str = "") -> str:
    """The daily early-warning run over every active program (`cadence early_warning
    --enqueue` queues it). `day`: an ISO date, or empty for each site's today. A program that
    fails does not stop the others; the task then fails (RunAllError) after all have run."""
    from .services import run_all

    results = run_all(dt.date.fromisoformat(day) if day else None)
    return f"{len(results)} programs, {sum(len(r.raised) for r in results)} new flags"
