"""One ``arazzo load`` session on Locust's own runners: local, master or worker.

:func:`run_session` builds a Locust ``Environment`` around a user class, starts a
``LocalRunner`` (headless), a ``MasterRunner`` (which waits for ``expect_workers`` workers,
then drives them) or a ``WorkerRunner`` (which does what its master says), stops after
``run_time`` seconds, and writes Locust's CSV files (``<prefix>_stats.csv``,
``_stats_history.csv``, ``_failures.csv``, ``_exceptions.csv``) and HTML report. Nothing here
prints: the lines to show come back in :class:`Summary`.
"""

from __future__ import annotations

__all__ = ["LoadPlan", "Summary", "run_session"]

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import stats as locust_stats
from locust.env import Environment
from locust.html import get_html_report

WORKERS_WAIT = 60.0
"""Seconds a master waits for ``expect_workers`` workers before giving up (exit 3)."""


@dataclass(frozen=True)
class LoadPlan:
    """What to run, parsed once at the command line."""

    users: int = 1
    spawn_rate: float = 1.0
    run_time: float | None = None
    role: str = "local"  # "local", "master" or "worker"
    expect_workers: int = 1
    master_bind_host: str = "*"
    master_bind_port: int = 5557
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    csv_prefix: str | None = None
    html_path: str | None = None


@dataclass
class Summary:
    """How the session went: request and failure counts (this process's own for a worker),
    the stats lines for the terminal, and why it could not run (if so)."""

    requests: int = 0
    failures: int = 0
    lines: list[str] = field(default_factory=list)
    problem: str | None = None
    interrupted: bool = False


class _Counter:
    """Counts the requests this process reported (a worker's stats are sent away and reset)."""

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0

    def __call__(self, exception: Any = None, **_: Any) -> None:
        self.requests += 1
        if exception is not None:
            self.failures += 1


def _runner(env: Environment, plan: LoadPlan) -> Any:
    if plan.role == "master":
        return env.create_master_runner(plan.master_bind_host, plan.master_bind_port)
    if plan.role == "worker":
        return env.create_worker_runner(plan.master_host, plan.master_port)
    return env.create_local_runner()


def _wait_for_workers(runner: Any, plan: LoadPlan) -> str | None:
    until = time.monotonic() + WORKERS_WAIT
    while len(runner.clients.ready) < plan.expect_workers:
        if time.monotonic() > until:
            ready = len(runner.clients.ready)
            return (
                f"only {ready} of {plan.expect_workers} worker(s) connected in {WORKERS_WAIT:g} s"
            )
        gevent.sleep(0.1)
    return None


def _write_csv(env: Environment, prefix: str) -> None:
    """The final ``_stats``, ``_failures`` and ``_exceptions`` files (after the last report)."""
    writer = locust_stats.StatsCSV(env, locust_stats.PERCENTILES_TO_REPORT)
    for suffix, write in (
        ("stats", writer.requests_csv),
        ("failures", writer.failures_csv),
        ("exceptions", writer.exceptions_csv),
    ):
        with open(f"{prefix}_{suffix}.csv", "w", newline="", encoding="utf-8") as handle:
            write(csv.writer(handle))


def _history(env: Environment, plan: LoadPlan) -> Any:
    """Locust's CSV writer (for ``_stats_history.csv``), running while the test runs."""
    if plan.csv_prefix is None:
        return None
    Path(plan.csv_prefix).parent.mkdir(parents=True, exist_ok=True)
    writer = locust_stats.StatsCSVFileWriter(
        env, locust_stats.PERCENTILES_TO_REPORT, plan.csv_prefix, full_history=False
    )
    return writer, gevent.spawn(writer.stats_writer)


def _drive(runner: Any, plan: LoadPlan) -> str | None:
    """Start the users (not on a worker), stop after ``run_time``; wait for the end."""
    if plan.role == "master":
        problem = _wait_for_workers(runner, plan)
        if problem is not None:
            runner.quit()
            return problem
    if plan.role != "worker":
        runner.start(plan.users, spawn_rate=plan.spawn_rate)
        if plan.run_time is not None:
            gevent.spawn_later(plan.run_time, runner.quit)
    runner.greenlet.join()
    return None


def run_session(user_class: type, plan: LoadPlan) -> Summary:
    """Run the load test ``plan`` describes with ``user_class``; see the module docstring.

    Ctrl-C (or SIGTERM) stops the runner; the reports are still written and the summary says
    ``interrupted``."""
    env = Environment(user_classes=[user_class])
    counter = _Counter()
    env.events.request.add_listener(counter)  # type: ignore[no-untyped-call]
    runner = _runner(env, plan)
    gevent.spawn(locust_stats.stats_history, runner)
    history = _history(env, plan)
    summary = Summary()
    try:
        summary.problem = _drive(runner, plan)
    except KeyboardInterrupt:
        summary.interrupted = True
        runner.quit()
    finally:
        _finish(env, plan, history, summary, counter)
    return summary


def _finish(
    env: Environment, plan: LoadPlan, history: Any, summary: Summary, counter: _Counter
) -> None:
    if history is not None:
        writer, greenlet = history
        greenlet.kill(block=True)
        writer.close_files()
    summary.requests, summary.failures = counter.requests, counter.failures
    if plan.role == "worker":
        return
    if plan.csv_prefix is not None:
        _write_csv(env, plan.csv_prefix)
    if plan.html_path is not None:
        target = Path(plan.html_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        html = get_html_report(env, show_download_link=False)  # type: ignore[no-untyped-call]
        target.write_text(html, encoding="utf-8")
    stats = env.stats
    summary.requests, summary.failures = stats.total.num_requests, stats.total.num_failures
    summary.lines = [
        *locust_stats.get_stats_summary(stats, current=False),
        "",
        *locust_stats.get_percentile_stats_summary(stats),
        *locust_stats.get_error_report_summary(stats),
    ]
