"""``matdiff serve``: the web page and its JSON API, a Starlette app served by uvicorn.

Routes:

* ``POST /api/derive`` -- a JSON body ``{"expression", "wrt", "declarations", "hessian",
  "check", "steps", "verify", "code", "latex_input"}`` (see :func:`matdiff.web.jobs.to_request`)
  answered with exactly the object ``matdiff EXPR ... --json`` prints: HTTP 200, or 400 for a
  bad expression or a malformed request; 413 for a body over :data:`MAX_BODY` bytes, a
  declared size over :data:`matdiff.web.jobs.MAX_DIMENSION` or an answer over
  :data:`matdiff.web.jobs.MAX_ANSWER` bytes; 408 for a body not received within
  :data:`BODY_TIMEOUT` seconds, 415 for a body that is not ``application/json``, 405 for a
  method other than POST, 503 when every worker is busy, 504 when the derivation passes the
  time limit, 500 for an internal error (a worker that failed or died);
* everything else: the static page in ``static/`` (``index.html``, ``app.js``, ``style.css``,
  ``examples.json`` and KaTeX, vendored, so the page works offline).

Every error, from the API or not (a missing page, a refused Host, a bug), is the JSON object
``{"error": {"message", "position", "kind"}}``, ``kind`` one of matdiff's own (``syntax``,
``type``, ``shape``, ``unsupported``, ``error``) or ``request``, ``busy``, ``timeout``,
``internal``; never plain text, nor a traceback.

By default the server listens on 127.0.0.1 only. On a loopback address (``127.0.0.0/8``,
``::1``, ``localhost``) it answers only requests addressed to a loopback name (``localhost``,
``127.0.0.1``, ``[::1]`` or the address itself: a web site cannot reach it by DNS
rebinding); any other ``--host`` is the explicit choice to serve other machines, and is
announced with a warning.

Connections (:func:`server_config`): at most :data:`MAX_CONNECTIONS` at once (one more gets a
JSON 503), a connection must send its request's headers within :data:`HEADER_TIMEOUT`
seconds of opening or of its previous response (one that sends nothing, or a byte at a
time, is closed), idle keep-alive connections close after :data:`KEEP_ALIVE` seconds, and
headers over :data:`MAX_HEADERS` bytes or a malformed request get a JSON 400.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
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
#: The Host names a server on a loopback address answers (and its own address).
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
#: Requests handled at once (more get a JSON 503 ``busy``), and connections open at once (more
#: get a JSON 503 too, and are closed).
MAX_CONCURRENT = 64
MAX_CONNECTIONS = 4 * MAX_CONCURRENT
#: Seconds a connection may take to send a request's headers, may stay idle between
#: requests, and may take to send a request's body.
HEADER_TIMEOUT = 10.0
KEEP_ALIVE = 5.0
BODY_TIMEOUT = 10.0
#: Largest request line and headers, in bytes.
MAX_HEADERS = 16_384
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
    try:
        with anyio.fail_after(BODY_TIMEOUT):
            async for chunk in request.stream():  # also bounds a body sent without a length
                body += chunk
                if len(body) > MAX_BODY:
                    raise too_large
    except TimeoutError:
        raise jobs.JobError(f"the request body did not arrive within {BODY_TIMEOUT:g} s",
                            408) from None
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
            status, body = await run_in_threadpool(pool.run, req)  # encoded by the worker
        except jobs.JobError as e:
            return _error(e)
        if len(body) > jobs.MAX_ANSWER:  # the worker refuses these already
            return _error(jobs._too_large(f"{len(body):,}"))
        return Response(body, status, media_type="application/json")

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


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address to listen on, or a Host header's name) is this machine
    only: ``localhost``, an address in ``127.0.0.0/8``, ``::1`` (also written ``[::1]``), or
    an IPv4-mapped loopback address (``::ffff:127.0.0.1``)."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])  # no zone: fe80::1%eth0
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def host_name(host: str) -> str:
    """How ``host`` is written in a URL or a Host header: ``[::1]`` for an IPv6 address."""
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts_for(host: str) -> list[str] | None:
    """The Host names a server listening on ``host`` answers: the loopback names (and the
    address itself) for a loopback address; None (any) for another, chosen explicitly."""
    if not is_loopback(host):
        return None
    return sorted({*LOOPBACK, host_name(host)})


async def _overloaded(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer on a connection beyond MAX_CONNECTIONS: a JSON 503, then the close."""
    error = jobs.JobError("the server has too many connections open; try again", 503, "busy")
    await _error(error, {"connection": "close"})(scope, receive, send)


def _error_bytes(status: int, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": jobs.JobError(message, status).to_json()}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
               *SECURITY_HEADERS]
    return headers, body


def protocol_class(header_timeout: float = HEADER_TIMEOUT,
                   max_connections: int = MAX_CONNECTIONS) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol (h11) with what it lacks: a deadline for a request's
    headers (``header_timeout`` seconds from the connection, or from the previous response;
    data arriving does not extend it, so a client sending a byte at a time is closed too),
    a JSON 503 on connections beyond ``max_connections``, and a JSON 400 for a malformed
    request or headers over MAX_HEADERS (uvicorn's are plain text)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.app = _overloaded
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _headers_late(self) -> None:
            """No complete request headers within header_timeout: close the connection."""
            self._deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def send_400_response(self, msg: str) -> None:
            headers, body = _error_bytes(400, "the request is not valid HTTP, or its headers "
                                              f"are over {MAX_HEADERS} bytes")
            if self.conn.our_state is h11.IDLE:
                self.transport.write(self.conn.send(h11.Response(
                    status_code=400, headers=headers, reason=b"Bad Request")) or b"")
                self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
                self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
            self.transport.close()

    return GuardedH11Protocol


def server_config(app: ASGIApp, host: str = "127.0.0.1", port: int = 8000, *,
                  header_timeout: float = HEADER_TIMEOUT,
                  max_connections: int = MAX_CONNECTIONS, log_level: str = "info") -> Any:
    """The uvicorn configuration ``matdiff serve`` runs (a ``uvicorn.Config``)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level,
                          http=protocol_class(header_timeout, max_connections),
                          timeout_keep_alive=int(KEEP_ALIVE), limit_concurrency=None,
                          h11_max_incomplete_event_size=MAX_HEADERS, server_header=False,
                          ws="none", lifespan="on")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff serve",
        description="Serve the matdiff web page and its JSON API (POST /api/derive).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; "
                        "another address serves other machines too)")
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
    host = args.host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # uvicorn binds to ::1, not [::1]
    allowed = allowed_hosts_for(host)
    app = create_app(timeout=args.timeout, workers=args.workers, allowed_hosts=allowed)
    print(f"matdiff: the web page is at http://{host_name(host)}:{args.port}/  "
          "(Ctrl-C stops it)", flush=True)
    if allowed is None:
        print(f"matdiff: warning: listening on {host}, not only on this machine: "
              "anyone who can reach it can use it", flush=True)
    uvicorn.Server(server_config(app, host, args.port)).run()
    return 0
