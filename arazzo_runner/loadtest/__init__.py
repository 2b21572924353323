"""Load tests on Locust (layer 6): run an Arazzo workflow for many virtual users.

:mod:`.user` has :class:`ArazzoUser` (a Locust user class for locustfiles, see
``docs/load.md``) and :func:`report_result` (how a run becomes Locust request events);
:mod:`.session` runs one ``arazzo load`` session (:class:`LoadPlan`, :func:`run_session`,
:class:`Summary`). Using any of these names imports Locust (the ``load`` extra:
``pip install 'arazzo-runner[load]'``), which patches the standard library for gevent; importing
this face alone imports nothing, and nothing else in the package imports Locust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arazzo_runner._lazy import attach

if TYPE_CHECKING:
    from arazzo_runner.loadtest.session import LoadPlan, Summary, run_session
    from arazzo_runner.loadtest.user import ArazzoUser, StepFailed, loaded, report_result

__all__ = [
    "ArazzoUser",
    "LoadPlan",
    "StepFailed",
    "Summary",
    "loaded",
    "report_result",
    "run_session",
]

__getattr__, __dir__ = attach(
    __name__,
    {
        "ArazzoUser": "user",
        "LoadPlan": "session",
        "StepFailed": "user",
        "Summary": "session",
        "loaded": "user",
        "report_result": "user",
        "run_session": "session",
    },
)
