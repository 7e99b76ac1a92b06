"""`python -m loglake`."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from loglake.cli.app import main
    except ImportError as exc:  # the core (and the Lambda package) does not ship the CLI's dependencies
        sys.exit(f"loglake's command line needs the 'cli' extra: pip install 'loglake[cli]' ({exc.name} is missing)")
    main()


if __name__ == "__main__":
    run()
