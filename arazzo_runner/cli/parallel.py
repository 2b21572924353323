"""``arazzo run --jobs N``: the workflows of a run of many, N at a time, in worker threads.

The core stays sync: each workflow runs on its own thread with :meth:`Runner.run`, exactly as
:func:`~arazzo_runner.cli.suite.run_many` would run it, and threads wait on the network, not
on each other. What a person or a CI job sees does not depend on N:

* files load in order before anything runs (a file that does not load is its outcome, as in a
  sequential run);
* a workflow whose ``dependsOn`` names another workflow of the run starts only once that one
  has finished (the dependency still runs again inside the dependant's own run, as it does
  sequentially), so order-sensitive suites keep their order; a cycle across files, which
  validation cannot see, falls back to document order;
* outcomes are handed to ``progress`` and put in ``done`` in document order, a finished prefix
  as soon as it is complete, so the lines, the summary table and the reports are those of a
  ``--jobs 1`` run apart from timings;
* ``--mock`` starts each file's mocks once; the jobs of a file run on a copy of the runner that
  points at them (the shared runner is never changed while threads read it).

Ctrl-C (or SIGTERM) lands in the main thread: no new workflow starts, the same interrupt is
raised in every worker thread still running (``PyThreadState_SetAsyncExc``, delivered between
two bytecodes, so a thread blocked in a read gets it when the read returns), each engine then
hands back its partial result as it does for a sequential run, and after at most
:data:`GRACE` seconds a workflow still blocked is reported as interrupted. ``done`` then holds
every outcome in document order and the interrupt propagates, so the command writes its
reports and exits 130 (143).
"""

from __future__ import annotations

import contextlib
import copy
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arazzo_runner.cli.suite import mocked
from arazzo_runner.errors import ArazzoError, InputError, Interrupted
from arazzo_runner.reporting import Outcome
from arazzo_runner.results import partial_result

__all__ = ["GRACE", "check_jobs", "run_parallel"]

GRACE = 2.0
"""Seconds an interrupted run waits for its worker threads to hand back partial results."""

Progress = Callable[[Outcome], None]


def check_jobs(jobs: int, *, stream: bool, har: str | None, html: str | None) -> None:
    """``--jobs`` is a count; live events and the recorded exchanges (``--har``, and
    ``--html``, whose timeline comes from them) follow one run at a time."""
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    if jobs > 1 and stream:
        raise InputError(
            "--stream (or --until) prints events live and cannot be combined with --jobs",
            hint="drop --jobs, or drop --stream to run workflows in parallel",
        )
    for option, given in (("--har", har), ("--html", html)):
        if jobs > 1 and given:
            raise InputError(
                f"{option} records one run at a time and cannot be combined with --jobs",
                hint="drop --jobs for the run you want recorded",
            )


@dataclass
class _Job:
    """One workflow of one loaded file, and the jobs it waits for (indexes in ``slots``)."""

    index: int
    file: str
    workflow_id: str
    workspace: Any
    runner: Any
    waits_for: set[int] = field(default_factory=set)
    thread: threading.Thread | None = None
    finished: bool = False


def _job_key(document: Any, workflow_id: str) -> tuple[str, str]:
    return (document.url, workflow_id)


def _plan(
    runner: Any, files: Sequence[str], mock: bool, stack: contextlib.ExitStack
) -> list[Outcome | _Job]:
    """Every file loaded, in order: an outcome for a file that failed, else one job per
    workflow, each with the jobs it must wait for."""
    slots: list[Outcome | _Job] = []
    for file in files:
        try:
            workspace = runner.load(file)
        except ArazzoError as exc:
            slots.append(Outcome(file, None, error=exc))
            continue
        own = runner
        if mock:
            own = copy.copy(runner)
            stack.enter_context(mocked(own, workspace))
        for workflow in workspace.root.workflows:
            slots.append(_Job(len(slots), file, workflow.workflow_id, workspace, own))
    _link(slots)
    return slots


def _link(slots: list[Outcome | _Job]) -> None:
    jobs = [slot for slot in slots if isinstance(slot, _Job)]
    where = {_job_key(job.workspace.root, job.workflow_id): job.index for job in jobs}
    for job in jobs:
        root = job.workspace.root
        workflow = root.workflow(job.workflow_id)
        for ref in workflow.depends_on:
            found = job.workspace.find_workflow(root, ref)
            if found is not None:
                index = where.get(_job_key(found[0], found[1].workflow_id))
                if index is not None and index != job.index:
                    job.waits_for.add(index)


def _outcome_of(job: _Job, inputs: Mapping[str, Any]) -> Outcome:
    try:
        result = job.runner.run(job.workspace, job.workflow_id, inputs)
    except ArazzoError as exc:
        return Outcome(job.file, job.workflow_id, error=exc)
    except KeyboardInterrupt as interrupt:  # raised in this thread by _Pool.interrupt
        partial = partial_result(interrupt)
        if partial is None:
            return _stopped(job)
        return Outcome(job.file, job.workflow_id, result=partial)
    return Outcome(job.file, job.workflow_id, result=result)


def _stopped(job: _Job) -> Outcome:
    stopped = Interrupted("interrupted before the workflow finished")
    return Outcome(job.file, job.workflow_id, error=stopped)


def _run_job(
    job: _Job, inputs: Mapping[str, Any], finished: queue.Queue[Any], lock: threading.Lock
) -> None:
    """A worker thread: once ``job.finished`` is set (under ``lock``) no interrupt is raised
    in this thread any more, so one that comes late is caught here and nothing is lost."""
    outcome = None
    try:
        try:
            outcome = _outcome_of(job, inputs)
        finally:
            with lock:
                job.finished = True
    except KeyboardInterrupt:
        pass  # it arrived after the run had ended
    finished.put((job.index, outcome or _stopped(job)))


class _Pool:
    """At most ``jobs`` worker threads; completions arrive on one queue."""

    def __init__(self, slots: list[Outcome | _Job], inputs: Mapping[str, Any], jobs: int) -> None:
        self.slots = slots
        self.inputs = inputs
        self.jobs = jobs
        self.finished: queue.Queue[tuple[int, Outcome]] = queue.Queue()
        self.pending = [slot for slot in slots if isinstance(slot, _Job)]
        self.running: dict[int, _Job] = {}
        self.done: set[int] = {i for i, slot in enumerate(slots) if isinstance(slot, Outcome)}
        self.lock = threading.Lock()

    def start_ready(self) -> None:
        while self.pending and len(self.running) < self.jobs:
            ready = [job for job in self.pending if job.waits_for <= self.done]
            if not ready and self.running:
                return  # the next start waits for a dependency to finish
            job = ready[0] if ready else self.pending[0]  # nothing ready, nothing running: a cycle
            self.pending.remove(job)
            job.thread = threading.Thread(
                target=_run_job,
                args=(job, self.inputs, self.finished, self.lock),
                name=f"arazzo-job-{job.index}",
                daemon=True,  # an interrupted run never waits for a thread at exit
            )
            self.running[job.index] = job
            job.thread.start()

    def take(self, timeout: float | None = None) -> None:
        index, outcome = self.finished.get(timeout=timeout)
        self.running.pop(index, None)
        self.slots[index] = outcome
        self.done.add(index)

    def interrupt(self, kind: type[BaseException]) -> None:
        """Raise ``kind`` in every running worker; collect what they hand back within GRACE."""
        self.pending.clear()
        with self.lock:
            for job in self.running.values():
                if not job.finished and job.thread is not None and job.thread.ident is not None:
                    _raise_in(job.thread.ident, kind)
        until = time.monotonic() + GRACE
        while self.running and time.monotonic() < until:
            try:
                self.take(timeout=max(until - time.monotonic(), 0.01))
            except queue.Empty:
                break
        for index, job in self.running.items():
            self.slots[index] = _stopped(job)
        self.running.clear()


def _raise_in(thread_id: int, kind: type[BaseException]) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(kind))


def run_parallel(
    runner: Any,
    files: Sequence[str],
    inputs: Mapping[str, Any],
    *,
    mock: bool,
    jobs: int,
    progress: Progress,
    done: list[Outcome],
) -> list[Outcome]:
    """Run every workflow of ``files``, ``jobs`` at a time; see the module docstring."""
    with contextlib.ExitStack() as stack:
        slots = _plan(runner, files, mock, stack)
        pool = _Pool(slots, inputs, jobs)
        shown = 0
        try:
            while pool.pending or pool.running:
                pool.start_ready()
                pool.take()
                while shown < len(slots) and isinstance(slots[shown], Outcome):
                    progress(_outcome(slots[shown]))
                    shown += 1
        except KeyboardInterrupt as interrupt:
            try:
                pool.interrupt(type(interrupt))
            finally:  # a second Ctrl-C while waiting still leaves what is known
                done.extend(slot for slot in slots if isinstance(slot, Outcome))
            raise
        done.extend(_outcome(slot) for slot in slots)
        for slot in slots[shown:]:
            progress(_outcome(slot))
    return done


def _outcome(slot: Outcome | _Job) -> Outcome:
    assert isinstance(slot, Outcome)
    return slot
