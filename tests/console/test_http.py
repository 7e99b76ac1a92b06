"""The console over HTTP: the token is required everywhere, cross-site requests are refused, and the
printed URL sets the token as a SameSite=Strict cookie."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from loglake.console.launch import missing_extra
from loglake.console.server import Server
from loglake.lake.open import Lake


class Answer:
    def __init__(self, headers: Any, body: bytes) -> None:
        self.headers = headers
        self.body = body

    def read(self) -> bytes:
        return self.body


def get(
    server: Server, path: str, headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, Answer]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, Answer(response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, Answer(exc.headers, exc.read())


def test_every_request_needs_the_token(server: Server) -> None:
    for path in ("/", "/api/info", "/api/histogram", "/static/console.js"):
        status, response = get(server, path)
        assert status == 403, path
        assert b"open the URL with ?token=" in response.read()
    status, _ = get(server, "/api/info", {"x-loglake-token": "wrong"})
    assert status == 403
    status, response = get(server, "/api/info", {"x-loglake-token": server.token})
    assert status == 200
    assert json.loads(response.read())["engine"] == "duckdb"


def test_the_printed_url_sets_an_httponly_samesite_strict_cookie(server: Server) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/?token={server.token}"
    status, response = get(server, f"/?token={server.token}")
    assert status == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"loglake_token={server.token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    status, response = get(server, "/api/info", {"cookie": f"loglake_token={server.token}"})
    assert status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "http://evil.example"},
        {"host": "evil.example:80"},
    ],
)
def test_cross_site_requests_are_refused_even_with_the_token(server: Server, headers: dict[str, str]) -> None:
    body = json.dumps({"sql": "SELECT count(*) FROM logs"}).encode()
    status, response = get(server, "/api/query", {"x-loglake-token": server.token, **headers}, body)
    assert status == 403
    assert response.read().startswith(b"refused:")


def test_same_origin_requests_pass(server: Server) -> None:
    headers = {
        "x-loglake-token": server.token,
        "sec-fetch-site": "same-origin",
        "origin": f"http://127.0.0.1:{server.port}",
    }
    body = json.dumps({"sql": "SELECT count(*) AS n FROM logs"}).encode()
    status, response = get(server, "/api/query", headers, body)
    assert status == 200
    assert json.loads(response.read())["rows"] == [[10]]


def test_queries_run_in_the_read_only_sandbox(server: Server) -> None:
    for sql in ("DELETE FROM logs", "SELECT * FROM read_csv('/etc/passwd')"):
        status, response = get(
            server, "/api/query", {"x-loglake-token": server.token}, json.dumps({"sql": sql}).encode()
        )
        assert status == 400
        assert json.loads(response.read())["error"].startswith(("only read-only queries", "cannot read /etc/passwd"))


def test_without_the_console_extra_serve_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    assert missing_extra() == (
        "the console needs uvicorn, which is in loglake's 'console' extra: pip install 'loglake[console]' "
        "(in a clone: .venv/bin/pip install -e '.[console]')"
    )


def test_serve_without_the_extra_is_one_line_and_exit_1(
    run_cli: Callable[..., tuple[int, str, str]], console_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "starlette" else real(name, *a))
    code, out, err = run_cli("serve", "--lake", console_lake.store.uri, "--port", "0")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "error: the console needs starlette, which is in loglake's 'console' extra: pip install 'loglake[console]' "
        "(in a clone: .venv/bin/pip install -e '.[console]')"
    ]
