"""Classification that keeps the likely format's regex groups (transform/likely_format.py) gives every line
the parser and the reason the plain CASE gives, and the groups the write would have extracted."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import PARSER_EXAMPLES, write_messages
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.sql_quoting import sql_string
from loglake.transform import etl, likely_format, session
from loglake.transform.parsers import PARSERS, logfmt
from loglake.transform.parsers.base import LINE, RegexParser
from loglake.transform.settings import EtlSettings, Route

T = TypeVar("T")
ELIGIBLE = [p.name for p in PARSERS if likely_format.eligible(p)]
BY_NAME = {p.name: p for p in PARSERS}

APIGW = (
    '198.51.100.7 - - [28/Nov/2026:10:15:01 +0000] "GET /pets HTTP/1.1" 200 512 '
    "c6af9ac6-7b61-11e6-9a41-93e8deadbeef Dv0HJFmLoAMFp_w="
)
"""API Gateway's CLF line: access_log's pattern matches it too, and apigateway_access_log, earlier, claims it."""
SYSLOG_ACCESS = '<13>1 - - [26/Nov/2026:10:00:00 +0000] "GET - HTTP/1.1" 200 5'
"""A line whose pattern rfc5424 matches (the tag `[26/Nov/2026:10:00:00`, the structured data `-`), and that
access_log, earlier, claims."""
BSD = "<34>Nov 26 10:00:00 web-1 sshd[42]: Accepted publickey"
SYSLOG_5424 = "<34>1 2026-11-26T10:00:00Z mymachine su 42 ID47 - 'su root' failed"
"""A line rfc5424 claims whose first characters pass rfc3164's guard too."""
LINES = [*PARSER_EXAMPLES, APIGW, SYSLOG_ACCESS, SYSLOG_5424, "", "\n", "plain words", '  [x] "y"']


def in_new_thread(fn: Callable[[], T]) -> T:
    """Run with a connection of a fresh thread (session.py keeps one per thread)."""
    out: list[T] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def _classify(
    lines: list[str],
    likely: str | None,
    settings: EtlSettings,
    monkeypatch: pytest.MonkeyPatch,
    duplicate: bool = False,
) -> tuple[list[tuple[Any, ...]], etl.Classified, dict[str, list[tuple[Any, ...]]]]:
    """classify_lines over `lines` (event i: id e<i>, group /g/<i mod 3>) with `likely` as the guess:
    (event, format, reason, table) per event, the result, and per eligible parser its rows' groups as
    classified holds them (column) and as its plan's staging extracts them (staged)."""
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1 if likely else 10**9)  # the likely path, or not
    monkeypatch.setattr(likely_format, "guess", lambda messages: likely)
    ids = [*range(len(lines)), *([0, 1] if duplicate else [])]  # a copy of e0 and e1 after the rest

    def run() -> tuple[list[tuple[Any, ...]], etl.Classified, dict[str, list[tuple[Any, ...]]]]:
        prepared = session.acquire(None)
        con = prepared.con
        try:
            rows = ", ".join(
                f"('/g/{i % 3}', 's', 'e{i}', {1_800_000_000_000 + i}, NULL, {sql_string(lines[i])}, 'file', NULL)"
                for i in ids
            )
            con.execute(
                "CREATE TEMP TABLE raw_lines AS SELECT * FROM (VALUES " + rows + ") AS t(log_group, log_stream, "
                "event_id, timestamp, ingestion_time, message, source, message_b64)"
            )
            result = etl.classify_lines(con, "k", settings)
            classified = con.execute(
                "SELECT event_id, format, __ll_reason, __ll_table FROM classified ORDER BY event_id"
            ).fetchall()
            groups = {}
            if likely:
                parser = BY_NAME[likely]
                # What the write extracts without the kept column: the groups, or logfmt's pairs.
                staged = parser.staged("message") if isinstance(parser, RegexParser) else logfmt._pair_lists("message")
                column = likely_format.column(likely)
                groups["column"] = con.execute(
                    f"SELECT event_id, {column} FROM classified WHERE {column} IS NOT NULL ORDER BY event_id"
                ).fetchall()
                groups["staged"] = con.execute(
                    f"SELECT event_id, {staged} FROM classified WHERE format = {sql_string(likely)} ORDER BY event_id"
                ).fetchall()
                if likely == "logfmt":  # its plan's pairs, from the message, then (message blanked) from the column
                    mapped = logfmt._pair_lists("message")
                    groups["map"] = con.execute(
                        f"SELECT rowid, {mapped} FROM classified WHERE format = 'logfmt' ORDER BY rowid"
                    ).fetchall()
                    con.execute("UPDATE classified SET message = '' WHERE format = 'logfmt'")
                    staging = parser.plan(con, 5).staging
                    groups["planned"] = con.execute(
                        f"SELECT rowid, {staging[logfmt._MAP]} FROM classified WHERE format = 'logfmt' ORDER BY rowid"
                    ).fetchall()
            return classified, result, groups
        finally:
            session.release(prepared, failed=True)

    return in_new_thread(run)


def test_lines_two_parsers_match_are_meaningful() -> None:
    """The mixed lines below do what the tests rely on: an earlier parser claims a line the likely one matches."""
    import re

    access = BY_NAME["access_log"]
    rfc5424 = BY_NAME["syslog_rfc5424"]
    assert isinstance(access, RegexParser) and isinstance(rfc5424, RegexParser)
    assert re.fullmatch(access.pattern, APIGW)
    assert re.fullmatch(access.pattern, SYSLOG_ACCESS) and re.fullmatch(rfc5424.pattern, SYSLOG_ACCESS)
    assert [p.name for p in PARSERS].index("access_log") < [p.name for p in PARSERS].index("syslog_rfc5424")
    assert SYSLOG_5424.startswith("<")  # passes rfc3164's guard; its pattern then fails
    # access_log, API Gateway's CLF, the load balancers' and S3 plan string cuts of the line, CloudFront's
    # real-time logs a tab split, nginx's and MySQL's errors, MySQL's general log and RDS PostgreSQL a cut after
    # the pattern's prefix, httpd's errors and MySQL's slow queries a cut of their usual shape, BSD syslog a cut
    # after a one-pass head of its usual line, not the regex groups: not eligible.
    assert len(ELIGIBLE) == 3 and {"syslog_rfc5424", "logfmt"} <= set(ELIGIBLE)
    lines = {
        "syslog_rfc3164",
        "cloudfront",
        "cloudfront_realtime",
        "access_log",
        "alb",
        "alb_connection",
        "elb_classic",
        "s3_access_log",
    }
    lines |= {"apigateway_access_log", "nginx_error", "mysql_error", "apache_error", "mysql_slow", "mysql_general"}
    lines |= {"rds_postgresql"}
    assert not lines & set(ELIGIBLE)


@pytest.mark.parametrize("likely", ELIGIBLE)
def test_each_likely_parser_leaves_every_line_s_parser_and_reason(likely: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = EtlSettings()
    plain, plain_result, _ = _classify(LINES, None, settings, monkeypatch)
    fast, fast_result, groups = _classify(LINES, likely, settings, monkeypatch)
    assert fast == plain
    assert fast_result.counts == plain_result.counts == {0: (len(LINES), len(LINES))}
    assert (plain_result.staged, fast_result.staged) == (None, likely)
    claimed = [event for event, fmt, _reason, _table in fast if fmt == likely]
    assert claimed, likely  # the likely parser claims some line here
    # The kept groups are what the parser's plan would extract, on exactly the rows it claimed.
    assert [event for event, _ in groups["column"]] == claimed
    assert groups["column"] == groups["staged"]
    if likely == "logfmt":  # its plan made the same map from the kept pairs
        assert groups["planned"] == groups["map"] and len(groups["map"]) == len(claimed)


def test_an_earlier_parser_still_claims_a_line_the_likely_one_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, result, groups = _classify([SYSLOG_5424, SYSLOG_ACCESS], "syslog_rfc5424", EtlSettings(), monkeypatch)
    assert [(event, fmt) for event, fmt, _r, _t in fast] == [("e0", "syslog_rfc5424"), ("e1", "access_log")]
    assert [event for event, _ in groups["column"]] == ["e0"]  # the access-log line keeps no groups
    assert result.staged == "syslog_rfc5424"


def test_a_forced_route_and_duplicates_keep_every_line_s_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    """A route forcing syslog_rfc5424 on /g/1 (others' lines there are format_mismatch), and two duplicate events:
    the de-duplication classifies again without the kept groups' column."""
    settings = EtlSettings(routes=(Route("/g/1", format="syslog_rfc5424"),))
    plain, plain_result, _ = _classify(LINES, None, settings, monkeypatch, duplicate=True)
    fast, fast_result, _ = _classify(LINES, "syslog_rfc5424", settings, monkeypatch, duplicate=True)
    assert fast == plain
    assert fast_result.counts == plain_result.counts == {0: (len(LINES) + 2, len(LINES))}
    reasons = [reason for _e, _f, reason, _t in fast]
    assert reasons.count("format_mismatch") > 10


def test_the_guess_is_the_format_most_sampled_lines_match() -> None:
    httpd = "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties"
    nginx = "2026/11/26 10:00:00 [error] 12#0: *5 open() failed"
    assert likely_format.guess([SYSLOG_5424, SYSLOG_5424]) == "syslog_rfc5424"
    assert likely_format.guess([SYSLOG_5424 + "\n", None]) == "syslog_rfc5424"
    assert likely_format.guess(["a=1 b=2", SYSLOG_5424]) == "syslog_rfc5424"  # a tie: the earlier parser in PARSERS
    assert likely_format.guess([BSD, BSD]) is None  # its plan cuts the line after a one-pass head: not eligible
    assert likely_format.guess([httpd, httpd]) is None  # its plan cuts the line's usual shape: not eligible
    assert likely_format.guess([nginx, nginx]) is None  # its plan cuts the line after the prefix: not eligible
    assert likely_format.guess(["a=1 b=2", "a=1 a=2"]) == "logfmt"  # the second: a repeated key, not logfmt
    assert likely_format.guess([APIGW, APIGW]) is None  # its plan cuts the line (and access_log's): not eligible
    assert likely_format.guess(['{"a": 1}', "plain words"]) is None  # JSON and text: no regex format
    assert likely_format.guess([]) is None


def test_the_likely_path_extracts_each_line_once_and_the_write_reuses_it() -> None:
    parser = BY_NAME["syslog_rfc5424"]
    assert isinstance(parser, RegexParser)
    sql = etl._classify_sql(EtlSettings(), frozenset(), "syslog_rfc5424")
    pattern = sql_string(parser.pattern)[1:-1]
    assert sql.count(pattern) == 2  # the extraction, and the constant test of an empty line
    assert "regexp_full_match(rtrim" not in sql.split("THEN 'syslog_rfc5424'")[0].rsplit("WHEN", 1)[1]
    line = LINE.format(m="message")
    assert f"regexp_full_match({line}, {sql_string(parser.pattern)})" in etl._classify_sql(EtlSettings(), frozenset())
    plans = {"syslog_rfc5424": parser.plan(None, 1)}
    assert list(plans["syslog_rfc5424"].staging) == ["__ll_syslog_rfc5424"]
    assert likely_format.reuse(plans, "syslog_rfc5424")["syslog_rfc5424"].staging == {}
    assert likely_format.reuse(plans, None) == plans


EDGES = {
    "syslog_rfc5424": SYSLOG_5424,
    "logfmt": 'ts=2026-11-26T10:00:00Z level=warn n=1 note="say \\"hi\\""',
}


@pytest.mark.parametrize("likely", sorted(EDGES))
def test_a_large_object_s_clean_rows_are_those_of_the_plain_path(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, likely: str
) -> None:
    """The whole ETL, the likely path on (every object counts as large) and off: the same clean rows."""
    messages = [EDGES[likely], *LINES[:-4], *(LINES[4:40] * 3), EDGES[likely]]  # the guess: the first and last
    write_messages(lake.store, "/mixed", messages)
    [key] = list(list_raw_objects(lake.store))
    outcome = []
    reused: list[str | None] = []
    reuse = likely_format.reuse
    monkeypatch.setattr(likely_format, "reuse", lambda plans, name: reused.append(name) or reuse(plans, name))
    for large in (True, False):
        monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1 if large else 10**9)

        def run() -> tuple[Any, ...]:
            result = etl.process_raw_object(lake.store, key, EtlSettings(), force=True)
            prepared = session.acquire(None)
            try:
                rows = {
                    table.name: prepared.con.execute(
                        "SELECT * EXCLUDE (raw_object) FROM read_parquet("
                        f"{sql_string(str(table / '**' / '*.parquet'))}, union_by_name = true, "
                        "hive_partitioning = false) ORDER BY event_id"
                    ).fetchall()
                    for table in sorted((lake.store.root / "clean").iterdir())
                }
            finally:
                session.release(prepared, failed=True)
            return result.manifest.quarantine_reasons, result.manifest.tables, rows

        outcome.append(in_new_thread(run))
    assert outcome[0] == outcome[1]
    assert reused == [likely, None]  # the write read the kept groups in the first run
    reasons, tables, rows = outcome[0]
    assert sum(len(r) for r in rows.values()) + sum(reasons.values()) == len(messages)
    assert tables["syslog" if likely == "syslog_rfc5424" else "logs"] >= 2 and len(tables) > 10


def test_a_batch_of_logfmt_objects_on_the_likely_path_writes_what_each_writes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """logfmt's plan reads the kept pairs from the rows of `classified` (no table of its own): planned per object
    and then over the batch, each object's clean rows are those of a run of its own, likely path or not."""
    from loglake.lake.open import open_lake
    from loglake.transform.etl_batch import process_raw_objects

    first = ['a=1 b="x y" c=true', "a=2 b= c=false d=-", EDGES["logfmt"], "plain words", 'a=1 b="x y" c=true']
    second = ['ts=2026-11-26T10:00:00Z level=warn msg="naïve café" n=7', "n=8 msg= level=error", "n=1 n=2"]
    rows = []
    plan, staged = logfmt.LogfmtParser.plan, []
    monkeypatch.setattr(logfmt.LogfmtParser, "plan", lambda *a: staged.append(made := plan(*a)) or made)
    for large, together in ((True, True), (True, False), (False, True)):
        monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1 if large else 10**9)
        lake = open_lake(str(tmp_path / f"{large}-{together}"))
        write_messages(lake.store, "/a", first)
        write_messages(lake.store, "/b", second)
        keys = sorted(list_raw_objects(lake.store))

        def run(lake: Lake = lake, keys: list[str] = keys, together: bool = together) -> list[tuple[Any, ...]]:
            if together:
                results = process_raw_objects(lake.store, keys, EtlSettings())
            else:
                results = [etl.process_raw_object(lake.store, key, EtlSettings()) for key in keys]
            assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(5, 0), (3, 0)]
            prepared = session.acquire(None)
            try:
                found: list[tuple[Any, ...]] = prepared.con.execute(
                    "SELECT * EXCLUDE (raw_object, ingestion_time) FROM read_parquet("  # ingestion: the run's clock
                    f"{sql_string(str(lake.store.root / 'clean' / '**' / '*.parquet'))}, union_by_name = true, "
                    "hive_partitioning = false) ORDER BY log_group, event_id"
                ).fetchall()
            finally:
                session.release(prepared, failed=True)
            return found

        rows.append(in_new_thread(run))
    assert rows[0] == rows[1] == rows[2]
    assert len(rows[0]) == 8
    # Planned per object, over the batch and again in the two passes its differing keys ask for, then each
    # object alone: the kept lists; then, off the likely path, the extracted pairs.
    kept = {logfmt._MAP: logfmt.KEPT}
    assert [p.staging == kept for p in staged] == [True] * 7 + [False] * 5
