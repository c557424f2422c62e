"""pyevent's wsgi server on the library's evhttp, fetched with http.client from a thread."""

import http.client
import json
import os
import signal
import socket
import sys
import threading

import pytest

import rel
import rel.core
from rel.evhttp import HTTP_NOTFOUND, HTTP_OK, wsgi

pytestmark = pytest.mark.skipif(not hasattr(rel.core._lib, "evhttp_new"),
                                reason=f"{rel.core.LIBRARY_PATH} has no evhttp")


@pytest.fixture
def server(backend):
    srv = wsgi("127.0.0.1", 0)
    yield srv
    srv.close()


@pytest.fixture
def fetch(server, run):
    """fetch(client): runs client(connection) on a thread while the loop serves; returns its result."""

    def fetch(client, limit=5.0):
        out = {}

        def work():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=limit)
            try:
                out["result"] = client(conn)
            except BaseException as exc:
                out["error"] = exc
            finally:
                conn.close()
                rel.abort()

        worker = threading.Thread(target=work)
        worker.start()
        try:
            run(limit)
        finally:
            worker.join()
        if "error" in out:
            raise out["error"]
        return out["result"]

    return fetch


def _get(path, headers=None):
    def client(conn):
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.reason, dict(resp.getheaders()), resp.read()

    return client


ENVIRON_KEYS = ("REQUEST_METHOD", "REMOTE_HOST", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "SERVER_NAME",
                "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE", "CONTENT_LENGTH",
                "HTTP_X_TOKEN", "HTTP_HOST")


def show_environ(environ, start_response):
    """The environ's CGI keys as JSON, plus what wsgi.input held."""
    shown = {k: environ.get(k) for k in ENVIRON_KEYS}
    shown["wsgi.version"] = list(environ["wsgi.version"])
    shown["wsgi.url_scheme"] = environ["wsgi.url_scheme"]
    stream = environ["wsgi.input"]
    shown["first line"] = stream.readline().decode()
    shown["rest"] = [line.decode() for line in stream.readlines()]
    shown["errors"] = environ["wsgi.errors"] is sys.stderr
    body = json.dumps(shown).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("X-App", "environ")])
    return [body]


def test_get_with_query(server, fetch):
    server.register_app("/env/x y", show_environ)
    status, reason, headers, body = fetch(_get("/env/x%20y?a=1&b=two", {"X-Token": "t0k", "Host": "example.org:8080"}))
    assert (status, reason) == (200, "OK")
    assert headers["Content-Type"] == "application/json" and headers["X-App"] == "environ"
    assert int(headers["Content-Length"]) == len(body)
    env = json.loads(body)
    assert env["REQUEST_METHOD"] == "GET"
    assert (env["SCRIPT_NAME"], env["PATH_INFO"], env["QUERY_STRING"]) == ("", "/env/x y", "a=1&b=two")
    assert env["REQUEST_URI"] == "/env/x%20y?a=1&b=two"
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.org", "8080")
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == env["REMOTE_HOST"] == "127.0.0.1" and 0 < int(env["REMOTE_PORT"]) < 65536
    assert env["HTTP_X_TOKEN"] == "t0k" and env["HTTP_HOST"] == "example.org:8080"
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("", "")
    assert env["first line"] == "" and env["rest"] == []
    assert env["wsgi.version"] == [1, 0] and env["wsgi.url_scheme"] == "http" and env["errors"]


def test_host_without_port_no_host_and_protocol_1_0(server, fetch):
    server.register_default_app(show_environ)

    def raw(request):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(request)
            data = b""
            while True:  # HTTP/1.0: the server closes after the reply
                piece = sock.recv(65536)
                if not piece:
                    return data
                data += piece

    def client(conn):
        return [raw(b"GET /plain HTTP/1.0\r\nHost: plain.test\r\n\r\n"), raw(b"GET /bare HTTP/1.0\r\n\r\n")]

    replies = []
    for reply in fetch(client):
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].split(b" ", 1)[1] == b"200 OK"
        replies.append(json.loads(body))
    assert [(env["SERVER_NAME"], env["SERVER_PORT"]) for env in replies] == [
        ("plain.test", "80"), ("127.0.0.1", str(server.port))]
    assert [env["SERVER_PROTOCOL"] for env in replies] == ["HTTP/1.0"] * 2


def test_post_with_body(server, fetch):
    server.register_app("/submit", show_environ)

    def client(conn):
        conn.request("POST", "/submit", body=b"line one\nline two\nthree", headers={"Content-Type": "text/plain"})
        resp = conn.getresponse()
        return resp.status, resp.read()

    status, body = fetch(client)
    assert status == 200
    env = json.loads(body)
    assert env["REQUEST_METHOD"] == "POST"
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("text/plain", "23")
    assert env["first line"] == "line one\n" and env["rest"] == ["line two\n", "three"]


def test_streamed_reply_is_chunked(server, fetch):
    closed = []

    class Body:
        def __iter__(self):
            yield b"second "
            yield b""
            yield b"third"

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        write = start_response("201 Created", [("X-Streamed", "yes")])
        write(b"first ")
        return Body()

    server.register_app("/stream", app)
    status, reason, headers, body = fetch(_get("/stream"))
    assert (status, reason, body) == (201, "Created", b"first second third")
    assert headers["Transfer-Encoding"] == "chunked" and headers["X-Streamed"] == "yes"
    assert closed == [True]


def test_big_bodies_both_ways_and_head(server, fetch):
    def echo(environ, start_response):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"] or 0))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (body[i:i + 65536] for i in range(0, len(body), 65536))  # streamed

    def sized(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return [b"sized"]

    server.register_app("/echo", echo)
    server.register_app("/sized", sized)
    payload = bytes(range(256)) * 4096  # 1 MiB

    def client(conn):
        conn.request("POST", "/echo", body=payload)
        resp = conn.getresponse()
        echoed = resp.status, resp.getheader("Transfer-Encoding"), resp.read()
        conn.request("HEAD", "/sized")
        resp = conn.getresponse()
        return echoed, (resp.status, resp.getheader("Content-Length"), resp.read())

    echoed, head = fetch(client)
    assert echoed[:2] == (200, "chunked") and echoed[2] == payload
    assert head == (200, "5", b"")


def test_routes_default_and_unregister(server, fetch):
    def named(name):
        def app(environ, start_response):
            start_response("200 OK", [])
            return [name.encode() + b" " + environ["PATH_INFO"].encode()]

        return app

    server.register_app("/a", named("a"))
    server.register_app("/b", named("b"))

    def client(conn):
        out = []
        for path in ("/a", "/b?q", "/c"):
            conn.request("GET", path)
            resp = conn.getresponse()
            out.append((resp.status, resp.read()))
        return out

    results = fetch(client)
    assert results[:2] == [(200, b"a /a"), (200, b"b /b")]
    assert results[2][0] == HTTP_NOTFOUND
    server.register_default_app(named("default"))
    server.unregister_app("/b")
    server.register_app("/a", named("A"))  # replaces
    assert fetch(client) == [(HTTP_OK, b"A /a"), (HTTP_OK, b"default /b"), (HTTP_OK, b"default /c")]


def test_app_exception_is_a_500_and_the_server_goes_on(server, fetch, capsys):
    def broken(environ, start_response):
        start_response("200 OK", [("X-Half", "done")])
        raise ValueError("app broke")

    def fine(environ, start_response):
        start_response("200 OK", [])
        return [b"still serving"]

    server.register_app("/broken", broken)
    server.register_app("/fine", fine)

    def client(conn):
        out = []
        for path in ("/broken", "/fine"):
            conn.request("GET", path)
            resp = conn.getresponse()
            out.append((resp.status, resp.getheader("X-Half"), resp.read()))
        return out

    results = fetch(client)
    assert results[0][:2] == (500, None)
    assert results[1] == (200, None, b"still serving")
    assert "ValueError: app broke" in capsys.readouterr().err


def test_run_stops_on_sigterm(server):
    server.register_app("/", lambda environ, start_response: start_response("200 OK", []) and [b"up"])
    got = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/")
        got.append(conn.getresponse().read())
        conn.close()
        os.kill(os.getpid(), signal.SIGTERM)

    fired = []
    guard = threading.Timer(5, lambda: fired.append(rel.abort()))
    guard.start()
    worker = threading.Thread(target=client)
    worker.start()
    try:
        server.run()
    finally:
        guard.cancel()
        worker.join()
    assert got == [b"up"] and fired == []


def test_close_and_init_free_the_server(backend):
    srv = wsgi("127.0.0.1", 0)
    port = srv.port
    srv.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    srv = wsgi("127.0.0.1", 0)
    assert srv.pending()
    rel.init()
    assert srv.ptr is None and not srv.pending()
    with pytest.raises(ValueError):
        srv.register_app("/", show_environ)


def test_close_from_an_app(server, fetch, run):
    def last(environ, start_response):
        server.close()  # takes effect once this reply is out
        start_response("200 OK", [])
        return [b"bye"]

    server.register_app("/last", last)
    assert fetch(_get("/last"))[3] == b"bye"
    run()  # the client's abort() may come first; then nothing but the closing is left
    assert server.ptr is None and not server.pending()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_busy_port_is_an_error(server):
    with pytest.raises(OSError):
        wsgi("127.0.0.1", server.port)


def test_through_override(server, fetch):
    saved = sys.modules.pop("event", None)
    try:
        rel.override()
        import event

        assert event.wsgi is wsgi and event.HTTP_OK == 200 and event.EVHTTP_REQ_POST == 1
        assert event.HTTP_method2name[event.EVHTTP_REQ_HEAD] == "HEAD"
        server.register_default_app(show_environ)
        assert fetch(_get("/over"))[0] == 200
    finally:
        sys.modules.pop("event", None)
        if saved is not None:
            sys.modules["event"] = saved
