"""Conformance of the WAF, NLB, Classic Load Balancer and Network Firewall parsers against independent
parsers' test expectations: OpenTelemetry Collector's awslogs encoding extension and Logstash's grok
pattern specs (tests/transform/parsers/vectors/aws/oracles.json, see tests/events/ATTRIBUTION.md).

Each case's input goes through the real ETL; each field the oracle expects is read from loglake's row by
the map below (an oracle field → a column, or a function of the row where the oracle splits or joins
what AWS's table keeps as one value), and compared as values (numbers as numbers, times as UTC instants).
Every field that differs is listed in DIFFERENCES with the reason; the test fails both when a listed
field starts to match (remove it) and when an unlisted one differs. `-s` prints the counts.

A second oracle is AWS's own table definition: the input.regex of AWS's Athena tables for NLB, Classic
Load Balancer and ALB connection logs, read over every sample line (test_line_formats_agree_with_aws_regex_tables).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import write_messages
from loglake.lake.clean_zone import timestamp_is_epoch_ms
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "vectors" / "aws" / "oracles.json").read_text())
TABLES = {p.name: p.table for p in PARSERS}
Row = dict[str, Any]
Field = str | Callable[[Row], Any]


def _event(*path: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        value: Any = row["event"]
        for key in path:
            value = None if value is None else value[key]
        return value

    return read


def _part(column: str, index: int, lower: bool = False) -> Callable[[Row], Any]:
    """One part of a `NAME/VERSION` value (HTTP/1.1): the oracles split what AWS's table keeps whole."""

    def read(row: Row) -> Any:
        parts = (row[column] or "").split("/")
        value = parts[index] if len(parts) > index else None
        return value.lower() if lower and value else value

    return read


def _url(part: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        url = urlsplit(row["url"])
        return {"proto": url.scheme, "urihost": url.netloc, "path": url.path, "port": str(url.port)}[part]

    return read


def _header(name: str) -> Callable[[Row], Any]:
    return lambda row: next((h["value"] for h in row["httprequest"]["headers"] if h["name"] == name), None)


NLB: dict[str, Field] = {
    "cloud.resource_id": "elb", "network.protocol.name": "type", "network.protocol.version": "version",
    "client.address": "client_ip", "client.port": "client_port", "destination.address": "target_ip",
    "destination.port": "target_port", "http.request.size": "received_bytes", "http.response.size": "sent_bytes",
    "aws.elb.tls.listener.resource_id": "listener_id", "aws.elb.connection_time": "tcp_connection_time_ms",
    "aws.elb.tls_handshake_time": "tls_handshake_time_ms",
    "aws.elb.tls_connection_creation_time": "tls_connection_creation_time", "aws.elb.chosen_cert_arn": "cert_arn",
    "tls.cipher": "tls_cipher_suite", "tls.protocol.version": "tls_protocol_version", "url.domain": "domain_name",
    "aws.elb.alpn_fe_protocol": "alpn_fe_protocol", "aws.elb.alpn_be_protocol": "alpn_be_protocol",
    "aws.elb.alpn_client_preference_list": "alpn_client_preference_list",
}  # fmt: skip
CLB: dict[str, Field] = {
    "cloud.resource_id": "elb_name", "client.address": "request_ip", "client.port": "request_port",
    "http.request.method": "request_verb", "url.full": "url", "network.protocol.name": _part("protocol", 0, True),
    "network.protocol.version": _part("protocol", 1), "http.request.size": "received_bytes",
    "http.response.size": "sent_bytes", "tls.protocol.version": lambda row: (row["ssl_protocol"] or "").lower(),
    "tls.cipher": "ssl_cipher", "aws.elb.status.code": "elb_response_code",
    "aws.elb.backend.status.code": "backend_response_code", "user_agent.original": "user_agent",
    "destination.address": "backend_ip", "destination.port": "backend_port",
    # Logstash's legacy names, then its ECS names.
    "elb": "elb_name", "clientip": "request_ip", "clientport": "request_port", "backendip": "backend_ip",
    "backendport": "backend_port", "request_processing_time": "request_processing_time",
    "backend_processing_time": "backend_processing_time", "response_processing_time": "client_response_time",
    "response": "elb_response_code", "backend_response": "backend_response_code", "received_bytes": "received_bytes",
    "bytes": "sent_bytes", "verb": "request_verb", "request": "url", "httpversion": _part("protocol", 1),
    "proto": _url("proto"), "urihost": _url("urihost"), "path": _url("path"), "port": _url("port"),
    "aws.elb.ssl_protocol": "ssl_protocol",
}  # fmt: skip
ANF: dict[str, Field] = {
    "aws.networkfirewall.name": "firewall_name", "cloud.availability_zone": "availability_zone",
    "aws.networkfirewall.event.type": _event("event_type"), "aws.networkfirewall.flow_id": _event("flow_id"),
    "source.address": _event("src_ip"), "source.port": _event("src_port"), "destination.address": _event("dest_ip"),
    "destination.port": _event("dest_port"), "network.transport": _event("proto"),
    "aws.networkfirewall.netflow.packets": _event("netflow", "pkts"),
    "aws.networkfirewall.netflow.bytes": _event("netflow", "bytes"),
    "aws.networkfirewall.netflow.start": _event("netflow", "start"),
    "aws.networkfirewall.netflow.end": _event("netflow", "finish"),
    "aws.networkfirewall.netflow.age": _event("netflow", "age"),
    "aws.networkfirewall.netflow.max_ttl": _event("netflow", "max_ttl"),
    "aws.networkfirewall.netflow.min_ttl": _event("netflow", "min_ttl"),
    **{f"aws.networkfirewall.alert.{key}": _event("alert", key)
       for key in ("action", "signature", "signature_id", "rev", "category", "severity")},
}  # fmt: skip
WAF: dict[str, Field] = {
    "cloud.region": "region", "cloud.account.id": lambda row: row["webaclid"].split(":")[4],
    "cloud.resource_id": "webaclid", "network.protocol.name": lambda row: _part("v", 0, True)(
        {"v": row["httprequest"]["httpVersion"]}), "network.protocol.version": lambda row: _part("v", 1)(
        {"v": row["httprequest"]["httpVersion"]}), "aws.waf.terminating_rule.type": "terminatingruletype",
    "aws.waf.terminating_rule.id": "terminatingruleid", "aws.waf.action": "action", "aws.waf.source.id": "httpsourceid",
    "aws.waf.source.name": "httpsourcename", "client.address": lambda row: row["httprequest"]["clientIp"],
    "url.path": lambda row: row["httprequest"]["uri"], "http.request.method": lambda row: row["httprequest"]["httpMethod"],
    "aws.request_id": lambda row: row["httprequest"]["requestId"],
    "geo.country.iso_code": lambda row: row["httprequest"]["country"],
}  # fmt: skip
NAMES = {"nlb": NLB, "elb_classic": CLB, "network_firewall": ANF, "waf": WAF}

DIFFERENCES: dict[tuple[str, str, str], str] = {}
"""(oracle, case, field) → why loglake's answer differs from the oracle's."""


def _differ(reason: str, oracle: str, case: str, *fields: str) -> None:
    DIFFERENCES.update(dict.fromkeys(((oracle, case, field) for field in fields), reason))


_differ("OpenTelemetry splits the quoted ALPN list '\"h2\",\"http/1.1\"' at its comma: its list is 'h2' and its "
        "tls_connection_creation_time the rest of the list; loglake keeps the list whole, as AWS's regex does, "
        "and the record's last field (2020-04-01T08:51:20) as the creation time",
        "otel/elb-access-log", "nlb_al_valid_logs#1", "aws.elb.tls_connection_creation_time",
        "aws.elb.alpn_client_preference_list")  # fmt: skip
_differ("not a column of AWS's anf_logs table (suricata's tx_cnt, alert gid): only in the message",
        "otel/network-firewall-log", "flow_log", "aws.networkfirewall.netflow.transaction.count")  # fmt: skip
_differ("not a column of AWS's anf_logs table (suricata's tx_cnt, alert gid): only in the message",
        "otel/network-firewall-log", "alert_log", "aws.networkfirewall.alert.gid")  # fmt: skip
_differ("a TLS event's sni and tls object are not in AWS's anf_logs table: only in the message",
        "otel/network-firewall-log", "tls_log", "server.address", "tls.client.subject", "tls.client.issuer",
        "tls.resumed")  # fmt: skip
_differ(
    "the partition column `region` names a global (CloudFront) web ACL's logs `cloudfront`, as WAF names "
    "their S3 folder; OpenTelemetry takes the ARN's us-east-1",
    "otel/waf",
    "valid_log",
    "cloud.region",
)
_differ("fields WAF added after AWS's waf_logs table (httpRequest.host and scheme, JA3/JA4 fingerprints): only in "
        "the message", "otel/waf", "valid_log", "server.address", "url.scheme", "tls.client.ja3",
        "tls.client.ja4")  # fmt: skip


def _same(got: Any, want: Any) -> bool:
    if want is None or got is None:
        return got is want
    if isinstance(want, bool):
        return str(got).lower() == str(want).lower()
    if isinstance(want, int | float):
        try:
            return float(got) == float(want)
        except (TypeError, ValueError):
            return False
    return str(got) == str(want)


def _instant(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1e9, UTC).replace(tzinfo=None)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], str]:
    """(oracle, case, field) → 'pass' or what differed."""
    lake = open_lake(str(tmp_path_factory.mktemp("conformance-aws") / "lake"))
    write_messages(lake.store, "/conformance/aws", [case["message"] for case in CASES], id_prefix="c")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    rows: dict[str, Row] = {}
    with DuckDBEngine(lake.store) as engine:
        for table in sorted({TABLES[case["parser"]] for case in CASES} | {"logs"}):
            result = engine.query(f'SELECT * FROM "{table}"')
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                rows[record["event_id"]] = record
    results: dict[tuple[str, str, str], str] = {}
    for n, case in enumerate(CASES):
        row = rows.get(f"c{n}")
        key = (case["oracle"], case["id"])
        if row is None or row["format"] != case["parser"]:
            results[(*key, "*")] = f"read as {row and row['format']}, not {case['parser']}"
            continue
        names = NAMES[case["parser"]]
        for field, want in case["expected"].items():
            if field in ("timeUnixNano", "timestamp"):
                got, want = row["timestamp"], _instant(want)
                if timestamp_is_epoch_ms(TABLES[case["parser"]]):  # waf_logs: AWS's epoch milliseconds
                    got = datetime(1970, 1, 1) + timedelta(milliseconds=got)
                same = got == want
            elif field.startswith("http.request.header."):
                got = _header(field.removeprefix("http.request.header."))(row)
                same = _same(got, want)
            elif field in names:
                read = names[field]
                got = row[read] if isinstance(read, str) else read(row)
                same = _same(got, want)
            else:
                got, same = "no column", False
            results[(*key, field)] = "pass" if same else f"{got!r} != {want!r}"
    return results


def test_conformance_aws(outcomes: dict[tuple[str, str, str], str]) -> None:
    counts: dict[str, list[int]] = {}
    for (oracle, _case, _field), why in outcomes.items():
        tally = counts.setdefault(oracle, [0, 0])
        tally[0] += why == "pass"
        tally[1] += 1
    for oracle, (passed, total) in sorted(counts.items()):
        print(f"{oracle}: {passed}/{total} fields pass")
    failing = {key: why for key, why in outcomes.items() if why != "pass"}
    unexplained = {key: why for key, why in failing.items() if key not in DIFFERENCES}
    for key, why in sorted(unexplained.items()):
        print(key, why[:300])
    assert unexplained == {}
    assert sorted(key for key in DIFFERENCES if key not in failing) == []
    assert (len(CASES), len(outcomes)) == (12, 198)


# AWS's own definition as an oracle: the input.regex of AWS's documented Athena table (RegexSerDe, a whole
# match) read over every sample line of the three line formats gives the values Athena would show; loglake's
# columns must hold the same values, with its conventions: '-' and '' are NULL, the ELB user agent is
# without its quotes, and `timestamp` is the envelope's TIMESTAMP (compared as an instant).
EVENTS = Path(__file__).parents[2] / "events"
AWS_TABLES = {
    "nlb": "athena_networkloadbalancer-classic-logs.sql",
    "elb_classic": "athena_elasticloadbalancer-classic-logs.sql",
    "alb_connection": "athena_alb-connection-logs.sql",
}
SAMPLE_FILES = {
    "nlb": ("nlb_docs.log", "nlb_otel.log"),
    "elb_classic": ("elb_classic_docs.log", "elb_classic_otel.log"),
    "alb_connection": ("alb_connection_docs.log",),
}


def _aws_table(parser: str) -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    """AWS's regex (its Hive string escapes undone) and its (column, type) list, in order."""
    from conftest import athena_documented

    ddl = athena_documented(AWS_TABLES[parser])[1]
    found = re.search(r"'input\.regex'\s*=\s*'(.*?)'\s*\)", ddl, re.S)
    assert found is not None
    pattern = found.group(1).replace("\\\\", "\\").replace('\\"', '"')
    return re.compile(pattern), re.findall(r"^\s*(\w+) (string|int|double|bigint),?$", ddl, re.M)


def _aws_lines() -> list[tuple[str, str, str]]:
    """(parser, line id, line): the sample files, the parsers' EXAMPLES and the Logstash cases."""
    import importlib

    lines: list[tuple[str, str, str]] = []
    for parser, files in SAMPLE_FILES.items():
        for name in files:
            for n, line in enumerate((EVENTS / "aws_formats" / name).read_text().splitlines(), 1):
                lines.append((parser, f"{name}:{n}", line))
        module = importlib.import_module(f"loglake.transform.parsers.{parser}")
        lines += [(parser, f"EXAMPLES[{n}]", example.message) for n, example in enumerate(module.EXAMPLES)]
    lines += [(case["parser"], f"logstash:{case['id']}", case["message"]) for case in CASES
              if case["oracle"].startswith("logstash/")]  # fmt: skip
    return lines


AWS_LINES = _aws_lines()
AWS_DIFFERENCES: dict[tuple[str, str], str] = {}
_NO_ALPN = "AWS's regex needs exactly the 21 fields up to alpn_client_preference_list"
for _line in ("nlb_otel.log:1", "nlb_otel.log:2", "EXAMPLES[1]"):
    AWS_DIFFERENCES[("nlb", _line)] = f"{_NO_ALPN}: a record with tls_connection_creation_time matches nothing"
AWS_DIFFERENCES[("nlb", "EXAMPLES[2]")] = f"{_NO_ALPN}: a record of 2018 ending at domain_name matches nothing"
for _line in ("EXAMPLES[4]", "logstash:parsing an access log",
              "logstash:parsing a PUT request access log with missing backend info"):  # fmt: skip
    AWS_DIFFERENCES[("elb_classic", _line)] = (
        "AWS's regex needs user_agent, ssl_cipher and ssl_protocol: a record from before 2015 matches nothing"
    )


def _aws_value(column: str, value: str | None) -> str | None:
    if value is not None and column == "user_agent" and value.startswith('"'):
        value = value[1:-1]
    return None if value in ("", "-", "- ", None) else value


@pytest.fixture(scope="module")
def aws_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(parser, line id) → 'pass', or what differs from AWS's regex table."""
    lake = open_lake(str(tmp_path_factory.mktemp("conformance-aws-regex") / "lake"))
    write_messages(lake.store, "/conformance/aws-regex", [line for _p, _id, line in AWS_LINES], id_prefix="r")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    rows: dict[str, Row] = {}
    with DuckDBEngine(lake.store) as engine:
        for table in sorted({TABLES[parser] for parser in AWS_TABLES}):
            result = engine.query(f'SELECT * FROM "{table}"')
            rows.update({row[result.columns.index("event_id")]: dict(zip(result.columns, row, strict=True))
                         for row in result.rows})  # fmt: skip
    results: dict[tuple[str, str], str] = {}
    for n, (parser, line_id, line) in enumerate(AWS_LINES):
        pattern, columns = _aws_table(parser)
        row = rows.get(f"r{n}")
        if row is None or row["format"] != parser:
            results[(parser, line_id)] = f"not read as {parser}"
            continue
        match = pattern.fullmatch(line)
        if match is None:
            results[(parser, line_id)] = "AWS's regex does not match"
            continue
        diffs = []
        for (column, type_), value in zip(columns, match.groups(), strict=False):
            want = _aws_value(column, value)
            if column == "timestamp":
                same = want is not None and row["timestamp"] == _instant(want)
            elif want is not None and type_ != "string":
                same = row[column] is not None and float(row[column]) == float(want)
            else:
                same = (None if row[column] is None else str(row[column])) == want
            if not same:
                diffs.append(f"{column}: {row.get(column)!r} != {want!r}")
        results[(parser, line_id)] = "pass" if not diffs else "; ".join(diffs)
    return results


def test_line_formats_agree_with_aws_regex_tables(aws_outcomes: dict[tuple[str, str], str]) -> None:
    for parser in AWS_TABLES:
        mine = {key: why for key, why in aws_outcomes.items() if key[0] == parser}
        print(f"aws-regex/{parser}: {sum(why == 'pass' for why in mine.values())}/{len(mine)} lines agree")
    failing = {key: why for key, why in aws_outcomes.items() if why != "pass"}
    unexplained = {key: why for key, why in failing.items() if key not in AWS_DIFFERENCES}
    assert unexplained == {}
    assert sorted(key for key in AWS_DIFFERENCES if key not in failing) == []
    assert len(aws_outcomes) == len(AWS_LINES) == 28
