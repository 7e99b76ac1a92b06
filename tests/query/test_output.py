from __future__ import annotations

from datetime import datetime

from loglake.query.engine import QueryResult
from loglake.query.output import render

RESULT = QueryResult(
    ["service", "n", "at"],
    ["VARCHAR", "BIGINT", "TIMESTAMP"],
    [("checkout", 12, datetime(2026, 11, 26, 10, 0)), ('a,b "q"', 3, None)],
)


def test_csv() -> None:
    assert render(RESULT, "csv") == 'service,n,at\ncheckout,12,2026-11-26 10:00:00\n"a,b ""q""",3,\n'


def test_json() -> None:
    assert render(RESULT, "json") == (
        '[\n  {\n    "service": "checkout",\n    "n": 12,\n    "at": "2026-11-26T10:00:00"\n  },\n'
        '  {\n    "service": "a,b \\"q\\"",\n    "n": 3,\n    "at": null\n  }\n]\n'
    )


def test_table_aligns_and_right_justifies_numbers() -> None:
    assert render(RESULT, "table").splitlines() == [
        "service    n  at",
        "--------  --  -------------------",
        "checkout  12  2026-11-26 10:00:00",
        'a,b "q"    3',
        "(2 rows)",
    ]
