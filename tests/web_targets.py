"""Worker targets for the web tests (:func:`matdiff.web.server.create_app`'s ``target``).

A worker imports the module of its target when it first gets a request; this one imports
only matdiff's jobs (preloaded by the fork server), so that a new worker answers at once even
on a loaded machine (the test module itself imports Starlette's test client and more).
"""

from __future__ import annotations

import os
import time

from matdiff.web import jobs


def slow_derive(request):
    """'sleep' takes a minute, anything else is derived."""
    if request.expression == "sleep":
        time.sleep(60)
    return jobs.derive(request)


def broken_derive(request):
    raise RuntimeError("boom")


def crashing_derive(request):
    """'crash' dies as a process does when killed or out of memory."""
    if request.expression == "crash":
        os._exit(1)
    return jobs.derive(request)


def exhausted_derive(request):
    if request.expression == "memory":
        raise MemoryError
    return jobs.derive(request)
