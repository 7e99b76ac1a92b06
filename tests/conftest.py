"""Shared fixtures: a fresh lake per test, and helpers that run the real pipeline stages on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loglake.lake.open import Lake, open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.etl import EtlResult
from loglake.transform.settings import EtlSettings

EVENTS = Path(__file__).parent / "events"


def load_event(name: str) -> dict[str, Any]:
    """A real AWS payload from tests/events (see ATTRIBUTION.md)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return open_lake(str(tmp_path / "lake"))


Ingest = Callable[..., list[EtlResult]]


@pytest.fixture
def ingest_lines(lake: Lake, tmp_path: Path) -> Ingest:
    """Write bytes to a log file, ingest it, run the ETL on what is pending; return the ETL results."""
    counter = iter(range(1_000_000))

    def run(
        data: bytes, *, name: str | None = None, log_group: str = "/test/app", settings: EtlSettings | None = None
    ) -> list[EtlResult]:
        path = tmp_path / (name or f"input-{next(counter)}.log")
        path.write_bytes(data)
        FileSource(lake.store, FileSourceOptions(log_group=log_group)).ingest(str(path))
        return run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)

    return run


@pytest.fixture
def query(lake: Lake) -> Callable[[str], list[tuple[Any, ...]]]:
    def run(sql: str) -> list[tuple[Any, ...]]:
        with DuckDBEngine(lake.store) as engine:
            return engine.query(sql).rows

    return run
