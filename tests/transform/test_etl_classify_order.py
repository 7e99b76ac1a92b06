"""Classification's shortcut (etl._shortcuts, WafParser.sure): WAF is tested early where it is sure, and every
line keeps the parser that the whole PARSERS order gives it."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import duckdb
import pytest

from conftest import PARSER_EXAMPLES, benchmark_module
from loglake.transform import etl, markers
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests/transform/parsers/typed_golden.json.gz"

# WAF records that one of the parsers WAF is now tested ahead of claims (or nearly does), records of those
# parsers that hold WAF's fields, and edges: escaped keys, JSON nulls, duplicate keys, blanks before the
# brace, a line end, non-ASCII, invalid JSON, not JSON.
CRAFTED = [
    '{"webaclId":"a","httpRequest":{"httpMethod":"GET"},"requestId":"r"}',
    '{"webaclId":"a","httpRequest":{"httpMethod":"GET"},"requestId":null}',
    '{"webaclId":"a","httpRequest":{},"requestId":"r"}',
    '{"webaclId":"a","httpRequest":{},"routeKey":"GET /x","requestId":"r"}',
    '{"webaclId":"a","httpRequest":{},"request\\u0049d":"r","httpMethod":"GET"}',
    '{"webaclId":"é","httpRequest":{"uri":"\\u00e9"},"requestId":"ü","httpMethod":"GET"}',
    '{"webaclId":"a","httpRequest":{},"requestId":"r","httpMethod":"GET"}\r\n',
    '{"log":"x\\n","stream":"stdout","time":"2026-11-30T08:00:00Z","attrs":{},"webaclId":"a","httpRequest":{}}',
    '{"log":"x","webaclId":"a","httpRequest":{}}',
    '{"log":"\\"webaclId\\":1,\\"httpRequest\\":{}","stream":"stdout","time":"2026-11-30T08:00:00Z"}',
    '{"ecs_task_arn":"arn:x","container_name":"c","webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{},"ecs_task_arn":"arn:x"}',
    '{"webaclId":"a","httpRequest":{},"ecs_task_arn":null,"container_name":"c"}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}],"webaclId":"a","httpRequest":{}}',
    '{"resourceLogs":"x","webaclId":"a","httpRequest":{}',
    '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","webaclId":"a","httpRequest":{}}',
    '{"type":"platform.start","webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","webaclId":null,"httpRequest":1}',
    '{"webaclId":null,"httpRequest":{}}',
    ' {"webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{}',
    '{"httpRequest":{"webaclId":"a"}}',
    '{"xwebaclId":1,"web\\u0061clId":"a","httpRequest":{}}',
    '{"requestId":"r","httpMethod":"GET"}',
    "webaclId httpRequest requestId",
    "",
]
"""The parser of each line of CRAFTED, as the CASE in PARSERS order gave it before the shortcut."""
CRAFTED_PARSERS = [
    *("apigateway_json", "waf", "waf", "apigateway_json", "waf", "apigateway_json", "apigateway_json"),
    *("waf", "waf", "container_docker", "ecs_firelens", "waf", "waf", "otlp_json", "json", "cloudtrail"),
    *("lambda_platform_json", "waf", "json", "json", "json", "json", "json", "apigateway_json", "text", "text"),
]


def _generated(per_format: int = 25) -> list[str]:
    """Lines of every format of benchmarks/parser_throughput.py (its GENERATORS, the benchmark's own)."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(13)
    return [generators[name](rng, i) for name in sorted(generators) for i in range(per_format)]


def _golden() -> list[str]:
    """The 820 messages of test_typed_golden.py (examples, conformance vectors, AWS samples, benchmark lines)."""
    groups = json.loads(gzip.decompress(GOLDEN.read_bytes()))["groups"]
    items = [item for group in groups for item in group]  # a message, or a vector's block of lines
    return [line for item in items for line in ([item] if isinstance(item, str) else item["lines"])]


def _classify(lines: list[str], excluded: frozenset[str], marked: bool) -> list[str]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($lines::VARCHAR[]) AS message", {"lines": lines})
    for parser in PARSERS:
        for statement in parser.setup():
            con.execute(statement)
    parser_sql, _table = etl._routing(EtlSettings(), excluded, marked=marked)
    found = markers.marked_sql(PARSERS) if marked else "NULL"
    query = f"SELECT {parser_sql} FROM (SELECT *, rowid AS n, {found} AS {markers.MARKED} FROM raw_lines) ORDER BY n"
    return [str(row[0]) for row in con.execute(query).fetchall()]


@pytest.mark.parametrize("marked", [False, True], ids=["plain", "marked"])
@pytest.mark.parametrize("excluded", [frozenset(), frozenset({"container_docker", "otlp_json"})], ids=["all", "cut"])
def test_every_line_keeps_its_parser(monkeypatch: pytest.MonkeyPatch, excluded: frozenset[str], marked: bool) -> None:
    """The CASE with the shortcut against the CASE in plain PARSERS order (no shortcut), on every parser's
    examples, the golden messages, the benchmark's lines of every format and CRAFTED."""
    generated = _generated()
    lines = [*PARSER_EXAMPLES, *_golden(), *generated, *CRAFTED]
    new = _classify(lines, excluded, marked)
    monkeypatch.setattr(etl, "_shortcuts", lambda order: {})
    old = _classify(lines, excluded, marked)
    moved = [(line, o, n) for line, o, n in zip(lines, old, new, strict=True) if o != n]
    assert moved == []
    assert len(generated) == 25 * 34
    if not excluded:
        assert new[-len(CRAFTED) :] == CRAFTED_PARSERS
        assert new.count("waf") == 7 + 2 + 25 + 7  # golden, examples, benchmark lines, crafted


def test_waf_is_tested_before_the_json_shapes_it_passed_where_it_is_sure() -> None:
    """A WAF record paid API Gateway JSON's whole detection (a validation and a parse, about 0.1 s of CPU
    per 50,000 records) and three more shapes' before WAF's own; `sure` is tested before them, and WAF's
    detection stays in its place for the records it cannot be sure of."""
    parser_sql, _table = etl._routing(EtlSettings())
    names = {p.name for p in PARSERS}
    order = [name for name in re.findall(r"THEN '(\w+)'", parser_sql) if name in names]
    assert order[0] == "stack_trace"  # StackTraceParser.sure, before every parser (test_stack_trace.py)
    order = order[1:]
    assert order[:5] == ["lambda_platform_json", "cloudtrail", "waf", "apigateway_json", "container_docker"]
    assert len(order) == len(PARSERS) + 1
    assert order.count("waf") == 2
    assert order.index("waf", 3) == order.index("otlp_json") + 1
    assert parser_sql.count("'$.ecs_task_arn']") == 1  # WAF's fields and the two keys: one parse
    # The unquoted name first: `"` is everywhere in a JSON line, and contains() scans for the first byte.
    assert parser_sql.count("""contains(message, 'webaclId"') AND contains(message, '"webaclId"')""") == 1


def test_shortcut_only_where_every_parser_between_is_ruled_out() -> None:
    """`sure` rules out only WafParser.ahead_of: with any other parser between, no shortcut."""
    shapes = ["cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json", "waf", "json"]
    assert etl._shortcuts(shapes) == {"waf": "apigateway_json"}
    assert etl._shortcuts([s for s in shapes if s not in ("apigateway_json", "container_docker")]) == {
        "waf": "ecs_firelens"
    }
    assert etl._shortcuts(["apigateway_json", "json", "waf"]) == {}
    assert etl._shortcuts(["cloudtrail", "waf", "apigateway_json"]) == {}
