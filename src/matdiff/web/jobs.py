"""Derivations for the web page: a request body to a :class:`matdiff.api.Request`, answered
in worker processes with a time limit.

:func:`to_request` turns the JSON body of ``POST /api/derive`` into the request that
``matdiff EXPR ... --json`` would make, checking types and sizes on the way, and
:func:`derive` answers it with :func:`matdiff.api.answer`: the page gets the object the
command line prints, from the same service.

:class:`Pool` runs each derivation in a worker process, so that one that takes too long can
be stopped: its worker is killed and replaced, and the request gets a ``timeout`` error.
Nothing here evaluates the user's text or touches files or the network; the text only ever
reaches matdiff's own parser.

Limits: a declared size above :data:`MAX_DIMENSION` is refused (HTTP 413) before anything is
derived; an answer whose text would pass :data:`MAX_ANSWER` bytes is refused (HTTP 413) as
soon as its size is known, before it is printed where the printed size can be told from the
expression, and the worker sends the server the answer already encoded, so the server never
serialises a large body. A worker that fails or dies gives a JSON error that says so, never
a Python exception's text (that goes to the server's log).

>>> req = to_request({"expression": "x'*A*x", "wrt": ["x"],
...                   "declarations": {"A": "symmetric matrix"}})
>>> derive(req)["results"][0]["text"]
'2*A*x'
>>> derive(to_request({"expression": "x'*A*x +"}))["error"]["position"]
8
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .. import api

#: Longest expression accepted, in characters (the parser also bounds its nesting depth);
#: also the longest "verify" answer.
MAX_EXPRESSION = 2000
#: Most entries in "wrt" and in "declarations".
MAX_NAMES = 50
#: Longest variable name, and longest kind ("symmetric matrix(n)") in a declaration.
MAX_NAME = 64
MAX_KIND = 200
#: Largest declared size (``matrix(1000, 1000)``); symbolic sizes (``matrix(m, n)``) give the
#: same derivatives.
MAX_DIMENSION = 1000
#: Largest answer, in bytes of JSON.
MAX_ANSWER = 2_000_000

log = logging.getLogger("matdiff.web")

Target = Callable[[api.Request], dict]


class JobError(Exception):
    """A request refused or failed outside matdiff's own errors: its HTTP status, and the
    ``kind`` of its JSON error (``request``, ``busy``, ``timeout`` or ``internal``)."""

    def __init__(self, message: str, status: int = 400, kind: str = "request"):
        super().__init__(message)
        self.message, self.status, self.kind = message, status, kind

    def to_json(self) -> dict:
        return {"message": self.message, "position": None, "kind": self.kind}


# ---------------------------------------------------------------------------------------
# A request body to a Request
# ---------------------------------------------------------------------------------------

def to_request(body: Any) -> api.Request:
    """The request a body asks for (raises :class:`JobError` if it is malformed).

    ``{"expression", "wrt": [...], "declarations": {name: kind}, "hessian", "check",
    "steps", "verify", "code", "latex_input", "layout", "convention"}``; only ``expression``
    is required and unknown fields are ignored. ``steps``: true (the matrix derivation),
    false, "matrix" or "index"; ``steps``, ``verify``, ``code``, ``latex_input``, ``layout``
    and ``convention`` may be null (absent). Without
    ``latex_input``, pasted LaTeX is recognised.
    """
    if not isinstance(body, dict):
        raise JobError("the request body must be a JSON object")
    expression = body.get("expression")
    if not isinstance(expression, str):
        raise JobError('"expression" must be a string')
    if len(expression) > MAX_EXPRESSION:
        raise JobError(f"the expression is too long: {len(expression)} characters "
                       f"(at most {MAX_EXPRESSION})")
    wrt, declarations = _names(body.get("wrt")), _declarations(body.get("declarations"))
    hessian, check = _flag(body, "hessian"), _flag(body, "check")
    steps = _steps(body.get("steps"))
    verify = _optional_text(body, "verify")
    code = _choice(body, "code", api.BACKENDS)
    if body.get("latex_input") is None:
        from ..latex.tokens import looks_like_latex

        latex_input = looks_like_latex(expression)
    else:
        latex_input = _flag(body, "latex_input")
    layout = _choice(body, "layout", api.LAYOUTS) or "numerator"
    convention = _choice(body, "convention", api.CONVENTIONS) or "matdiff"
    return api.Request(expression, wrt, declarations, latex_input=latex_input,
                       hessian=hessian, steps=steps, verify=verify, code=code, check=check,
                       layout=layout, convention=convention)


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise JobError(f'"{name}" must be true or false')
    return value


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JobError('"wrt" must be a list of variable names')
    if len(value) > MAX_NAMES or any(len(v) > MAX_NAME for v in value):
        raise JobError(f'"wrt": at most {MAX_NAMES} names of at most {MAX_NAME} characters')
    return tuple(value)


def _declarations(value: Any) -> tuple[str, ...]:
    """``{"A": "symmetric matrix"}`` to the declaration texts ``("A: symmetric matrix",)``;
    a list of such texts is taken as it is."""
    if value is None:
        return ()
    if isinstance(value, list):
        if not all(isinstance(v, str) and len(v) <= MAX_KIND for v in value):
            raise JobError(f'"declarations": each one a text of at most {MAX_KIND} characters')
        items = list(value)
    elif isinstance(value, dict):
        items = [_declaration(name, kind) for name, kind in value.items()]
    else:
        raise JobError('"declarations" must be an object: {"A": "symmetric matrix", ...}')
    if len(items) > MAX_NAMES:
        raise JobError(f'"declarations": at most {MAX_NAMES}')
    return tuple(items)


def _declaration(name: str, kind: Any) -> str:
    if not (name.isidentifier() and len(name) <= MAX_NAME):
        raise JobError(f'"declarations": {name[:MAX_NAME]!r} is not a variable name')
    if not (isinstance(kind, str) and len(kind) <= MAX_KIND):
        raise JobError(f'"declarations": the kind of {name} must be a text such as '
                       f'"symmetric matrix" (at most {MAX_KIND} characters)')
    return f"{name}: {kind}"


def _steps(value: Any) -> str | None:
    """``true`` is the matrix derivation (a bare ``--steps``); ``false``, none."""
    if value is None or value is False:
        return None
    if value is True:
        return api.STEPS[0]
    return _choice({"steps": value}, "steps", api.STEPS)


def _optional_text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_EXPRESSION:
        raise JobError(f'"{name}" must be a text of at most {MAX_EXPRESSION} characters')
    return value


def _choice(body: dict, name: str, choices: tuple[str, ...]) -> str | None:
    value = _optional_text(body, name)
    if value is not None and value not in choices:
        raise JobError(f'"{name}" must be one of ' + ", ".join(choices))
    return value


# ---------------------------------------------------------------------------------------
# The derivation
# ---------------------------------------------------------------------------------------

def derive(request: api.Request) -> dict:
    """The object ``matdiff ... --json`` prints: the answer, or ``{"error": {...}}``; a number
    JSON cannot hold (a check's NaN or infinite error) is null. Raises :class:`JobError`
    (413) for a declared size above MAX_DIMENSION or an answer beyond MAX_ANSWER."""
    from ..algebra import clear_caches

    try:
        _bound_dimensions(request)
        answer = api.answer(request)
        _bound_answer(answer)
        return answer.to_json()
    finally:
        clear_caches()  # a long-lived worker does not keep every request's nodes


def _bound_dimensions(request: api.Request) -> None:
    """Refuse a declared size above MAX_DIMENSION (in a declaration, a ``where`` clause or
    ``ones(m, n)``), before anything is derived; an expression that does not compile is left
    to :func:`matdiff.api.answer` to explain."""
    from .. import ir
    from ..errors import MatdiffError

    try:
        declarations = api._parsed_declarations(request.declarations)
        program = api.compile_program(request.expression, declarations,
                                      latex=request.latex_input)
    except MatdiffError:
        return
    for node in program.expr.walk():
        if not isinstance(node, ir.Sym | ir.Zero | ir.Ones | ir.Identity):
            continue
        sizes = [d for d in node.shape if isinstance(d, int)]
        if any(d > MAX_DIMENSION for d in sizes):
            what = node.args[0] if isinstance(node, ir.Sym) else "a constant matrix"
            raise JobError(
                f"{what} is declared {node.shape[0]} x {node.shape[1]}: the web page takes "
                f"declared sizes of at most {MAX_DIMENSION}; a symbolic size, such as "
                "matrix(m, n), gives the same derivative", 413)


def _too_large(size: int | str) -> JobError:
    return JobError(f"the answer is too large to send: {size} bytes (at most {MAX_ANSWER}); "
                    "try a smaller expression, or fewer options (steps, Hessian)", 413)


def _bound_answer(answer: api.Answer) -> None:
    """Refuse an answer whose text alone would pass MAX_ANSWER, from the size of its
    expressions (:func:`matdiff.ir.size`), before anything is printed: every result is
    written at least twice (text and LaTeX)."""
    from .. import ir

    if not answer.ok:
        return
    exprs = [answer.typed.expr]
    for r in answer.results:
        exprs += [r.expr] + ([] if r.map is None else [r.map])
    written = 2 * sum(ir.size(e) for e in exprs)
    if written <= MAX_ANSWER:
        return
    # written out it is too large; with its repeated parts named once it may not be (the
    # named form prints each shared part once, in time linear in the answer)
    function = 2 * ir.size(answer.typed.expr)
    if function <= MAX_ANSWER:
        results = [(r.shown, r.map_text_where or "") for r in answer.results]
        written = function + sum(len(shown.text_where) + len(shown.latex_where) + 2 * len(m)
                                 for shown, m in results)
    if written > MAX_ANSWER:
        raise _too_large(f"more than {written:,}")


def encode(answer: dict) -> bytes:
    """An answer as the JSON body of a response (a lone surrogate echoed from the request is
    escaped); raises :class:`JobError` (413) beyond MAX_ANSWER bytes."""
    try:
        body = json.dumps(answer, ensure_ascii=False, allow_nan=False).encode()
    except UnicodeEncodeError:
        body = json.dumps(answer, allow_nan=False).encode()
    if len(body) > MAX_ANSWER:
        raise _too_large(f"{len(body):,}")
    return body


# ---------------------------------------------------------------------------------------
# Worker processes with a time limit
# ---------------------------------------------------------------------------------------

#: What a first derivation would import (NumPy with the check, the readers): the fork server
#: imports it once, so that a new worker (one replacing a stopped one) answers at once.
_PRELOAD = ("matdiff.check", "matdiff.index_notation.resolve", "matdiff.latex.tokens",
            "matdiff.unparse")


def _context() -> Any:
    """Workers start from a fork server that has already imported matdiff (and NumPy): a
    new worker costs milliseconds, and none inherits the web server's threads."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([f"{__package__}._worker_env", __name__, *_PRELOAD])
        return ctx
    return multiprocessing.get_context("spawn")


def _serve(conn: Connection, target: Target) -> None:
    """A worker's loop: a request in, out ``("ok", (status, JSON body))``, ``("refused",
    (message, status, kind))`` for a :class:`JobError`, or ``("failed", None)`` for any other
    exception (its traceback goes to the log, never to the client)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        reply: tuple[str, Any]
        try:
            out = target(request)
            reply = ("ok", (400 if "error" in out else 200, encode(out)))
        except JobError as e:
            reply = ("refused", (e.message, e.status, e.kind))
        except MemoryError:
            reply = ("refused", (OUT_OF_MEMORY, 500, "internal"))
        except Exception:
            log.error("a derivation failed:\n%s", traceback.format_exc())
            reply = ("failed", None)
        conn.send(reply)


OUT_OF_MEMORY = "the derivation ran out of memory and was stopped; try a smaller expression"
FAILED = ("the derivation failed: this is a bug in matdiff (the details are in the server's "
          "log); please report it with the expression")
DIED = ("the derivation's worker process stopped unexpectedly (it may have run out of "
        "memory); it has been replaced: try again, or a smaller expression")


class _Worker:
    def __init__(self, ctx: Any, target: Target):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, target), daemon=True,
                                   name="matdiff-web-worker")
        self.process.start()
        child.close()

    def call(self, request: api.Request, timeout: float) -> tuple[str, Any]:
        self.conn.send(request)
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class Pool:
    """``size`` worker processes; :meth:`run` answers one request in one of them, blocking.

    A request waits at most ``timeout`` seconds for a free worker (else ``busy``, HTTP 503)
    and at most ``timeout`` seconds for its answer (else ``timeout``, HTTP 504: the worker is
    killed, and a new one takes its place).
    """

    def __init__(self, size: int = 2, timeout: float = 10.0, target: Target = derive):
        self.size, self.timeout, self.target = size, timeout, target
        self._ctx = _context()
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        for _ in range(size):
            self._idle.put(None)  # a free slot whose worker starts when first needed

    def start(self) -> None:
        """Start every worker now rather than at its first request."""
        slots = [self._idle.get() for _ in range(self.size)]
        try:
            slots = [w if w is not None else self._spawn() for w in slots]
        finally:
            for w in slots:
                self._idle.put(w)

    def run(self, request: api.Request) -> tuple[int, bytes]:
        """The HTTP status and the JSON body of the answer to ``request``; raises
        :class:`JobError` (busy, timeout, refused, or the worker failed or died)."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise JobError("the server is busy with other derivations; try again", 503,
                           "busy") from None
        try:
            if worker is not None and not worker.process.is_alive():
                self._retire(worker)
                worker = None
            if worker is None:
                worker = self._spawn()
            status, value = worker.call(request, self.timeout)
        except TimeoutError:
            self._retire(worker)
            worker = None
            raise JobError(f"the derivation took longer than {self.timeout:g} s and was "
                           "stopped; try a smaller expression", 504, "timeout") from None
        except (EOFError, OSError):  # the worker died (killed, out of memory, a crash)
            self._retire(worker)
            worker = None
            raise JobError(DIED, 500, "internal") from None
        finally:
            self._idle.put(worker)
        if status == "ok":
            return value
        if status == "refused":
            message, code, kind = value
            raise JobError(message, code, kind)
        raise JobError(FAILED, 500, "internal")

    def close(self) -> None:
        """Stop every worker (those busy with a request too)."""
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            w.stop()

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self.target)
        with self._lock:
            self._all.add(w)
        return w

    def _retire(self, worker: _Worker | None) -> None:
        if worker is not None:
            with self._lock:
                self._all.discard(worker)
            worker.stop()
