"""Conformance against independent parsers: Vector's VRL functions and jc (vectors/, see ATTRIBUTION.md).

Every case's input goes through the real ETL; the expected fields are compared with loglake's columns
under a name map (VRL and jc name fields their own way, AWS formats use AWS's names) and a value
normalisation (numbers and booleans compared as text, times as UTC instants). A case whose oracle
says the input is not of that format passes when loglake's parser does not claim it either.

Every case that does not pass is listed in DIFFERENCES with the reason; the test fails both when a
listed case starts passing (remove it) and when an unlisted one fails. `python -m pytest
tests/transform/parsers/test_conformance.py -s` prints the pass counts per oracle and parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import T0, write_messages
from loglake.lake.open import open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

VECTORS = Path(__file__).parent / "vectors"
TABLES = {p.name: p.table for p in PARSERS}

COMMON = {  # VRL's parse_common_log / parse_apache_log names → apache_logs (AWS's names)
    "host": "client_ip", "identity": "client_id", "user": "user_id", "message": "client_request",
    "method": "request_method", "path": "request_path", "protocol": "request_protocol", "status": "server_status",
    "size": "returned_obj_size", "referrer": "referrer", "agent": "user_agent", "timestamp": "timestamp",
}  # fmt: skip
NGINX = {
    **COMMON, "client": "client_ip", "request": "client_request", "referer": "referrer",
    "remote_addr": "client_ip", "remote_user": "user_id", "body_bytes_size": "returned_obj_size",
    "http_referer": "referrer", "http_user_agent": "user_agent", "http_x_forwarded_for": "forwarded_for",
}  # fmt: skip
NGINX_ERROR = {
    "timestamp": "timestamp", "severity": "severity", "pid": "pid", "tid": "tid", "cid": "cid", "message": "msg",
    "client": "client", "server": "server", "request": "request", "host": "host", "referer": "referrer",
    "upstream": "upstream",
}  # fmt: skip
APACHE_ERROR = {
    "timestamp": "timestamp", "module": "module", "severity": "severity", "pid": "pid", "thread": "tid",
    "client": "client", "port": "client_port", "message": "msg",
}  # fmt: skip
SYSLOG = {
    "facility": "facility", "severity": "severity", "timestamp": "timestamp", "hostname": "hostname",
    "appname": "appname", "procid": "procid", "msgid": "msgid", "version": "version", "message": "msg",
}  # fmt: skip
ALB = {
    "type": "type", "timestamp": "time", "elb": "elb", "request_processing_time": "request_processing_time",
    "target_processing_time": "target_processing_time", "response_processing_time": "response_processing_time",
    "elb_status_code": "elb_status_code", "target_status_code": "target_status_code",
    "received_bytes": "received_bytes", "sent_bytes": "sent_bytes", "request_method": "request_verb",
    "request_url": "request_url", "request_protocol": "request_proto", "user_agent": "user_agent",
    "ssl_cipher": "ssl_cipher", "ssl_protocol": "ssl_protocol", "target_group_arn": "target_group_arn",
    "trace_id": "trace_id", "domain_name": "domain_name", "chosen_cert_arn": "chosen_cert_arn",
    "matched_rule_priority": "matched_rule_priority", "request_creation_time": "request_creation_time",
    "actions_executed": "actions_executed", "redirect_url": "redirect_url", "error_reason": "lambda_error_reason",
    "target_port_list": "target_port_list", "target_status_code_list": "target_status_code_list",
    "classification": "classification", "classification_reason": "classification_reason",
    "client_host": "client_ip || ':' || client_port", "target_host": "target_ip || ':' || target_port",
    "traceability_id": "extra_fields",
}  # fmt: skip
JC_CLF = {
    "host": "client_ip", "ident": "client_id", "authuser": "user_id", "date": "request_received_time",
    "request": "client_request", "status": "server_status", "bytes": "returned_obj_size", "referer": "referrer",
    "user_agent": "user_agent", "request_method": "request_method", "request_url": "request_path",
    "request_version": "request_protocol",
}  # fmt: skip
JC_SYSLOG = {
    "version": "version", "timestamp": "timestamp", "hostname": "hostname", "appname": "appname",
    "proc_id": "procid", "msg_id": "msgid", "structured_data": "structured_data", "message": "msg",
    "tag": "appname", "content": "jc_content",
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    oracle: str
    """VRL function or jc fixture."""
    id: str
    message: str
    parser: str
    """The loglake parser that should claim the input (the expected format)."""
    expected: dict[str, Any] | None
    """Field → value; None when the oracle rejects the input."""
    names: dict[str, str]
    header: str | None = None
    """A VPC custom format: its field order, delivered as the header line before the record."""


def _doc_options(source: str) -> dict[str, str]:
    """The options a doc example passes (`format: "error"`, or a second positional argument)."""
    named = re.search(r'format:\s*"([^"]+)"', source)
    positional = re.search(r'^\s*"([a-z_ ]+)",?\s*$', source, re.MULTILINE)
    found = named or positional
    return {"format": found.group(1)} if found else {}


def _vrl(function: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    doc = json.loads((VECTORS / "vrl" / f"{function}.json").read_text())
    for n, example in enumerate(doc["doc_examples"]):
        want = {"ok": example["expected"]} if "expected" in example else {"err": example.get("expected_error")}
        yield f"doc{n}", {"value": example["input"], **_doc_options(example["vrl_source"])}, want
    for test in doc["unit_tests"]:
        yield test["case"], test["args"], test["want"]


def _vrl_cases() -> Iterator[Case]:
    for function, parser, names in (
        ("parse_common_log", "access_log", COMMON),
        ("parse_apache_log", "access_log", COMMON),
        ("parse_nginx_log", "access_log", NGINX),
        ("parse_syslog", "syslog", SYSLOG),
        ("parse_logfmt", "logfmt", {}),
        ("parse_key_value", "logfmt", {}),
        ("parse_aws_alb_log", "alb", ALB),
        ("parse_aws_vpc_flow_log", "vpc_flow_log", {}),
        ("parse_json", "json", {}),
    ):
        for case_id, args, want in _vrl(function):
            value = args.get("value")
            if not isinstance(value, str):
                continue  # built by Rust code at test time ($rust): no literal input to replay
            chosen, table_names = parser, names
            if function == "parse_nginx_log" and args.get("format") == "error":
                chosen, table_names = "nginx_error", NGINX_ERROR
            if function == "parse_apache_log" and args.get("format") == "error":
                chosen, table_names = "apache_error", APACHE_ERROR
            if function == "parse_syslog":
                chosen = (
                    "syslog_rfc5424"
                    if value.startswith("<") and value[value.find(">") + 1 : value.find(">") + 2].isdigit()
                    else "syslog_rfc3164"
                )
            expected = want.get("ok") if isinstance(want, dict) and "ok" in want else None
            if isinstance(want, dict) and "ok" not in want and "err" not in want:
                expected = want
            header = args.get("format") if function == "parse_aws_vpc_flow_log" else None
            yield Case(f"vrl/{function}", case_id, value, chosen, expected, table_names,
                       header.replace("_", "-") if header else None)  # fmt: skip


def _jc_cases() -> Iterator[Case]:
    for fixture, lines_file, parser, names in (
        ("common-log-format", "common-log-format.log", "access_log", JC_CLF),
        ("syslog-3164", "syslog-3164.out", "syslog_rfc3164", JC_SYSLOG),
        ("syslog-5424", "syslog-5424.out", "syslog_rfc5424", JC_SYSLOG),
    ):
        lines = [line for line in (VECTORS / "jc" / lines_file).read_text().splitlines() if line.strip()]
        for n, record in enumerate(json.loads((VECTORS / "jc" / f"{fixture}.json").read_text())):
            # jc skips blank lines and folds continuation lines into a record: find each record's line.
            text = record.get("unparsable") or record.get("content") or record.get("message") or ""
            line = next(line for line in lines if text.strip()[:40] in line)
            lines.remove(line)
            want = None if "unparsable" in record else {k: v for k, v in record.items() if k in names}
            yield Case(f"jc/{fixture}", f"record{n}", line, parser, want, names)


CASES = [*_vrl_cases(), *_jc_cases()]

DIFFERENCES: dict[tuple[str, str], str] = {}
"""(oracle, case id) → why loglake's answer differs from the oracle's. Each is a convention or a scope
choice, not a defect; the note in docs/formats.md explains them."""


def _differ(reason: str, oracle: str, *cases: str) -> None:
    DIFFERENCES.update(dict.fromkeys(((oracle, case) for case in cases), reason))


_DASH = "'-' and '' are NULL in loglake (as in AWS's tables and jc); VRL keeps them as strings"
_differ(_DASH, "vrl/parse_nginx_log", "combined_line_valid", "combined_line_valid_bot_request",
        "combined_line_valid_empty_fields", "combined_line_valid_empty_referer", "error_line_with_empty_referrer",
        "error_line_with_empty_values")  # fmt: skip
_differ("VRL-only fields of nginx formats loglake does not model (compression; ingress-nginx upstreaminfo; "
        "excess/zone split out of rate-limit messages): the values stay in the message/extra_fields",
        "vrl/parse_nginx_log", "combined_line_valid_all_fields", "doc0", "doc2", "error_rate_delaying",
        "error_rate_limit", "ingress_nginx_upstreaminfo_valid_all_fields",
        "ingress_nginx_upstreaminfo_valid_empty_referer", "ingress_nginx_upstreaminfo_valid_missing_upstream",
        "ingress_nginx_upstreaminfo_valid_without_optional_fields")  # fmt: skip
_differ("AWS's alb_logs table has no traceability_id: loglake keeps every field after classification_reason "
        "in extra_fields", "vrl/parse_aws_alb_log", "doc1", "thirteen")  # fmt: skip
_differ("structured data is one text column (structured_data); VRL makes an object per SD-ID",
        "vrl/parse_syslog", "doc0", "valid", "empty_sd_element", "empty_sd_value", "non_empty_sd_element",
        "escapes_in_structured_data_bracket", "escapes_in_structured_data_quote",
        "escapes_in_structured_data_slash")  # fmt: skip
_differ("structured data is one text column; jc parses it into a list of objects", "jc/syslog-5424", "record5")
_differ("a malformed PRI (`<190)1`) is no RFC 5424 header; jc reads the rest of the line, loglake keeps it as text",
        "jc/syslog-5424", "record7")  # fmt: skip
_differ("a line with no time of its own ('-') takes the record's time; jc leaves it empty",
        "jc/syslog-5424", "record8")  # fmt: skip
_differ("a tag with parentheses (sshd(pam_unix)[pid]) is one appname in loglake; jc cuts it at '('",
        "jc/syslog-3164", "record21")  # fmt: skip
_differ("'host message' with no tag is read as tag 'host' (the line is ambiguous); jc takes it as the host",
        "jc/syslog-3164", "record26")  # fmt: skip
_differ("an IPv6 host name contains ':' and is not accepted as a 3164 host; the line stays text",
        "jc/syslog-3164", "record27")  # fmt: skip
_differ("a request line with a space in the URL and no protocol ('GET /uno dos') is split at its spaces into "
        "method, path and protocol; jc keeps '/uno dos' as the URL", "jc/common-log-format", "record2")  # fmt: skip
_differ("a line of dashes carries no data and stays plain text; VRL returns an empty object",
        "vrl/parse_common_log", "log_line_valid_empty")  # fmt: skip
_differ("a line of dashes carries no data and stays plain text; VRL returns an empty object",
        "vrl/parse_apache_log", "log_line_valid_empty")  # fmt: skip
_differ("an error line needs httpd 2.4's [pid ...] block (so generic '[time] [level]' lines stay text)",
        "vrl/parse_apache_log", "log_line_valid_with_timezone")  # fmt: skip
_differ("VRL's %f reads '.138633' as nanoseconds; loglake reads it as the fraction of a second",
        "vrl/parse_apache_log", "error_line_thread_id")  # fmt: skip
_differ("VRL splits the mpm_event message at ': ' into message1/message2; loglake keeps one msg",
        "vrl/parse_apache_log", "error_line_threaded_mpms_valid")  # fmt: skip
_differ("loglake reads logfmt only (key=value pairs, whitespace-separated, distinct keys); VRL's "
        "parse_key_value options (other delimiters, standalone keys, repeated keys as arrays) are not offered, "
        "and such lines stay plain text", "vrl/parse_key_value", "backslash_key", "delimited",
        "delimited_with_spaces", "doc2", "doc3", "doc4", "duplicate_keys", "duplicate_keys_no_value",
        "empty_keys_are_invalid", "field_delimiter_followed_by_unpaired_quote_followed_by_key_value_delimiter",
        "missing_separator", "missing_separator_delimited", "multi_line_with_quotes", "multi_line_with_quotes_spaces",
        "multiple_chars", "spaces", "unquoted_field_delimiter_followed_by_key_value_delimiter")  # fmt: skip
_differ("a standalone key (no '=') is not logfmt: the line stays plain text", "vrl/parse_logfmt", "doc2")
_differ("the json parser takes objects; a bare array, string, number or boolean stays plain text",
        "vrl/parse_json", "doc1", "doc2", "doc3", "doc4", "doc5", "max_depth_array")  # fmt: skip
_differ("the flattening depth is a lake setting ([etl] max_depth, default 5), not a per-call option",
        "vrl/parse_json", "doc7", "max_depth", "invalid_input_max_depth")  # fmt: skip
_differ("VRL's two cases for this input expect different roundings; loglake keeps DuckDB's DOUBLE of the text",
        "vrl/parse_json", "no_roundtrip_float_conversion")  # fmt: skip


def _leaves(expected: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Expected fields as JSON pointers, nested objects flattened as loglake flattens them."""
    for key, value in expected.items():
        if isinstance(value, dict) and "$rust" in value:
            continue  # computed by Rust at test time (the current year): nothing literal to compare
        pointer = f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}"
        if isinstance(value, dict) and value and "$timestamp" not in value:
            yield from _leaves(value, pointer)
        else:
            yield pointer, value


def _same(got: Any, want: Any) -> bool:
    """Equal as comparable text; a list of strings also matches AWS's way of writing it, space-separated
    (ALB's target_port_list), with [] as NULL."""
    if isinstance(want, list) and all(isinstance(v, str) for v in want) and " ".join(want) == (got or ""):
        return True
    return bool(_normal(got) == want)


def _normal(value: Any) -> Any:
    if isinstance(value, dict) and "$timestamp" in value:
        return datetime.fromisoformat(value["$timestamp"].replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return None if value is None else str(value).rstrip()  # trailing blanks: jc strips them, loglake keeps them


def _expected_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
        except ValueError:
            return value
    return _normal(value)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(oracle, case id) → 'pass' or what differed."""
    lake = open_lake(str(tmp_path_factory.mktemp("conformance") / "lake"))
    for n, case in enumerate(CASES):
        lines = [case.header, case.message] if case.header else [case.message]
        write_messages(lake.store, f"/conformance/{n}", lines, id_prefix=f"c{n}-", timestamp=T0 + 10 * n)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=2)
    rows: dict[str, dict[str, Any]] = {}
    registry = SchemaRegistry(lake.store)
    pointers = {t: s.pointer_names() for t in registry.tables() if (s := registry.get(t)) is not None}
    with DuckDBEngine(lake.store) as engine:
        for table in registry.tables():
            result = engine.query(f'SELECT * FROM "{table}"')
            for row in result.rows:
                record = dict(zip(result.columns, row, strict=True))
                rows[record["event_id"]] = record
    results: dict[tuple[str, str], str] = {}
    for n, case in enumerate(CASES):
        row = rows.get(f"c{n}-{1 if case.header else 0}")
        claimed = row["format"] if row else "quarantine"
        key = (case.oracle, case.id)
        if case.expected is None:
            results[key] = "pass" if claimed != case.parser else f"claimed by {claimed}, the oracle rejects it"
            continue
        if claimed != case.parser or row is None:
            results[key] = f"read as {claimed}, not {case.parser}"
            continue
        diffs = []
        named = pointers[TABLES[case.parser]]
        for field, want in _leaves(case.expected):
            # Open-schema formats (JSON, logfmt) name columns by the registry; fixed ones by the map.
            column = named.get(field) or case.names.get(field.lstrip("/"), field.lstrip("/"))
            if column == "jc_content":  # jc keeps '[pid]: ' in front of the text; loglake splits it off
                row = {**row, column: f"[{row['procid']}]: {row['msg']}" if row.get("procid") else row.get("msg")}
            parts = column.split(" || ':' || ")
            if any(part not in row for part in parts):
                diffs.append(f"{field}: no column {column}")
                continue
            values = [row[part] for part in parts]
            got = values[0] if len(values) == 1 else None if None in values else ":".join(map(str, values))
            expected = _expected_time(want) if column == "timestamp" else _normal(want)
            if not _same(got, expected) and not _same(got, want):
                diffs.append(f"{field}: {got!r} != {want!r}")
        results[key] = "pass" if not diffs else "; ".join(diffs)
    return results


def test_conformance(outcomes: dict[tuple[str, str], str]) -> None:
    failing = {key: why for key, why in outcomes.items() if why != "pass"}
    by_oracle: dict[str, list[int]] = {}
    for (oracle, _case), why in outcomes.items():
        counts = by_oracle.setdefault(oracle, [0, 0])
        counts[0] += why == "pass"
        counts[1] += 1
    for oracle, (passed, total) in sorted(by_oracle.items()):
        print(f"{oracle}: {passed}/{total} pass")
    unexplained = {key: why for key, why in failing.items() if key not in DIFFERENCES}
    for key, why in sorted(unexplained.items()):
        print(key, why[:300])
    fixed = sorted(key for key in DIFFERENCES if key not in failing)
    assert unexplained == {}
    assert fixed == []
