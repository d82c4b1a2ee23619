"""The local web page: ``matdiff serve`` (see :mod:`matdiff.web.server`).

* :mod:`matdiff.web.jobs` -- a request body to a :class:`matdiff.api.Request`, checked and
  bounded, and a pool of worker processes that answer it with :func:`matdiff.api.answer`
  under a time limit (the command line is another translator to the same service; the web
  package never imports it);
* :mod:`matdiff.web.server` -- the HTTP side (Starlette + uvicorn): ``POST /api/derive`` and
  the static page in ``static/`` (HTML, JS, CSS and a vendored KaTeX, rendered offline).

This package imports no web framework itself, so that the worker processes, which import
:mod:`matdiff.web.jobs`, stay light; only :mod:`matdiff.web.server` imports Starlette.
"""
