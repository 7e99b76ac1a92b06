"""The console's HTTP side: Starlette routes over console/api.py, served by uvicorn.

Safe by default, as Jupyter is: it binds 127.0.0.1, and every request (the page, its assets, the API) needs
the random token printed in the URL. Opening that URL once sets it as an HttpOnly, SameSite=Strict cookie
(the API also takes an `X-Loglake-Token` header). Cross-site requests are refused: a browser's
Sec-Fetch-Site must be same-origin or none, an Origin header must be this server's, and on a loopback
address the Host header must be a loopback name or the bound address (DNS rebinding cannot borrow the cookie).
"""

from __future__ import annotations

import hmac
import secrets
import socket
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from loglake.console.api import Console, parse_range
from loglake.errors import LoglakeError, QueryError

STATIC = Path(__file__).parent / "static"
COOKIE = "loglake_token"
HEADER = "x-loglake-token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


class Guard:
    """Token and same-origin checks in front of every route (ASGI middleware)."""

    def __init__(self, app: ASGIApp, token: str, loopback: bool, host: str = "127.0.0.1") -> None:
        self.app = app
        self.token = token
        self.loopback = loopback
        self.names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host}  # e.g. serve --host 127.0.0.2

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.refusal(request)
        if refusal is not None:
            await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
            return
        given = request.query_params.get("token")
        if given is not None and request.url.path == "/":  # the printed URL: keep the token as a cookie
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> str | None:
        host = request.headers.get("host", "")
        if self.loopback and host.rsplit(":", 1)[0] not in self.names:
            return f"refused: Host {host!r} is not this machine; open the URL loglake serve printed"
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return f"refused: a cross-site request ({site})"
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{host}":
            return f"refused: a request from another origin ({origin})"
        offered = request.query_params.get("token") or request.headers.get(HEADER) or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(offered.encode(), self.token.encode()):
            return "forbidden: open the URL with ?token=... that `loglake serve` printed"
        return None


def create_app(console: Console, token: str, *, loopback: bool = True, host: str = "127.0.0.1") -> ASGIApp:
    """The console's ASGI app; sync endpoints run in Starlette's thread pool, so a cancel gets through."""

    def respond(work: Any) -> Response:
        try:
            return JSON(work())
        except LoglakeError as exc:
            return JSON({"error": " ".join(str(exc).split())}, status_code=400)

    def period(request: Request) -> Any:
        return parse_range(request.query_params.get("since"), request.query_params.get("until"))

    def rid(request: Request) -> str | None:
        return request.query_params.get("rid") or None

    def index(request: Request) -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8")

    def info(request: Request) -> Response:
        return JSON({"lake": console.lake.store.uri, "engine": console.engine_kind})

    def saved(request: Request) -> Response:
        return respond(console.saved_queries)

    async def statement(request: Request, work: Callable[..., dict[str, Any]], **extra: Any) -> Response:
        """The query page's POST body (sql or saved, params, since, until) handed to `work`."""
        body = await request.json()
        return await _threaded(
            respond,
            lambda: work(
                body.get("sql"),
                body.get("saved"),
                body.get("params") or {},
                parse_range(body.get("since"), body.get("until")),
                **extra,
            ),
        )

    async def query(request: Request) -> Response:
        return await statement(request, console.run_query, request_id=rid(request))

    async def explain(request: Request) -> Response:
        return await statement(request, console.explain)

    def page(request: Request) -> Response:
        return respond(
            lambda: console.page(
                request.path_params["result_id"], whole(request.query_params.get("offset", "0"), "offset", 0)
            )
        )

    def download(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        try:
            data = console.download(request.path_params["result_id"], fmt)
        except LoglakeError as exc:
            return JSON({"error": str(exc)}, status_code=400)
        kind = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
        headers = {"content-disposition": f'attachment; filename="loglake-result.{fmt}"'}
        return Response(data, media_type=kind, headers=headers)

    def histogram(request: Request) -> Response:
        return respond(lambda: console.histogram(period(request), request.query_params.get("q") or None, rid(request)))

    def search(request: Request) -> Response:
        params = request.query_params
        return respond(
            lambda: console.search(
                params.get("q", ""),
                period(request),
                whole(params.get("limit", "100"), "limit", 1, MAX_SEARCH_ROWS),
                params.get("i") == "1",
                rid(request),
            )
        )

    def event(request: Request) -> Response:
        params = request.query_params
        return respond(
            lambda: console.event(
                params.get("table", ""),
                params.get("log_group", ""),
                params.get("log_stream", ""),
                params.get("timestamp", ""),
                params.get("message", ""),
                request_id=rid(request),
            )
        )

    def tables(request: Request) -> Response:
        return respond(console.tables)

    def quarantine(request: Request) -> Response:
        return respond(lambda: console.quarantine(period(request), request_id=rid(request)))

    async def redrive(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or "reason" not in body or "log_group" not in body:
            return JSON({"error": REDRIVE_BODY}, status_code=400)
        return await _threaded(respond, lambda: console.redrive(body["reason"], body["log_group"]))

    def health(request: Request) -> Response:
        return respond(lambda: console.health(rid(request)))

    def cancel(request: Request) -> Response:
        return JSON({"cancelled": console.cancel(request.path_params["request_id"])})

    routes = [
        Route("/", index),
        Route("/api/info", info),
        Route("/api/saved", saved),
        Route("/api/query", query, methods=["POST"]),
        Route("/api/explain", explain, methods=["POST"]),
        Route("/api/result/{result_id}", page),
        Route("/api/result/{result_id}/download.{fmt}", download),
        Route("/api/histogram", histogram),
        Route("/api/search", search),
        Route("/api/event", event),
        Route("/api/tables", tables),
        Route("/api/quarantine", quarantine),
        Route("/api/redrive", redrive, methods=["POST"]),
        Route("/api/health", health),
        Route("/api/cancel/{request_id}", cancel, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes), token, loopback, host)


REDRIVE_BODY = (
    'give the reason and log_group of one row of the counts, e.g. {"reason": "format_mismatch", '
    '"log_group": "/aws/vpc/main"} (null for an empty one)'
)
MAX_SEARCH_ROWS = 1000
"""The most matches one search page shows (all of them are counted)."""


def whole(text: str, name: str, low: int, high: int | None = None) -> int:
    """A query parameter that must be an integer in [low, high]; anything else is the request's error (400)."""
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        bounds = f"in {low}..{high}" if high is not None else f">= {low}"
        raise QueryError(f"{name}={text!r} is not a whole number {bounds}")
    return number


async def _threaded(respond: Any, work: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    result: Response = await run_in_threadpool(respond, work)
    return result


DEFAULT_PORT = 8765
PORTS_TRIED = 20
"""Without --port, as Jupyter does: 8765, or the next free one of the 20 from there."""


def bind(host: str, port: int | None) -> socket.socket:
    """The listening socket (port 0: any free port; None: DEFAULT_PORT or the next free one), made before the URL
    is printed so that the URL names the real port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    candidates = [port] if port is not None else list(range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED))
    for number in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((host, number))
        except OSError as exc:
            sock.close()
            problem = exc.strerror
            continue
        sock.listen(64)
        return sock
    from loglake.errors import ConfigError

    ports = str(port) if port is not None else f"{candidates[0]}-{candidates[-1]}"
    raise ConfigError(f"cannot listen on {host}:{ports} ({problem}); choose a free port with --port N (0: any)")


def url(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)  # noqa: S104
    return f"http://{shown}:{port}/?{urlencode({'token': token})}"


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


class Server:
    """uvicorn on a socket of our own; run() blocks (the CLI), start()/stop() run it in a thread (tests)."""

    def __init__(
        self, console: Console, host: str = "127.0.0.1", port: int | None = None, token: str | None = None
    ) -> None:
        import uvicorn

        self.token = token or new_token()
        self.host = host
        self.sock = bind(host, port)
        self.port = int(self.sock.getsockname()[1])
        self.url = url(host, self.port, self.token)
        app = create_app(console, self.token, loopback=is_loopback(host), host=host)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread: Any = None

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> Server:
        import threading
        import time

        self._thread = threading.Thread(target=self.run, name="loglake-console", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.sock.close()
