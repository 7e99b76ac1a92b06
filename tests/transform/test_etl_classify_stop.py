"""A large object's classification stops after the shortcut its ends are sure of (etl._stop_after): every line gets
the format, reason and table the whole CASE gives it, a line the shortened CASE leaves undecided sends the object to
the whole CASE, and routes or a wrong parser never shorten it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import benchmark_lines, benchmark_module, classified_events, classifying_connection, every_format_lines
from loglake.transform import etl, likely_format
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings, Route

HTTPD = "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access to /index{n}.html"
BSD = "<34>Oct 11 22:14:15 mymachine su[{n}]: 'su root' failed for lonvick on /dev/pts/8"
MYSQL = "2026-11-26T00:00:00.000000Z 0 [Warning] [MY-010068] [Server] CA certificate ca{n}.pem is self signed."
COLUMNS = "format, __ll_reason, __ll_table"


def _classified(lines: list[str], monkeypatch: pytest.MonkeyPatch, *, stop: bool) -> tuple[list[Any], list[Any]]:
    """classified_events over `lines` as a large object (no guard pass), with etl._stop_after as it is or answering
    None; the `upto` of each classification statement built, and the rows."""
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1)
    built, stopping = etl._classify_sql, etl._stop_after
    uptos: list[Any] = []

    def recorded(*args: Any, **kwargs: Any) -> str:
        uptos.append(kwargs.get("upto", args[5] if len(args) > 5 else None))
        return built(*args, **kwargs)

    recorded.cache_clear = built.cache_clear  # type: ignore[attr-defined]  # classified_events clears the cache

    with monkeypatch.context() as patched:
        patched.setattr(etl, "_classify_sql", recorded)
        patched.setattr(etl, "_stop_after", stopping if stop else (lambda *args: None))
        rows = classified_events(lines, likely_format.guess([lines[0], lines[-1]]), COLUMNS)
    return uptos, rows


def test_an_object_of_one_shortcut_format_is_classified_by_the_case_up_to_its_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [HTTPD.format(n=n) for n in range(40)]
    uptos, stopped = _classified(lines, monkeypatch, stop=True)
    assert uptos == ["apache_error"]  # one statement, stopped after httpd's shortcut: no line left undecided
    whole_uptos, whole = _classified(lines, monkeypatch, stop=False)
    assert whole_uptos == [None]
    assert stopped == whole == [("apache_error", None, "apache_error_logs")] * 40


def test_a_line_the_shortened_case_leaves_undecided_sends_the_object_to_the_whole_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ends are httpd lines; inside, lines of other formats (MySQL's own shortcut is not kept: no end is
    MySQL's) and a line no parser claims. The shortened CASE leaves them undecided, so the whole CASE runs."""
    inside = [MYSQL.format(n=1), '{"level": "error", "n": 1}', "a=1 b=two", "plain words", "<13>Oct 11 22:14:15 h a: b"]
    lines = [HTTPD.format(n=0), *inside, *(HTTPD.format(n=n) for n in range(1, 30))]
    uptos, stopped = _classified(lines, monkeypatch, stop=True)
    assert uptos == ["apache_error", None]
    _uptos, whole = _classified(lines, monkeypatch, stop=False)
    assert stopped == whole
    assert [row[0] for row in stopped[1:6]] == ["mysql_error", "json", "logfmt", "text", "syslog_rfc3164"]
    assert [row[0] for row in stopped].count("apache_error") == 30
    assert all(row[0] != etl.UNSURE and row[2] is not None for row in stopped)


def test_lines_decided_before_the_shortcut_keep_their_parser_without_the_whole_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BSD syslog's shortcut comes after the JSON shapes' tests (its ahead_of starts at lambda_platform): a JSON line
    inside a syslog object is decided by those tests, before the shortcut, so no second statement runs."""
    lines = [BSD.format(n=n) for n in range(20)]
    lines[7:7] = ['{"level": "warn", "n": 7}', '{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com"}']
    uptos, stopped = _classified(lines, monkeypatch, stop=True)
    assert uptos == ["syslog_rfc3164"]
    _uptos, whole = _classified(lines, monkeypatch, stop=False)
    assert stopped == whole
    assert [row[0] for row in stopped[6:10]] == ["syslog_rfc3164", "json", "cloudtrail", "syslog_rfc3164"]
    assert [row[0] for row in stopped].count("syslog_rfc3164") == 20


def test_routes_and_objects_sure_of_two_shortcuts_or_none_classify_with_the_whole_case() -> None:
    excluded: frozenset[str] = frozenset()
    assert etl._stop_after(EtlSettings(), excluded, None, frozenset({"mysql_error"})) == "mysql_error"
    assert etl._stop_after(EtlSettings(), excluded, None, frozenset({"mysql_error", "apache_error"})) is None
    assert etl._stop_after(EtlSettings(), excluded, None, frozenset()) is None
    assert etl._stop_after(EtlSettings(), excluded, None, None) is None  # ends too long to test
    routed = EtlSettings(routes=(Route(log_group="/web/*", table="web"),))
    assert etl._stop_after(routed, excluded, None, frozenset({"mysql_error"})) is None  # a route maps the table
    with pytest.raises(ValueError, match="cannot stop after 'vpc_flow_log'"):
        etl._routing(EtlSettings(), sure_of=frozenset({"mysql_error"}), upto="vpc_flow_log")  # no shortcut
    with pytest.raises(ValueError, match="cannot stop after 'apache_error'"):
        etl._routing(EtlSettings(), sure_of=frozenset({"mysql_error"}), upto="apache_error")  # not kept
    shortened, _table = etl._routing(EtlSettings(), sure_of=frozenset({"mysql_error"}), upto="mysql_error")
    assert shortened.startswith("CASE WHEN ") and shortened.endswith(f"THEN 'mysql_error' ELSE '{etl.UNSURE}' END")
    names = {p.name for p in PARSERS}
    assert [n for n in re.findall(r"THEN '(\w+)'", shortened) if n in names] == ["mysql_error"]  # its first test


def test_every_line_the_shortened_case_decides_gets_the_whole_cases_parser() -> None:
    """For each parser with a shortcut, the CASE up to it against the whole CASE (the same shortcuts kept) on lines of
    every format of the benchmarks and on that parser's own: a line is left UNSURE or gets the same parser, and
    every line of the parser's own format is decided there."""
    lines = every_format_lines(6, seed=33)
    order = [p.name for p in PARSERS]
    stops = list(etl._shortcuts(order))
    assert len(stops) >= 9
    for name in stops:
        own = benchmark_lines(name, 30, seed=33) if name in benchmark_module("parser_throughput").GENERATORS else []
        con = classifying_connection([*lines, *own])
        kept = frozenset({name})
        whole, _table = etl._routing(EtlSettings(), sure_of=kept)
        shortened, _table = etl._routing(EtlSettings(), sure_of=kept, upto=name)
        rows = con.execute(f"SELECT {shortened}, {whole} FROM raw_lines ORDER BY rowid").fetchall()
        differ = [(line, a, b) for line, (a, b) in zip([*lines, *own], rows, strict=True) if a not in (etl.UNSURE, b)]
        assert differ == [], name
        assert [a for a, _b in rows[len(lines) :]] == [name] * len(own), name
        assert sum(a == etl.UNSURE for a, _b in rows) > 0, name  # the other formats' lines are left to the whole CASE
