"""Every parser's own examples (the EXAMPLES list in its module), run together through the real ETL:
each message must land in its parser's table, with the listed column values."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from typing import Any

import pytest

from conftest import write_messages
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import Example

CASES = [
    (parser, example) for parser in PARSERS for example in importlib.import_module(type(parser).__module__).EXAMPLES
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
        return text.rstrip("0") if "." in text else text
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    from loglake.lake.open import open_lake
    from loglake.pipeline import pending_raw_objects, run_etl
    from loglake.transform.settings import EtlSettings

    lake: Lake = open_lake(str(tmp_path_factory.mktemp("examples") / "lake"))
    write_messages(lake.store, "/test/examples", [ex.message for _p, ex in CASES])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    rows: dict[str, dict[str, Any]] = {}
    with DuckDBEngine(lake.store) as engine:
        tables = {parser.table for parser, _ex in CASES}
        for table in tables:
            result = engine.query(f'SELECT * FROM "{table}"')
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                rows[record["event_id"]] = {**record, "__table": table}
    return rows


@pytest.mark.parametrize(("parser", "example"), CASES, ids=[f"{p.name}-{i}" for i, (p, _e) in enumerate(CASES)])
def test_example(parser: Any, example: Example, parsed: dict[str, dict[str, Any]]) -> None:
    row = parsed[f"e{CASES.index((parser, example))}"]
    assert (row["__table"], row["format"]) == (parser.table, parser.name)
    assert {k: _plain(row[k]) for k in example.expected} == example.expected


def test_every_parser_has_examples() -> None:
    assert {p.name for p, _e in CASES} == {p.name for p in PARSERS}
