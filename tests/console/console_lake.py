"""A small lake with known counts for the console's tests, and the console served on 127.0.0.1.

Its fixtures are a pytest plugin (tests/conftest.py names it), not a conftest.py: a second conftest module would
shadow the root one for the other folders' `from conftest import ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loglake.config import Config
from loglake.console.api import Console
from loglake.console.server import Server
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

API_LINES = [
    "2026-11-28T09:00:00Z INFO boot complete",
    "2026-11-28T09:10:00Z INFO warmup done",
    "2026-11-29T10:00:00Z INFO request ok id=1",
    "2026-11-29T10:01:00Z INFO request ok id=2",
    "2026-11-29T10:02:00Z ERROR timeout talking to db",
    "2026-11-29T10:03:00Z INFO request ok id=3",
    "2026-11-29T10:04:00Z ERROR Timeout again talking to db",
    "2026-11-29T11:00:00Z INFO request ok id=4",
    "2026-11-29T11:15:00Z WARN disk almost full",
    "2026-11-29T11:30:00Z INFO request ok id=5",
]
"""/app/api: 10 clean events, 5 of them in [2026-11-29T10:00, 11:00) (3 INFO, 2 ERROR)."""
VPC_LINES = ["2026-11-29T10:30:00Z garbage one", "2026-11-29T10:31:00Z garbage two"]
"""/aws/vpc/main, forced to vpc_flow_log by a route: 2 records quarantined as format_mismatch, until the
route is removed from the configuration and they are re-driven (then 2 more clean events in logs)."""
ROUTED = EtlSettings(routes=({"log_group": "/aws/vpc/*", "format": "vpc_flow_log"},))  # type: ignore[arg-type]


def build_lake(folder: Path, lake: Lake | None = None) -> Lake:
    """The test lake, in `folder`/lake or in `lake` (an S3 lake); the log files are written to `folder`."""
    lake = lake or open_lake(str(folder / "lake"))
    for name, group, lines in (("api.log", "/app/api", API_LINES), ("vpc.log", "/aws/vpc/main", VPC_LINES)):
        path = folder / name
        path.write_text("\n".join(lines) + "\n")
        FileSource(lake.store, FileSourceOptions(log_group=group)).ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), ROUTED, workers=1)
    return lake


class Settings:
    """The configuration re-drives read: the route first, then (once a test fixes it) none."""

    def __init__(self, lake: Lake) -> None:
        self.etl = ROUTED
        self.lake = lake

    def __call__(self) -> Config:
        return Config(lake=self.lake.store.uri, lake_origin="--lake", etl=self.etl)


@pytest.fixture(scope="module")
def console_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return build_lake(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def settings(console_lake: Lake) -> Settings:
    return Settings(console_lake)


@pytest.fixture(scope="module")
def console(console_lake: Lake, settings: Settings) -> Console:
    return Console(console_lake, "duckdb", settings)


@pytest.fixture(scope="module")
def server(console: Console) -> Iterator[Server]:
    running = Server(console, "127.0.0.1", 0).start()
    yield running
    running.stop()
