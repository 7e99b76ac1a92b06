"""Classification planned cheaper (h-order7) gives every event the parser, the reason and the table it got before:
LINE_READERS read base.LINE from one column (etl.LINE_COLUMN), each parser's `settled` subquery is its value
(etl._settled), and container_cri's guard also looks for ` std` in the first 39 characters. The old
statement is the same classify_lines with those three undone (the old guard kept here as text)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import (
    PARSER_EXAMPLES,
    every_format_lines,
    golden_messages,
)
from loglake.sql_quoting import sql_string
from loglake.transform import etl, likely_format, session
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import LINE
from loglake.transform.parsers.container_cri import ContainerCriParser
from loglake.transform.settings import EtlSettings, Route

OLD_CRI_GUARD = "substr({m}, 11, 1) = 'T' AND substr({m}, 5, 1) = '-' AND substr({m}, 20, 1) IN ('.', 'Z', '+', '-')"
"""container_cri's guard before h-order7."""

CRI_TIMES = [
    "2026-11-30T08:00:00Z",
    "2026-11-30T08:00:00.1Z",
    "2026-11-30T08:00:00.123456789Z",
    "2026-11-30T08:00:00.123456789+05:30",
    "2026-11-30T08:00:00-08:00",
    "2026-11-30T08:00:00.1234567890Z",  # ten digits: not RFC 3339 as CRI writes it
]
CRAFTED = [
    *(f"{t} stdout F hello" for t in CRI_TIMES),
    *(f"{t} stderr P part\n{t} stderr F end" for t in CRI_TIMES),
    *(f"{t} stdout F" for t in CRI_TIMES),
    *(f"{t} stdout F crlf\r\n" for t in CRI_TIMES),
    *(f"{t}  stdout F two spaces" for t in CRI_TIMES),
    *(f"{t} stdou F short" for t in CRI_TIMES),
    "2026-11-30T08:00:00.123456789+05:30 std",
    "2026-11-30T08:00:00.123456789+05:30x stdout F one past",
    "2026-11-30T08:00:00.000000Z 0 [Warning] [MY-010055] [Server] stdout F",
    "2026-11-30T08:00:00.000000Z\t    7 Query\tSELECT 1",
    "2026-11-30T08:00:00.000000+00:00 web-0 sshd[1]: stdout F",
    "2026-11-30T08:00:00Z é stdout F ü",
    "2026-11-30T08:00:00Zé stdout F",
    "é026-11-30T08:00:00Z stdout F x",
    "2026-11-30T08:00:00.123Z\t00000000-44cb-4204-8829-fda91e2feb89\tINFO\tstdout F\n",
    "2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 1 2 6 1 40 1795000000 1795000060 ACCEPT OK\r\n",
    "2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 1 2 6 1 40 1795000000 1795000060 ACCEPT OK\n\r\n",
    "2026-11-30\t08:00:00\tLAX1\t392\t192.0.2.100\tGET\td1.cloudfront.net\t/i\t200\t-\tua\t-\t-\tHit\tid\r\n",
    "tls 2.0 2026-11-30T08:00:00 net/lb/x abc 10.0.0.1:1 10.0.0.2:2 1 2 3 4 5 a b c d e f\r\n",
    'x - - [30/Nov/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5\n',
    "\n",
    "\r\n",
    "\r",
    "",
    " ",
    "x" * 70_000,
    "2026-11-30T08:00:00Z stdout F " + "y" * 70_000,
]
VPC_HEADER = "version vpc-id subnet-id srcaddr dstaddr action log-status"
CF_HEADER = "#Fields: date time c-ip sc-bytes x-edge-location cs-method"
CUSTOM = [
    VPC_HEADER,
    "5 vpc-1 subnet-2 10.0.0.1 10.0.0.2 ACCEPT OK",
    "5 vpc-1 subnet-2 10.0.0.1 10.0.0.2 ACCEPT OK\r\n",
    "5  vpc-1 subnet-2 10.0.0.1 10.0.0.2 ACCEPT OK",
    "a b c d e f g",
    "a b c d e f",
    CF_HEADER,
    "2026-11-30\t08:00:00\tLAX1\t392\t192.0.2.100\tGET",
    "2026-11-30\t08:00:00\tLAX1\t392\t192.0.2.100\tGET\r\n",
    "#Version: 1.0",
]
"""An object with a VPC flow log header and a CloudFront `#Fields` header: both parsers' `custom` is true."""


def _classified(lines: list[str], settings: EtlSettings) -> tuple[list[tuple[Any, ...]], str]:
    """(event, format, reason, table) per event of classify_lines over `lines`, and the statement it ran."""
    prepared = session.acquire(None)
    con = prepared.con
    statements: list[str] = []
    try:
        rows = ", ".join(
            f"('/g/{i % 3}', 's', 'e{i:06d}', {1_800_000_000_000 + i}, NULL, {sql_string(line)}, 'file', NULL)"
            for i, line in enumerate(lines)
        )
        con.execute(
            "CREATE TEMP TABLE raw_lines AS SELECT * FROM (VALUES " + rows + ") AS t(log_group, log_stream, "
            "event_id, timestamp, ingestion_time, message, source, message_b64)"
        )
        built = etl._classify_sql

        def recorded(*args: Any) -> str:
            statements.append(built(*args))
            return statements[-1]

        try:
            etl._classify_sql = recorded  # type: ignore[assignment]
            etl.classify_lines(con, "k", settings)
        finally:
            etl._classify_sql = built
        found = con.execute("SELECT event_id, format, __ll_reason, __ll_table FROM classified ORDER BY event_id")
        return found.fetchall(), statements[0]
    finally:
        session.release(prepared, failed=True)


def _old_and_new(
    lines: list[str], settings: EtlSettings, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], str, str]:
    new, new_sql = _classified(lines, settings)
    with monkeypatch.context() as old:
        old.setattr(etl, "LINE_READERS", frozenset())
        old.setattr(etl, "_settled", lambda con: ())
        old.setattr(ContainerCriParser, "guard", OLD_CRI_GUARD)
        etl._classify_sql.cache_clear()
        before, old_sql = _classified(lines, settings)
    etl._classify_sql.cache_clear()
    return before, new, old_sql, new_sql


@pytest.mark.parametrize("path", ["guard_pass", "likely"])
@pytest.mark.parametrize("custom", [False, True], ids=["default", "custom_headers"])
def test_every_event_keeps_its_parser_reason_and_table(
    monkeypatch: pytest.MonkeyPatch, path: str, custom: bool
) -> None:
    """Every parser's examples, the golden messages, the benchmark's lines of every format and CRAFTED (CRI
    times of each length, CR/LF ends, non-ASCII, 70,000-character lines, ISO lines of MySQL, rsyslog and
    Lambda): old and new statements, the same rows. With CUSTOM in the object, VPC and CloudFront read by
    their headers' fields (their `custom` is true: the other branch of their detection)."""
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", 10**9 if path == "guard_pass" else -1)
    monkeypatch.setattr(likely_format, "guess", lambda messages: "syslog_rfc5424" if path == "likely" else None)
    lines = [*(CUSTOM if custom else []), *PARSER_EXAMPLES, *golden_messages(), *every_format_lines(20, 29), *CRAFTED]
    old, new, old_sql, new_sql = _old_and_new(lines, EtlSettings(), monkeypatch)
    assert [row for row in new if row not in old] == []
    assert new == old
    assert len(new) == len(lines)
    formats = {row[0]: row[1] for row in new}
    assert [formats[f"e{n:06d}"] for n in range(len(lines) - len(CRAFTED), len(lines) - len(CRAFTED) + 6)] == [
        "container_cri"
    ] * 5 + ["text"]
    if custom:
        assert [formats[f"e{n:06d}"] for n in range(len(CUSTOM))] == [
            *("text", "vpc_flow_log", "vpc_flow_log", "vpc_flow_log", "vpc_flow_log", "text"),
            *("vpc_flow_log", "cloudfront", "cloudfront", "text"),  # the `#Fields` line has VPC's 7 fields
        ]
    # What changed in the statement: LINE once, the subqueries gone, the guard's extra test.
    likely = 1 if path == "likely" else 0  # syslog_rfc5424's extraction
    assert old_sql.count(LINE.format(m="message")) == 30 + likely
    assert new_sql.count(LINE.format(m="message")) == 5 + likely  # the definition; logfmt, rfc5424, MySQL slow
    assert new_sql.count(etl.LINE_COLUMN) == 25 + 2  # the 25 copies read it; its definition and its EXCLUDE
    assert "(SELECT custom FROM" in old_sql
    assert "(SELECT custom FROM" not in new_sql
    assert "contains(left(message, 39), ' std')" in new_sql


def test_a_forced_route_reads_the_same_column_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """A route that forces container_cri or vpc_flow_log tests their detection alone: the same answers."""
    settings = EtlSettings(
        routes=(Route(log_group="/g/1", format="container_cri"), Route(log_group="/g/2", format="vpc_flow_log"))
    )
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", 10**9)
    lines = [*CUSTOM, *PARSER_EXAMPLES, *CRAFTED]
    old, new, _old_sql, new_sql = _old_and_new(lines, settings, monkeypatch)
    assert new == old
    reasons = [row[2] for row in new]
    assert reasons.count("format_mismatch") > 100
    assert "(SELECT custom FROM" not in new_sql


def test_settled_reads_each_subquery_once_as_a_literal() -> None:
    """The parsers' `settled` subqueries and their values after set-up: false without headers, true with."""
    prepared = session.acquire(None)
    con = prepared.con
    try:
        for lines, value in (([PARSER_EXAMPLES[0]], "false"), ([VPC_HEADER, CF_HEADER], "true")):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT unnest($l::VARCHAR[]) AS message", {"l": lines}
            )
            for parser in PARSERS:
                for statement in parser.setup():
                    con.execute(statement)
            assert etl._settled(con) == (
                ("(SELECT custom FROM __ll_cf_fields)", value),
                ("(SELECT custom FROM __ll_vpc_fields)", value),
            )
    finally:
        session.release(prepared, failed=True)


def test_the_line_column_is_base_line_and_is_dropped() -> None:
    """LINE_COLUMN is defined once, as base.LINE of the message, and `classified` does not keep it."""
    sql = etl._classify_sql(EtlSettings(), frozenset())
    assert sql.count(f"{LINE.format(m='message')} AS {etl.LINE_COLUMN}") == 1
    assert f"EXCLUDE (__ll_parser, __ll_marked, {etl.LINE_COLUMN})" in sql
    plain, _table = etl._routing(EtlSettings())
    assert etl.LINE_COLUMN not in plain
