"""The local web page: ``matdiff serve`` (see :mod:`matdiff.web.server`).

* :mod:`matdiff.web.jobs` -- a request body to the command line's options, checked and
  bounded, and a pool of worker processes that run :func:`matdiff.cli.run` with a time limit;
* :mod:`matdiff.web.server` -- the HTTP side (Starlette + uvicorn): ``POST /api/derive`` and
  the static page in ``static/`` (HTML, JS, CSS and a vendored KaTeX, rendered offline).

This package imports no web framework itself, so that the worker processes, which import
:mod:`matdiff.web.jobs`, stay light; only :mod:`matdiff.web.server` imports Starlette.
"""
