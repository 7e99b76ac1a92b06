"""lambda_platform reads a REPORT line of Lambda's usual shape (lambda_platform._REPORT) from the pattern's
groups and its last group's words: the same values as each column's label regex, on crafted lines (and the
regexes elsewhere)."""

from __future__ import annotations

import duckdb

from conftest import classified_rows
from loglake.sql_quoting import sql_string
from loglake.transform import etl
from loglake.transform.parsers.base import LINE
from loglake.transform.parsers.lambda_platform import LambdaPlatformParser

_ID = "06e46194-f277-454e-88d3-1dd7e3860eaa"
_REPORT = f"REPORT RequestId: {_ID}\tDuration: 9.14 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\t"
_LINES = [
    _REPORT + "Max Memory Used: 36 MB\t",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 190.62 ms\t",
    _REPORT + "Max Memory Used: 36 MB\t\n",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 190.62 ms\t\r\n",
    _REPORT
    + "Max Memory Used: 36 MB\t\nXRAY TraceId: 1-636d1462-33ef1060\tSegmentId: 7ccb4860675ee485\tSampled: true\t\n",
    _REPORT + "Max Memory Used: 36 MB",
    _REPORT + "Max Memory Used: 36 MB\tRestore Duration: 5 ms\tBilled Restore Duration: 6 ms\t",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 1 ms\tInit Duration: 2 ms\t",
    _REPORT.replace(_ID, _ID.upper()) + "Max Memory Used: 36 MB\t",
    _REPORT.replace(_ID, "Version:1") + "Max Memory Used: 36 MB\t",
    _REPORT.replace(_ID, "ü✓") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("Duration: 9.14", "Duration:  9.14") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("Duration: 9.14", "Duration: ..") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("Billed Duration: 10", "Billed Duration: 10.5") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("Billed Duration: 10", "Billed Duration: ") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("\tDuration", " Duration") + "Max Memory Used: 36 MB\t",
    _REPORT.replace("128", "-") + "Max Memory Used: 36 MB\t",
    _REPORT + "Max Memory Used: 99999999999999999999 MB\t",
    _REPORT.replace("\t", "    ") + "Max Memory Used: 36 MB    ",
    "REPORT RequestId: \tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 1 MB\tMax Memory Used: 1 MB\t",
    f"START RequestId: {_ID} Version: $LATEST\n",
    f"END RequestId: {_ID}\n",
    "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:x\n",
    "XRAY TraceId: 1-636d1462-33ef1060\tSegmentId: 7ccb4860675ee485\tSampled: false\t",
    "",
    # The last group's words (memory, max memory, init duration): spacing, ends and digits around them.
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 190.62 ms",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 190.62 ms\t\t",
    _REPORT + "Max Memory Used:  36 MB\t",
    _REPORT + "Max Memory Used: 36 MB \t",
    _REPORT.replace("Memory Size: 128", "Memory Size: 1 28") + "Max Memory Used: 36 MB\t",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: 1.5 ms\tX",
    _REPORT + "Max Memory Used: \uff13\uff16 MB\t",
    _REPORT + "Max Memory Used: 36 MB\r\tInit Duration: 1.5 ms\t",
    _REPORT.replace("Duration: 9.14", "Duration: ") + "Max Memory Used: 36 MB\t",
    _REPORT + "Max Memory Used: 36 MB\tInit Duration: . ms\t",
    _REPORT + "Max Memory Used: 0 MB\tInit Duration: 0 ms\t",
    _REPORT.replace("Memory Size: 128 MB", "Memory Size: 128 MB\tMemory Size: 256 MB") + "Max Memory Used: 36 MB\t",
]
_OLD_COLUMNS = {  # each column's label regex over the line, as before the split
    "type": r"^(START|END|REPORT|INIT_START|INIT_REPORT|XRAY) ",
    "request_id": r"RequestId:\s*(\S+)",
    "version": r"Version:\s*(\S+)",
    "duration_ms": r"(?:^|\s)Duration:\s*([0-9.]+) ms",
    "billed_duration_ms": r"Billed Duration:\s*([0-9.]+) ms",
    "memory_size_mb": r"Memory Size:\s*([0-9]+) MB",
    "max_memory_used_mb": r"Max Memory Used:\s*([0-9]+) MB",
    "init_duration_ms": r"Init Duration:\s*([0-9.]+) ms",
    "xray_trace_id": r"XRAY TraceId:\s*(\S+)",
    "segment_id": r"SegmentId:\s*(\S+)",
    "sampled": r"Sampled:\s*(\S+)",
    "runtime_version": r"Runtime Version:\s*([^\s]+)",
}


def test_report_split_at_tabs_gives_each_label_regex_s_value() -> None:
    parser = LambdaPlatformParser()
    con = duckdb.connect()
    classified_rows(con, parser.name, parser.table, _LINES)
    plan = parser.plan(con, 5)
    assert [f.path[0] for f in plan.fields] == list(_OLD_COLUMNS)
    new = ", ".join(f.expression for f in plan.fields)
    after = con.execute(
        f"SELECT {new}, __ll_lambda_platform_cut.request_id <> '' FROM ({etl.staged_rows(parser.name, parser.table, plan)}) "
        "ORDER BY i"
    ).fetchall()
    line = LINE.format(m="message")
    old = ", ".join(
        f"TRY_CAST(nullif(nullif(regexp_extract({line}, {sql_string(pattern)}, 1), ''), '-') AS {f.type})"
        for f, pattern in zip(plan.fields, _OLD_COLUMNS.values(), strict=True)
    )
    before = con.execute(f"SELECT {old} FROM classified ORDER BY i").fetchall()
    assert len(after) == len(_LINES) == 37
    assert [row[:-1] for row in after] == before
    # The groups served the usual REPORT lines, a duration of dots and a fractional billed duration (their
    # columns NULL or the number, as the regex's), a memory past BIGINT (NULL), an init duration of a dot and
    # zeros; the regexes the rest.
    assert [i for i, row in enumerate(after) if row[-1]] == [0, 1, 2, 3, 12, 13, 17, 34, 35]
    assert after[34][7] is None and after[35][5:8] == (128, 0, 0.0)
    assert after[1][:-1] == ("REPORT", _ID, None, 9.14, 10.0, 128, 36, 190.62, None, None, None, None)
    assert after[0][7] is None and after[4][8:11] == ("1-636d1462-33ef1060", "7ccb4860675ee485", True)
    assert [row[1] for row in after][8:11] == [_ID.upper(), "Version:1", "ü✓"]


def test_a_null_line_takes_the_regexes() -> None:
    """The cut's groups are NULL on a NULL line: the columns test `<> ''`, so it takes the label regexes
    (all NULL), as the old `cut IS NULL` did, rather than the REPORT branch's constant type."""
    parser = LambdaPlatformParser()
    plan = parser.plan(None, 5)
    rows = f"SELECT NULL::VARCHAR AS {parser.struct_column}"
    for name, expression in plan.derived.items():
        rows = f"SELECT *, {expression} AS {name} FROM ({rows})"
    values = duckdb.connect().execute(f"SELECT {', '.join(f.expression for f in plan.fields)} FROM ({rows})").fetchall()
    assert values == [(None,) * 12]
