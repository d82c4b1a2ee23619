"""The web API (``POST /api/derive``) and the static page, through Starlette's test client.

The API must answer exactly what ``matdiff EXPR ... --json`` prints, errors included (HTTP
400), and refuse oversized, malformed or slow requests with a clear JSON error.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time

import pytest
from starlette.testclient import TestClient
from web_targets import broken_derive, crashing_derive, exhausted_derive, slow_derive

from matdiff import cli
from matdiff.web import jobs
from matdiff.web.server import MAX_BODY, STATIC, create_app

MASKED = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
          " where P: mask")

# The four seed questions: expression, wrt, the gradients matdiff must print.
SEEDS = [
    ("1/N * norm(X*W - Y, 'fro')^2", ["W"], {"W": "2/N * X'*(X*W - Y)"}),
    ("norm(W*u - v)^2", [], {"u": "2*W'*(W*u - v)", "v": "-2*(W*u - v)",
                             "W": "2*(W*u - v)*u'"}),
    (MASKED, ["U", "V"], {"U": "lambda*U - (P.*(M - U*V'))*V",
                          "V": "lambda*V - (P.*(M - U*V'))'*U"}),
    ("C/2 * sum(W.^2)", ["W"], {"W": "C*W"}),
]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(timeout=30, workers=2)) as c:
        yield c


def cli_json(*argv: str) -> dict:
    """What ``matdiff ARGV --json`` prints, parsed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main([*argv, "--json"])
    return json.loads(out.getvalue())


def post(client, body, **kw):
    return client.post("/api/derive", json=body, **kw)


# ---- answers: the CLI's object ------------------------------------------------------------

@pytest.mark.parametrize("expression,wrt,expected", SEEDS, ids=["seed1", "seed2", "seed3", "seed4"])
def test_seed_questions(client, expression, wrt, expected):
    r = post(client, {"expression": expression, "wrt": wrt, "check": True})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    out = r.json()
    wrt_flags = [a for w in wrt for a in ("--wrt", w)]
    assert out == cli_json(expression, *wrt_flags, "--check")
    got = {res["wrt"]: res["text"] for res in out["results"]}
    assert {k: got[k] for k in expected} == expected
    assert all(res["check"]["passed"] for res in out["results"])
    assert all(res["latex"] for res in out["results"])


def test_without_check_or_wrt_as_the_cli(client):
    out = post(client, {"expression": "norm(W*u - v)^2"}).json()
    assert out == cli_json("norm(W*u - v)^2")
    assert "check" not in out["results"][0]


def test_declarations(client):
    body = {"expression": "x'*A*x", "wrt": ["x"], "declarations": {"A": "symmetric matrix"}}
    out = post(client, body).json()
    assert out == cli_json("x'*A*x", "--wrt", "x", "--declare", "A: symmetric matrix")
    assert out["types"] == {"x": "vector(n)", "A": "symmetric matrix(n)"}
    assert out["results"][0]["text"] == "2*A*x"
    # the same as a list of declaration texts, and with sizes
    body["declarations"] = ["A: symmetric matrix(k)"]
    out = post(client, body).json()
    assert out["types"] == {"x": "vector(k)", "A": "symmetric matrix(k)"}


def test_hessian(client):
    body = {"expression": "1/N * norm(X*W - Y, 'fro')^2", "wrt": ["W"], "hessian": True,
            "check": True}
    out = post(client, body).json()
    assert out == cli_json(body["expression"], "--wrt", "W", "--hessian", "--check")
    grad, hess = out["results"]
    assert (grad["kind"], hess["kind"]) == ("gradient", "hessian")
    assert hess["text"] == "2/N * kron(eye(p), X'*X)"
    assert hess["map"] == "2/N * X'*X*dW" and "map_latex" in hess
    assert hess["check"]["passed"]


def test_jacobian(client):
    out = post(client, {"expression": "softmax(x)", "wrt": ["x"]}).json()
    assert out["results"][0]["kind"] == "jacobian"
    assert out["results"][0]["text"] == "diag(softmax(x)) - softmax(x)*softmax(x)'"


def _cli_has(option: str) -> bool:
    return any(a.dest == option for a in cli.build_parser()._actions)


@pytest.mark.skipif(not _cli_has("steps"), reason="the CLI has no --steps")
def test_steps_passed_to_the_cli(client):
    body = {"expression": "C/2 * sum(W.^2)", "wrt": ["W"], "steps": True}
    out = post(client, body).json()
    assert out == cli_json(body["expression"], "--wrt", "W", "--steps")
    assert out["results"][0]["steps"]


@pytest.mark.skipif(not _cli_has("verify"), reason="the CLI has no --verify")
def test_verify_passed_to_the_cli(client):
    body = {"expression": "norm(W*u - v)^2", "wrt": ["u"], "verify": "2*W'*(W*u - v)"}
    out = post(client, body).json()
    assert out == cli_json(body["expression"], "--wrt", "u", "--verify", body["verify"])
    assert out["results"][0]["verify"]["verdict"] == "correct"


@pytest.mark.skipif(not _cli_has("code"), reason="the CLI has no --code")
def test_code_passed_to_the_cli(client):
    body = {"expression": "C/2 * sum(W.^2)", "wrt": ["W"], "code": "numpy"}
    out = post(client, body).json()
    assert out == cli_json(body["expression"], "--wrt", "W", "--code", "numpy")
    assert "import numpy" in out["code"]
    r = post(client, {**body, "code": "fortran"})
    assert r.status_code == 400 and '"code" must be one of' in r.json()["error"]["message"]


def _golden_json_cases() -> list[tuple[list[str], dict]]:
    from test_cli_table import _golden

    return [(g["argv"], json.loads(g["stdout"])) for g in _golden() if "--json" in g["argv"]]


def _body(argv: list[str]) -> dict:
    """The request body for the command line ``argv``."""
    parser = cli.build_parser()
    args = parser.parse_args(cli.protect_expression(argv, parser))
    return {"expression": args.expression, "wrt": args.wrt, "declarations": args.declare,
            "hessian": args.hessian, "check": args.check, "steps": args.steps,
            "verify": args.verify, "code": args.code, "latex_input": args.latex_input}


@pytest.mark.parametrize("argv,expected", _golden_json_cases(),
                         ids=lambda v: str(v)[:40] if isinstance(v, list) else "")
def test_the_pinned_cli_answers(client, argv, expected):
    r = post(client, _body(argv))
    assert r.status_code == (400 if "error" in expected else 200)
    assert r.json() == expected


def test_every_example_of_the_page_derives(client):
    examples = json.loads((STATIC / "examples.json").read_text())
    expressions = {ex["expression"] for ex in examples}
    assert {s[0] for s in SEEDS} <= expressions
    for ex in examples:
        body = {"expression": ex["expression"], "wrt": ex["wrt"],
                "hessian": ex.get("hessian", False), "check": True}
        r = post(client, body)
        assert r.status_code == 200, (ex, r.json())
        assert all(res["check"]["passed"] for res in r.json()["results"]), ex


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("expression,position,kind", [
    ("x'*A*x +", 8, "syntax"),
    ("A*x + y where A: matrix(m,n), x: vector(k)", 1, "shape"),
    ("norm(X, 'inf')", None, None),
])
def test_bad_expression_is_400_with_position(client, expression, position, kind):
    r = post(client, {"expression": expression})
    assert r.status_code == 400
    assert r.json() == cli_json(expression)
    error = r.json()["error"]
    assert set(error) == {"message", "position", "kind"} and error["message"]
    if position is not None:
        assert (error["position"], error["kind"]) == (position, kind)


def test_bad_declaration_or_variable_is_400(client):
    r = post(client, {"expression": "x'*A*x", "declarations": {"A": "tensor"}})
    assert r.status_code == 400 and "unknown kind" in r.json()["error"]["message"]
    r = post(client, {"expression": "x'*A*x", "wrt": ["2Q"]})  # not a name (an unused
    assert r.status_code == 400 and r.json()["error"]["kind"] == "type"  # name is zero)
    r = post(client, {"expression": "x'*A*x", "wrt": ["Q"]})
    assert r.status_code == 200 and r.json()["results"][0]["text"] == "zeros(m, p)"


def test_lone_surrogates_are_answered_as_json(client):
    for body in ('{"expression": "x + \\ud800"}', '{"expression": "x", "wrt": ["\\ud800"]}'):
        r = client.post("/api/derive", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["message"]


def test_deep_nesting_is_refused(client):
    r = post(client, {"expression": "(" * 400 + "x" + ")" * 400})
    assert r.status_code == 400
    assert "nested too deeply" in r.json()["error"]["message"]


@pytest.mark.parametrize("body,words", [
    ([], "JSON object"),
    ({"wrt": ["x"]}, '"expression"'),
    ({"expression": 3}, '"expression"'),
    ({"expression": "x", "wrt": [1]}, '"wrt"'),
    ({"expression": "x", "hessian": "yes"}, '"hessian"'),
    ({"expression": "x", "check": 1}, '"check"'),
    ({"expression": "x", "declarations": "x: vector"}, '"declarations"'),
    ({"expression": "x", "declarations": {"x: mask, y": "vector"}}, "not a variable name"),
    ({"expression": "x", "declarations": {"x": ["vector"]}}, "kind of x"),
    ({"expression": "x", "wrt": ["x"] * 100}, '"wrt"'),
    ({"expression": "x" * 2001}, "too long"),
])
def test_malformed_request_is_400(client, body, words):
    r = post(client, body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["kind"] == "request" and words in error["message"]


def test_not_json_is_400_and_other_content_types_415(client):
    r = client.post("/api/derive", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = client.post("/api/derive", content=json.dumps({"expression": "x"}),
                    headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["error"]["kind"] == "request"


def test_oversized_request_is_413(client):
    big = {"expression": "x", "padding": "a" * MAX_BODY}
    r = post(client, big)
    assert r.status_code == 413 and "too large" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(20):
            yield b" " * 1000
        yield json.dumps({"expression": "x"}).encode()

    r = client.post("/api/derive", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_only_post(client):
    r = client.get("/api/derive")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert "POST" in r.json()["error"]["message"]


def assert_json_error(r, status: int, kind: str = "request") -> dict:
    """The documented error object, as JSON, never plain text."""
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "position", "kind"}
    assert body["error"]["kind"] == kind and body["error"]["position"] is None
    assert "Traceback" not in r.text
    return body["error"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_json_errors(client, method):
    r = client.request(method, "/api/derive")
    assert "use POST" in assert_json_error(r, 405)["message"]
    assert r.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/nothing-here", "/api/other", "/api/", "/%2e%2e/server.py"])
def test_missing_pages_are_json_errors(client, path):
    assert "there is nothing at" in assert_json_error(client.get(path), 404)["message"]


def test_posting_to_a_page_is_a_json_error(client):
    assert_json_error(client.post("/index.html", json={"expression": "x"}), 405)


def test_refused_host_is_a_json_error():
    with TestClient(create_app(allowed_hosts=["testserver"])) as c:
        r = c.post("/api/derive", json={"expression": "x"}, headers={"host": "evil.example"})
        assert "testserver" in assert_json_error(r, 400)["message"]
        r = c.get("/", headers={"host": "testserver:8000"})
        assert r.status_code == 200


def test_a_server_bug_is_a_json_error(monkeypatch):
    def broken(body):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(jobs, "to_request", broken)
    with TestClient(create_app(workers=1), raise_server_exceptions=False) as c:
        error = assert_json_error(post(c, {"expression": "x"}), 500, "internal")
        assert "secret internals" not in error["message"]
        assert "RuntimeError" not in error["message"]


def test_too_many_requests_at_once_is_a_json_error():
    import asyncio

    from matdiff.web.server import ConcurrencyLimit

    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        await release.wait()

    async def scenario():
        limiter = ConcurrencyLimit(slow_app, limit=1)
        scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
        first = asyncio.create_task(limiter(scope, None, None))
        await asyncio.sleep(0)
        sent = []

        async def send(message):
            sent.append(message)

        await limiter(scope, None, send)
        release.set()
        await first
        return sent, limiter.active

    sent, active = asyncio.run(scenario())
    assert active == 0
    assert sent[0]["status"] == 503
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    error = json.loads(sent[1]["body"])["error"]
    assert error["kind"] == "busy" and "too many requests" in error["message"]


def test_steps_false_is_no_steps(client):
    body = {"expression": "C/2 * sum(W.^2)", "wrt": ["W"], "steps": False}
    r = post(client, body)
    assert r.status_code == 200
    assert r.json() == cli_json(body["expression"], "--wrt", "W")
    assert "steps" not in r.json()["results"][0]
    r = post(client, {**body, "steps": "index"})
    assert r.json() == cli_json(body["expression"], "--wrt", "W", "--steps", "index")


def test_a_check_without_a_finite_point_is_valid_json(client):
    body = {"expression": "sum(log(-exp(x)))", "check": True}
    r = post(client, body)
    assert r.status_code == 200
    json.loads(r.text, parse_constant=lambda c: pytest.fail(f"{c} in the answer"))
    assert r.json() == cli_json(body["expression"], "--check")
    assert r.json()["results"][0]["check"]["max_rel_error"] is None


def test_answers_with_notes_and_skipped_are_the_cli_s(client):
    for expression in ("C/2*sum(j, norm(W[:, j])^2)", "kron(X,X) + Y"):
        r = post(client, {"expression": expression})
        assert r.status_code == 200 and r.json() == cli_json(expression)


# ---- the time limit and failures --------------------------------------------------------------

def test_timeout_is_a_clear_json_error_and_the_worker_is_replaced():
    with TestClient(create_app(timeout=1.0, workers=1, target=slow_derive)) as c:
        start = time.monotonic()
        r = post(c, {"expression": "sleep"})
        assert time.monotonic() - start < 10
        assert r.status_code == 504
        assert r.json() == {"error": {
            "message": "the derivation took longer than 1 s and was stopped; try a smaller "
                       "expression", "position": None, "kind": "timeout"}}
        r = post(c, {"expression": "C/2 * sum(W.^2)", "wrt": ["W"]})
        assert r.status_code == 200 and r.json()["results"][0]["text"] == "C*W"


def test_internal_error_is_500():
    # the message says what happened and where the details are; the exception's own text
    # (which may hold internals) goes to the server's log only
    with TestClient(create_app(workers=1, target=broken_derive)) as c:
        error = assert_json_error(post(c, {"expression": "x"}), 500, "internal")
        assert error["message"] == jobs.FAILED
        assert "bug in matdiff" in error["message"] and "log" in error["message"]
        assert "boom" not in error["message"] and "RuntimeError" not in error["message"]
        r = post(c, {"expression": "C/2 * sum(W.^2)", "wrt": ["W"]})  # the worker goes on
        assert r.status_code == 500  # (the target is broken for every request)


def test_a_crashed_worker_is_a_clear_json_error_and_is_replaced():
    with TestClient(create_app(timeout=20, workers=1, target=crashing_derive)) as c:
        error = assert_json_error(post(c, {"expression": "crash"}), 500, "internal")
        assert error["message"] == jobs.DIED
        assert "stopped unexpectedly" in error["message"]
        r = post(c, {"expression": "C/2 * sum(W.^2)", "wrt": ["W"]})
        assert r.status_code == 200 and r.json()["results"][0]["text"] == "C*W"


def test_a_worker_out_of_memory_is_a_clear_json_error():
    with TestClient(create_app(timeout=20, workers=1, target=exhausted_derive)) as c:
        error = assert_json_error(post(c, {"expression": "memory"}), 500, "internal")
        assert "ran out of memory" in error["message"] and "MemoryError" not in error["message"]
        assert post(c, {"expression": "x'*x"}).status_code == 200


def test_timeout_and_busy_are_json_errors():
    with TestClient(create_app(timeout=1.0, workers=1, target=slow_derive)) as c:
        assert "longer than 1 s" in assert_json_error(
            post(c, {"expression": "sleep"}), 504, "timeout")["message"]
    pool = jobs.Pool(1, 0.2, slow_derive)
    pool._idle.get()  # the only worker is taken
    with pytest.raises(jobs.JobError) as e:
        pool.run(jobs.to_request({"expression": "x"}))
    assert (e.value.status, e.value.kind) == (503, "busy") and "busy" in e.value.message
    pool.close()


# ---- the page -----------------------------------------------------------------------------------

# ---- limits: declared sizes, answers ------------------------------------------------------

def test_huge_declared_sizes_are_a_413_naming_the_limit(client):
    start = time.monotonic()
    for body in ({"expression": "sum(X)", "declarations": ["X: matrix(8000, 8000)"],
                  "check": True},
                 {"expression": "sum(X)", "declare": ["X: matrix(8000, 8000)"], "check": True,
                  "declarations": {"X": "matrix(8000, 8000)"}},
                 {"expression": "sum(X) where X: matrix(8000, 8000)"},
                 {"expression": "sum(X) where X: matrix(8000, 8000)", "verify": "ones(8000, 8000)",
                  "wrt": ["X"]},
                 {"expression": "x'*A*x", "declarations": {"A": "symmetric matrix(1001)"}}):
        error = assert_json_error(post(client, body), 413)
        assert str(jobs.MAX_DIMENSION) in error["message"] and "declared" in error["message"]
    assert time.monotonic() - start < 10
    body = {"expression": "x'*A*x", "wrt": ["x"],
            "declarations": {"A": f"symmetric matrix({jobs.MAX_DIMENSION})"}}
    assert post(client, body).json()["types"]["x"] == f"vector({jobs.MAX_DIMENSION})"
    body = {**body, "declarations": {"A": "symmetric matrix(300)"}, "check": True}
    r = post(client, body)
    assert r.status_code == 200 and r.json()["results"][0]["check"]["passed"]


def test_a_huge_answer_is_a_413_before_it_is_printed(monkeypatch):
    # sin(sin(...(x'*x))) nested 100 deep: its Hessian would print to megabytes written out,
    # and to about 340 kB with its repeated parts named: over a limit of 100 kB, it is
    # refused without being written out
    monkeypatch.setattr(jobs, "MAX_ANSWER", 100_000)
    deep = {"expression": "sin(" * 100 + "x'*x" + ")" * 100, "hessian": True}

    def no_printing(*args, **kwargs):
        raise AssertionError("the answer was printed")

    for where in ("matdiff.api.to_text", "matdiff.pipeline.to_text", "matdiff.pipeline.to_latex"):
        monkeypatch.setattr(where, no_printing)  # results print in pipeline.py
    with pytest.raises(jobs.JobError) as e:
        jobs.derive(jobs.to_request(deep))
    assert e.value.status == 413 and f"at most {jobs.MAX_ANSWER}" in e.value.message


def test_a_deep_answer_from_the_api_is_named_not_refused(client):
    # depth 60 and 100 were refused (megabytes written out); their repeated parts named
    # once, they are about 130 kB and 340 kB, answered in well under the time limit
    for depth in (60, 100):
        body = {"expression": "sin(" * depth + "x'*x" + ")" * depth, "hessian": True}
        start = time.monotonic()
        r = post(client, body)
        assert time.monotonic() - start < 10
        assert r.status_code == 200 and r.json()["results"][1]["definitions"]
        assert len(r.content) < jobs.MAX_ANSWER
    # an answer over the limit even with names is a 413 (the body over the limit)
    with pytest.raises(jobs.JobError) as e:
        jobs.encode({"text": "x" * (jobs.MAX_ANSWER + 1)})
    assert e.value.status == 413 and "too large" in e.value.message


def test_answers_are_encoded_by_the_worker():
    out = {"expression": "x", "results": [{"text": "\ud800 é"}]}
    assert json.loads(jobs.encode(out)) == out
    with pytest.raises(jobs.JobError) as e:
        jobs.encode({"text": "x" * jobs.MAX_ANSWER})
    assert e.value.status == 413


def test_a_slow_body_is_a_408():
    import anyio

    from matdiff.web import server

    async def scenario():
        async def receive():
            await anyio.sleep(60)

        from starlette.requests import Request

        scope = {"type": "http", "method": "POST", "path": "/api/derive", "query_string": b"",
                 "headers": [(b"content-type", b"application/json")]}
        return await server._read_json(Request(scope, receive))

    server_timeout = server.BODY_TIMEOUT
    try:
        server.BODY_TIMEOUT = 0.2
        with pytest.raises(jobs.JobError) as e:
            anyio.run(scenario)
    finally:
        server.BODY_TIMEOUT = server_timeout
    assert e.value.status == 408 and "did not arrive" in e.value.message


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/nothing", 404), ("POST", "/nothing", 405), ("GET", "/api/derive", 405),
    ("TRACE", "/api/derive", 405), ("DELETE", "/", 405), ("POST", "/", 405),
    ("PUT", "/app.js", 405), ("GET", "/katex/none.js", 404),
])
def test_every_refusal_is_the_json_error_object(client, method, path, status):
    assert_json_error(client.request(method, path), status)


def test_every_api_error_status_is_the_json_error_object(client):
    assert_json_error(post(client, {"expression": "x", "padding": "a" * MAX_BODY}), 413)
    assert_json_error(post(client, {"expression": 1}), 400)
    r = client.post("/api/derive", content=b"[", headers={"content-type": "application/json"})
    assert_json_error(r, 400)
    r = client.post("/api/derive", content=b"{}", headers={"content-type": "text/plain"})
    assert_json_error(r, 415)


def test_static_page(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="expression"' in r.text and "app.js" in r.text and "katex.min.js" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("/app.js", "/style.css", "/examples.json", "/favicon.svg",
                 "/katex/katex.min.js"):
        assert client.get(path).status_code == 200, path
    assert client.get("/nothing-here").status_code == 404
    assert client.get("/%2e%2e/server.py").status_code == 404


def test_foreign_host_names_are_refused():
    with TestClient(create_app(allowed_hosts=["testserver"])) as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400


# ---- the command line ---------------------------------------------------------------------------

def test_serve_subcommand(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["serve", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "matdiff serve" in out and "--port" in out and "127.0.0.1" in out


def test_an_expression_named_serve_still_derives():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(["--json", "--", "serve"]) == 0
    assert json.loads(buf.getvalue())["results"][0]["wrt"] == "serve"


def test_import_matdiff_stays_light():
    code = ("import sys, matdiff, matdiff.cli, matdiff.web.jobs; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'anyio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": ":".join(sys.path)})
    assert out.stdout.strip() == "[]"


def test_latex_is_detected(client):
    r = client.post("/api/derive", json={"expression": r"\frac1N \left\|XW-Y\right\|_{\text{F}}^2",
                                          "wrt": ["W"]})
    assert r.status_code == 200
    assert r.json()["results"][0]["text"] == "2/N * X'*(X*W - Y)"
