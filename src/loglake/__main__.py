"""`python -m loglake`."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from loglake.cli.app import main
    except ImportError as exc:
        if exc.name not in CLI_DEPENDENCIES:
            raise  # loglake's own bug or a broken checkout: the traceback says where, a hint about pip would not
        # The Lambda artifact ships the core without the CLI's dependencies; `pip install loglake` has them.
        sys.exit(f"loglake's command line needs {exc.name}, which is not installed: pip install --upgrade loglake")
    main()


CLI_DEPENDENCIES = ("typer", "rich", "sqlglot", "click")


if __name__ == "__main__":
    run()
