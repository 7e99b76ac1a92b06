"""Start the console for `loglake serve`: check that its extra is installed, print the URL, serve until Ctrl-C."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from loglake.config import Config
from loglake.errors import ConfigError
from loglake.lake.open import Lake

EXTRA = "console"
REQUIRED = ("starlette", "uvicorn")


def missing_extra() -> str | None:
    """The one line to print when the console's server packages are not installed, else None."""
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the console needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} in loglake's "
        f"{EXTRA!r} extra: "
        f"pip install 'loglake[{EXTRA}]' (in a clone: .venv/bin/pip install -e '.[{EXTRA}]')"
    )


def serve_console(
    lake: Lake,
    engine: str,
    config_loader: Callable[[], Config],
    host: str,
    port: int | None,
    open_browser: bool,
    say: Callable[[str], None],
) -> None:
    if (problem := missing_extra()) is not None:
        raise ConfigError(problem)
    from loglake.console.api import Console
    from loglake.console.server import Server

    server = Server(Console(lake, engine, config_loader), host, port)
    say(f"loglake console for {lake.store.uri} ({engine}); open this URL (it holds the access token):")
    say(f"    {server.url}")
    say("stop it with Ctrl-C")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.run()
