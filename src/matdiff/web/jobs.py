"""Derivations for the web page: a request body to the command line's options, run in
worker processes with a time limit.

:func:`options` turns the JSON body of ``POST /api/derive`` into exactly the options that
``matdiff EXPR ... --json`` would get, checking types and sizes on the way, and
:func:`derive` answers them with :func:`matdiff.cli.run`: the API answers the object the
command line prints, by the same code.

:class:`Pool` runs each derivation in a worker process, so that one that takes too long can
be stopped: its worker is killed and replaced, and the request gets a ``timeout`` error.
Nothing here evaluates the user's text or touches files or the network; the text only ever
reaches matdiff's own parser.

>>> ns = options({"expression": "x'*A*x", "wrt": ["x"], "declarations": {"A": "symmetric matrix"}})
>>> derive(ns)["results"][0]["text"]
'2*A*x'
>>> derive(options({"expression": "x'*A*x +"}))["error"]["position"]
8
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .. import cli
from ..errors import MatdiffError

#: Longest expression accepted, in characters (the parser also bounds its nesting depth).
MAX_EXPRESSION = 2000
#: Most entries in "wrt" and in "declarations".
MAX_NAMES = 50
#: Longest variable name, and longest kind ("symmetric matrix(n)") in a declaration.
MAX_NAME = 64
MAX_KIND = 200

#: Optional request fields passed to the command-line option of the same name, when the
#: command line has one (``--steps``, ``--verify``, ``--code``, ``--latex-input``). Only
#: options that choose what to compute belong here: none of them may read or write files.
PASSED_OPTIONS = ("steps", "verify", "code", "latex_input")

Target = Callable[[argparse.Namespace], dict]


class JobError(Exception):
    """A request refused or failed outside matdiff's own errors: its HTTP status, and the
    ``kind`` of its JSON error (``request``, ``busy``, ``timeout`` or ``internal``)."""

    def __init__(self, message: str, status: int = 400, kind: str = "request"):
        super().__init__(message)
        self.message, self.status, self.kind = message, status, kind

    def to_json(self) -> dict:
        return {"message": self.message, "position": None, "kind": self.kind}


# ---------------------------------------------------------------------------------------
# A request body to the command line's options
# ---------------------------------------------------------------------------------------

def options(body: Any) -> argparse.Namespace:
    """The command line's options for a request body (raises :class:`JobError` if malformed).

    ``{"expression", "wrt": [...], "declarations": {name: kind}, "hessian", "check",
    "steps", "verify", "code", "latex_input"}``; only ``expression`` is required. Unknown
    fields, and passed options the command line does not have, are ignored.
    """
    if not isinstance(body, dict):
        raise JobError("the request body must be a JSON object")
    expression = body.get("expression")
    if not isinstance(expression, str):
        raise JobError('"expression" must be a string')
    if len(expression) > MAX_EXPRESSION:
        raise JobError(f"the expression is too long: {len(expression)} characters "
                       f"(at most {MAX_EXPRESSION})")
    parser = cli.build_parser()
    ns = parser.parse_args(["--", expression])  # every option at its command-line default
    ns.wrt = _names(body.get("wrt"))
    ns.declare = _declarations(body.get("declarations"))
    ns.hessian = _flag(body, "hessian")
    ns.check = _flag(body, "check")
    ns.json = True
    actions = {a.dest: a for a in parser._actions}
    for name in PASSED_OPTIONS:
        if name in actions and body.get(name) is not None:
            setattr(ns, name, _option_value(name, body[name], actions[name]))
    if body.get("latex_input") is None and hasattr(ns, "latex_input"):
        from ..latex.tokens import looks_like_latex

        ns.latex_input = looks_like_latex(expression)  # pasted LaTeX is recognised
    return ns


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise JobError(f'"{name}" must be true or false')
    return value


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JobError('"wrt" must be a list of variable names')
    if len(value) > MAX_NAMES or any(len(v) > MAX_NAME for v in value):
        raise JobError(f'"wrt": at most {MAX_NAMES} names of at most {MAX_NAME} characters')
    return list(value)


def _declarations(value: Any) -> list[str]:
    """``{"A": "symmetric matrix"}`` to the ``--declare`` texts ``["A: symmetric matrix"]``;
    a list of such texts is taken as it is."""
    if value is None:
        return []
    if isinstance(value, list):
        if not all(isinstance(v, str) and len(v) <= MAX_KIND for v in value):
            raise JobError(f'"declarations": each one a text of at most {MAX_KIND} characters')
        items = list(value)
    elif isinstance(value, dict):
        items = []
        for name, kind in value.items():
            if not (name.isidentifier() and len(name) <= MAX_NAME):
                raise JobError(f'"declarations": {name[:MAX_NAME]!r} is not a variable name')
            if not (isinstance(kind, str) and len(kind) <= MAX_KIND):
                raise JobError(f'"declarations": the kind of {name} must be a text such as '
                               f'"symmetric matrix" (at most {MAX_KIND} characters)')
            items.append(f"{name}: {kind}")
    else:
        raise JobError('"declarations" must be an object: {"A": "symmetric matrix", ...}')
    if len(items) > MAX_NAMES:
        raise JobError(f'"declarations": at most {MAX_NAMES}')
    return items


def _option_value(name: str, value: Any, action: argparse.Action) -> Any:
    """A value for a passed option, as the command line would accept it."""
    if action.nargs == 0:  # a flag (store_true)
        if not isinstance(value, bool):
            raise JobError(f'"{name}" must be true or false')
        return value
    if value is True and action.const is not None:  # "steps": true is a bare --steps
        return action.const
    if not isinstance(value, str) or len(value) > MAX_EXPRESSION:
        raise JobError(f'"{name}" must be a text of at most {MAX_EXPRESSION} characters')
    if action.choices is not None and value not in action.choices:
        raise JobError(f'"{name}" must be one of ' + ", ".join(map(str, action.choices)))
    return value


# ---------------------------------------------------------------------------------------
# The derivation
# ---------------------------------------------------------------------------------------

def derive(ns: argparse.Namespace) -> dict:
    """The object ``matdiff ... --json`` prints: the answer, or ``{"error": {...}}``.

    Non-finite numbers (a check's error can be ``inf``) become ``null``, as JSON has none.
    """
    from ..algebra import clear_caches

    try:
        return _finite(cli.run(ns))
    except MatdiffError as e:
        return {"error": e.to_json()}
    finally:
        clear_caches()  # a long-lived worker does not keep every request's nodes


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------
# Worker processes with a time limit
# ---------------------------------------------------------------------------------------

def _context() -> Any:
    """Workers start from a fork server that has already imported matdiff (and NumPy): a
    new worker costs milliseconds, and none inherits the web server's threads."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _serve(conn: Connection, target: Target) -> None:
    """A worker's loop: options in, ``("ok", answer)`` or ``("failed", reason)`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    while True:
        try:
            ns = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", target(ns))
        except Exception as e:  # noqa: BLE001 (a bug, not a bad expression: an internal error)
            reply = ("failed", f"{type(e).__name__}: {e}")
        conn.send(reply)


class _Worker:
    def __init__(self, ctx: Any, target: Target):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, target), daemon=True,
                                   name="matdiff-web-worker")
        self.process.start()
        child.close()

    def call(self, ns: argparse.Namespace, timeout: float) -> tuple[str, Any]:
        self.conn.send(ns)
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

    def run(self, ns: argparse.Namespace) -> dict:
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
            status, value = worker.call(ns, self.timeout)
        except TimeoutError:
            self._retire(worker)
            worker = None
            raise JobError(f"the derivation took longer than {self.timeout:g} s and was "
                           "stopped; try a smaller expression", 504, "timeout") from None
        except (EOFError, OSError) as e:
            self._retire(worker)
            worker = None
            raise JobError(f"the derivation's worker process failed ({e or type(e).__name__})",
                           500, "internal") from None
        finally:
            self._idle.put(worker)
        if status != "ok":
            raise JobError(f"internal error: {value}", 500, "internal")
        return value

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
