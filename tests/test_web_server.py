"""``matdiff serve`` as it runs: uvicorn with matdiff's connection limits, on real sockets.

Idle or slow connections must not lock anyone out (a deadline for a request's headers, a
JSON 503 beyond the connection limit), malformed HTTP is a JSON 400, and the loopback check
knows IPv6 and 127.0.0.0/8.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time

import pytest

from matdiff.web import server
from matdiff.web.server import allowed_hosts_for, create_app, host_name, is_loopback

HEADER_TIMEOUT = 1.0
MAX_CONNECTIONS = 8


@contextlib.contextmanager
def running(host: str = "127.0.0.1", **app_options):
    """A real server on a free port, in a thread: yields the port."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    app = create_app(workers=1, **app_options)
    config = server.server_config(app, host, port, header_timeout=HEADER_TIMEOUT,
                                  max_connections=MAX_CONNECTIONS, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def port():
    with running(allowed_hosts=allowed_hosts_for("127.0.0.1")) as p:
        yield p


def request(port: int, method: str = "GET", path: str = "/", body: dict | None = None,
            host: str = "127.0.0.1", headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        data = None if body is None else json.dumps(body)
        hdrs = {"content-type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers={**hdrs, **(headers or {})})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def idle_sockets(port: int, count: int) -> list[socket.socket]:
    out = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        out.append(s)
    time.sleep(0.1)  # let the server accept them
    return out


def closed_by_server(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def wait_until_idle_closed(sockets: list[socket.socket]) -> None:
    for s in sockets:
        assert closed_by_server(s, HEADER_TIMEOUT + 3)
        s.close()


def json_error(status: int, headers: dict, body: bytes, expected: int) -> dict:
    assert status == expected
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert set(error) == {"message", "position", "kind"} and error["message"]
    return error


def test_idle_sockets_do_not_block_a_request(port):
    idle = idle_sockets(port, 5)
    try:
        start = time.monotonic()
        status, _, body = request(port, "POST", "/api/derive",
                                  {"expression": "C/2 * sum(W.^2)", "wrt": ["W"]})
        assert status == 200 and json.loads(body)["results"][0]["text"] == "C*W"
        assert request(port)[0] == 200
        assert time.monotonic() - start < 5
        wait_until_idle_closed(idle)  # and the idle ones are closed after the deadline
    finally:
        for s in idle:
            s.close()


def test_slow_headers_are_cut_off(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < HEADER_TIMEOUT + 3:
            try:
                s.sendall(b"X-Slow: 1\r\n")  # data keeps arriving, but never the end
            except OSError:
                closed = True
                break
            if closed_by_server(s, 0.2):
                closed = True
                break
        assert closed and time.monotonic() - start < HEADER_TIMEOUT + 2
    finally:
        s.close()


def test_too_many_connections_get_a_json_503_then_recover(port):
    idle = idle_sockets(port, MAX_CONNECTIONS)
    try:
        error = json_error(*request(port), 503)
        assert error["kind"] == "busy" and "too many connections" in error["message"]
        wait_until_idle_closed(idle)
        assert request(port)[0] == 200
    finally:
        for s in idle:
            s.close()


def test_a_kept_alive_connection_is_closed_when_idle(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        r = conn.getresponse()
        r.read()
        assert r.status == 200 and r.getheader("connection") != "close"
        assert closed_by_server(conn.sock, HEADER_TIMEOUT + 3)
    finally:
        conn.close()


@pytest.mark.parametrize("raw", [
    b"NOT HTTP AT ALL\r\n\r\n",
    # headers that go on past MAX_HEADERS bytes (h11 buffers at most that much of them)
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (server.MAX_HEADERS + 10),
])
def test_malformed_http_is_a_json_400(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    assert error["kind"] == "request" and "not valid HTTP" in error["message"]


def test_error_responses_of_the_running_server_are_json(port):
    json_error(*request(port, "GET", "/nothing"), 404)
    json_error(*request(port, "GET", "/api/derive"), 405)
    json_error(*request(port, "POST", "/api/derive", {"expression": "x", "pad": "a" * 20000}), 413)
    json_error(*request(port, "POST", "/api/derive", {"expression": "x'*A*x +"}), 400)
    error = json_error(*request(port, "POST", "/api/derive", {"expression": "x"},
                                headers={"host": "evil.example"}), 400)
    assert "127.0.0.1" in error["message"]


# ---- loopback ---------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "localhost",
                                  "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1",
                                  "::ffff:127.0.0.1"])
def test_loopback_addresses(host):
    assert is_loopback(host)
    allowed = allowed_hosts_for(host)
    assert allowed is not None and {"localhost", "127.0.0.1", "[::1]"} <= set(allowed)
    assert host_name(host.strip("[]")) in allowed


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "::2",
                                  "fe80::1", "128.0.0.1", "example.com", "localhost.evil.com",
                                  ""])
def test_other_addresses_are_not_loopback(host):
    assert not is_loopback(host)
    assert allowed_hosts_for(host) is None


def _main_with(monkeypatch, capsys, host: str):
    import uvicorn

    seen = {}

    def fake_run(self):
        seen["config"] = self.config

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    assert server.main(["--host", host, "--port", "8123"]) == 0
    return seen["config"], capsys.readouterr().out


@pytest.mark.parametrize("host,url", [("::1", "http://[::1]:8123/"),
                                      ("[::1]", "http://[::1]:8123/"),
                                      ("127.0.0.2", "http://127.0.0.2:8123/")])
def test_serve_on_a_loopback_address_is_private(monkeypatch, capsys, host, url):
    config, out = _main_with(monkeypatch, capsys, host)
    assert url in out and "warning" not in out
    assert config.host == host.strip("[]")
    assert config.timeout_keep_alive == server.KEEP_ALIVE
    assert config.h11_max_incomplete_event_size == server.MAX_HEADERS
    assert {"[::1]", "localhost", "127.0.0.1"} <= _allowed_hosts(config)


def test_serve_on_another_address_warns(monkeypatch, capsys):
    config, out = _main_with(monkeypatch, capsys, "0.0.0.0")
    assert "warning: listening on 0.0.0.0, not only on this machine" in out
    assert _allowed_hosts(config) is None  # an explicit --host: any Host header


def _allowed_hosts(config) -> set[str] | None:
    from matdiff.web.server import AllowedHosts

    for m in config.app.user_middleware:
        if m.cls is AllowedHosts:
            return set(m.kwargs["hosts"])
    return None


def test_a_server_on_ipv6_loopback_answers_its_own_host_name_only():
    with running("::1", allowed_hosts=allowed_hosts_for("::1")) as port:
        status, _, body = request(port, "POST", "/api/derive", {"expression": "x'*x"},
                                  host="::1")
        assert status == 200 and json.loads(body)["results"][0]["text"] == "2*x"
        for name in ("localhost", "127.0.0.1"):
            assert request(port, host="::1", headers={"host": f"{name}:{port}"})[0] == 200
        error = json_error(*request(port, host="::1", headers={"host": "evil.example"}), 400)
        assert "[::1]" in error["message"]
