"""``matdiff serve``: the web page and its JSON API, a Starlette app served by uvicorn.

Routes:

* ``POST /api/derive`` -- a JSON body ``{"expression", "wrt", "declarations", "hessian",
  "check", "steps", "verify", "code", "latex_input"}`` (see :func:`matdiff.web.jobs.to_request`)
  answered with exactly the object ``matdiff EXPR ... --json`` prints: HTTP 200, or 400 for a
  bad expression or a malformed request; 413 for a body over :data:`MAX_BODY` bytes, 415 for a
  body that is not ``application/json``, 405 for a method other than POST, 503 when every
  worker is busy, 504 when the derivation passes the time limit, 500 for an internal error;
* everything else: the static page in ``static/`` (``index.html``, ``app.js``, ``style.css``,
  ``examples.json`` and KaTeX, vendored, so the page works offline).

Every error, from the API or not (a missing page, a refused Host, a bug), is the JSON object
``{"error": {"message", "position", "kind"}}``, ``kind`` one of matdiff's own (``syntax``,
``type``, ``shape``, ``unsupported``, ``error``) or ``request``, ``busy``, ``timeout``,
``internal``; never plain text, nor a traceback.

By default the server listens on 127.0.0.1 only, and answers only requests addressed to
``127.0.0.1`` or ``localhost`` (a web site cannot reach it by DNS rebinding).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import jobs

STATIC = Path(__file__).with_name("static")
#: Largest request body accepted, in bytes.
MAX_BODY = 10_000
#: Seconds a derivation may take (and may wait for a free worker).
DEFAULT_TIMEOUT = 10.0
DEFAULT_WORKERS = 2
LOOPBACK = ("127.0.0.1", "localhost")
#: Requests handled at once (more get a JSON 503 ``busy``), and the connections uvicorn
#: accepts at once, a backstop far above it (uvicorn answers beyond it in plain text).
MAX_CONCURRENT = 64
MAX_CONNECTIONS = 4 * MAX_CONCURRENT
#: The API answers every method itself: POST, or a JSON 405 saying to use POST.
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

SECURITY_HEADERS = [
    (b"content-security-policy",
     (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      b"form-action 'self'; frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (the page loads nothing from elsewhere,
    and runs no inline script), and ``cache-control: no-store`` to the API's."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = SECURITY_HEADERS
        if scope["path"].startswith("/api/"):
            extra = extra + [(b"cache-control", b"no-store")]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConcurrencyLimit:
    """At most ``limit`` HTTP requests in progress; one more is refused with a JSON 503."""

    def __init__(self, app: ASGIApp, limit: int = MAX_CONCURRENT):
        self.app, self.limit, self.active = app, limit, 0  # one event loop: no lock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            busy = jobs.JobError("the server has too many requests in progress; try again",
                                 503, "busy")
            await _error(busy)(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class AllowedHosts:
    """Answers only requests whose Host header names one of ``hosts`` (any port); others get
    a 400 JSON error."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str]):
        self.app, self.hosts = app, {h.lower() for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _host(scope) in self.hosts:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            error = jobs.JobError("this server answers only requests addressed to "
                                  + " or ".join(sorted(self.hosts)))
            await _error(error)(scope, receive, send)


def _host(scope: Scope) -> str:
    """The host name of the request's Host header, without its port."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    if host.startswith("["):
        return host[:host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower()


def _json(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(content, ensure_ascii=False, allow_nan=False)
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a lone surrogate from the request, echoed: escape it
        body = json.dumps(content, allow_nan=False).encode()
    return Response(body, status, headers=headers, media_type="application/json")


def _error(error: jobs.JobError, headers: Mapping[str, str] | None = None) -> Response:
    return _json({"error": error.to_json()}, error.status, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such page, a method not allowed) as JSON errors."""
    assert isinstance(exc, HTTPException)
    path = request.url.path[:200]
    if exc.status_code == 404:
        message = f"there is nothing at {path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed for {path}"
    else:
        message = str(exc.detail)
    return _error(jobs.JobError(message, exc.status_code), exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the server: a JSON error (the traceback goes to the server's log only)."""
    return _error(jobs.JobError("internal error in the web server; the details are in its "
                                "log", 500, "internal"))


async def _read_json(request: Request) -> Any:
    """The request's JSON body, refusing other content types and bodies over MAX_BODY."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise jobs.JobError("the request body must be JSON (Content-Type: application/json)",
                            415)
    too_large = jobs.JobError(f"the request body is too large (at most {MAX_BODY} bytes)", 413)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():  # also bounds a body sent without a length
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise jobs.JobError("the request body is not valid JSON") from None


def create_app(*, timeout: float = DEFAULT_TIMEOUT, workers: int = DEFAULT_WORKERS,
               allowed_hosts: Sequence[str] | None = None,
               target: jobs.Target = jobs.derive) -> Starlette:
    """The web app. ``allowed_hosts``: the Host names it answers (None: any). ``target``: the
    function a worker runs on a :class:`matdiff.api.Request` (tests replace it)."""
    pool = jobs.Pool(workers, timeout, target)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(pool.start)
        try:
            yield
        finally:
            pool.close()

    async def derive(request: Request) -> Response:
        if request.method != "POST":
            error = jobs.JobError("use POST with a JSON body: {\"expression\": \"...\"}", 405)
            return _error(error, {"allow": "POST"})
        try:
            req = jobs.to_request(await _read_json(request))
            out = await run_in_threadpool(pool.run, req)
        except jobs.JobError as e:
            return _error(e)
        return _json(out, 400 if "error" in out else 200)

    middleware = [Middleware(SecurityHeaders), Middleware(ConcurrencyLimit)]
    if allowed_hosts is not None:
        middleware.append(Middleware(AllowedHosts, hosts=list(allowed_hosts)))
    app = Starlette(
        routes=[Route("/api/derive", derive, methods=EVERY_METHOD),
                Mount("/", StaticFiles(directory=STATIC, html=True), name="static")],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    app.state.pool = pool
    return app


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff serve",
        description="Serve the matdiff web page and its JSON API (POST /api/derive).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds one derivation may take (default: {DEFAULT_TIMEOUT:g})")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                   help="derivations run at once, each in its own process "
                        f"(default: {DEFAULT_WORKERS})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``matdiff serve [--host 127.0.0.1] [--port 8000] [--timeout S] [--workers N]``."""
    import uvicorn

    args = build_parser().parse_args(argv)
    if args.workers < 1 or args.timeout <= 0:
        print("matdiff serve: --workers must be at least 1 and --timeout positive")
        return 2
    loopback = args.host in LOOPBACK
    app = create_app(timeout=args.timeout, workers=args.workers,
                     allowed_hosts=list(LOOPBACK) if loopback else None)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"matdiff: the web page is at http://{host}:{args.port}/  (Ctrl-C stops it)",
          flush=True)
    if not loopback:
        print(f"matdiff: warning: listening on {args.host}, not only on this machine: "
              "anyone who can reach it can use it", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info",
                limit_concurrency=MAX_CONNECTIONS, server_header=False)
    return 0
