"""Numbers are numbers (issue 10, item 8): every parser's numeric fields have a numeric type, with `-` as
NULL, so `sum()` works; AWS's documented tables keep AWS's declared types (a string stays a string)."""

from __future__ import annotations

from typing import Any

from conftest import Deliver
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import FixedSchemaParser

Query = Any

NUMERIC = {
    "access_log": {"status_code": "INTEGER", "bytes_sent": "BIGINT", "vhost_port": "INTEGER"},
    "alb": {
        "client_port": "INTEGER", "target_port": "INTEGER", "request_processing_time": "DOUBLE",
        "target_processing_time": "DOUBLE", "response_processing_time": "DOUBLE", "elb_status_code": "INTEGER",
        "received_bytes": "BIGINT", "sent_bytes": "BIGINT",
    },
    "apache_error": {
        "pid": "BIGINT", "tid": "BIGINT", "client_port": "INTEGER", "source_line": "INTEGER", "apr_status": "INTEGER",
    },
    "apigateway_access_log": {"status": "INTEGER", "response_length": "BIGINT"},
    "alb_connection": {"client_port": "INTEGER", "listener_port": "INTEGER", "tls_handshake_latency": "DOUBLE"},
    "cloudfront": {
        "bytes": "BIGINT", "status": "INTEGER", "request_bytes": "BIGINT", "time_taken": "DOUBLE",
        "fle_encrypted_fields": "INTEGER", "c_port": "INTEGER", "time_to_first_byte": "DOUBLE",
        "sc_content_len": "BIGINT", "sc_range_start": "BIGINT", "sc_range_end": "BIGINT",
    },
    "cloudfront_realtime": {
        "time_to_first_byte": "DOUBLE", "sc_status": "INTEGER", "sc_bytes": "BIGINT", "cs_bytes": "BIGINT",
        "time_taken": "DOUBLE", "fle_encrypted_fields": "INTEGER", "sc_content_len": "BIGINT",
        "sc_range_start": "BIGINT", "sc_range_end": "BIGINT", "c_port": "INTEGER", "cs_headers_count": "INTEGER",
        "origin_fbl": "DOUBLE", "origin_lbl": "DOUBLE", "asn": "BIGINT",
    },
    "elb_classic": {
        "request_port": "INTEGER", "backend_port": "INTEGER", "request_processing_time": "DOUBLE",
        "backend_processing_time": "DOUBLE", "client_response_time": "DOUBLE", "received_bytes": "BIGINT",
        "sent_bytes": "BIGINT",
    },
    "lambda_platform": {
        "duration_ms": "DOUBLE", "billed_duration_ms": "DOUBLE", "memory_size_mb": "BIGINT",
        "max_memory_used_mb": "BIGINT", "init_duration_ms": "DOUBLE",
    },
    "lambda_platform_json": {
        "duration_ms": "DOUBLE", "billed_duration_ms": "DOUBLE", "memory_size_mb": "BIGINT",
        "max_memory_used_mb": "BIGINT", "init_duration_ms": "DOUBLE",
    },
    "mysql_error": {"thread_id": "BIGINT"},
    "mysql_general": {"thread_id": "BIGINT"},
    "mysql_slow": {
        "thread_id": "BIGINT", "query_time": "DOUBLE", "lock_time": "DOUBLE", "rows_sent": "BIGINT",
        "rows_examined": "BIGINT",
    },
    "network_firewall": {"event_timestamp": "BIGINT"},
    "nginx_error": {"pid": "BIGINT", "tid": "BIGINT", "cid": "BIGINT"},
    "nlb": {
        "client_port": "INTEGER", "target_port": "INTEGER", "tcp_connection_time_ms": "DOUBLE",
        "tls_handshake_time_ms": "DOUBLE", "received_bytes": "BIGINT", "sent_bytes": "BIGINT",
        "incoming_tls_alert": "INTEGER",
    },
    "rds_postgresql": {"remote_port": "INTEGER", "process_id": "BIGINT"},
    "route53_resolver": {"srcport": "INTEGER"},
    "s3_access_log": {"bytessent": "BIGINT", "objectsize": "BIGINT"},
    "stack_trace": {"frames": "BIGINT"},
    "syslog_rfc5424": {"version": "INTEGER"},
    "vpc_flow_log": {
        "version": "INTEGER", "srcport": "INTEGER", "dstport": "INTEGER", "protocol": "BIGINT", "packets": "BIGINT",
        "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "tcp_flags": "INTEGER", "traffic_path": "INTEGER",
        "encryption_status": "INTEGER", "packets_lost_no_route": "BIGINT", "packets_lost_blackhole": "BIGINT",
        "packets_lost_mtu_exceeded": "BIGINT", "packets_lost_ttl_expired": "BIGINT",
    },
    "waf": {"formatversion": "INTEGER"},
}  # fmt: skip
"""Every fixed-schema parser's numeric columns. A column not listed is text (or a date, struct, boolean)."""
AWS_STRINGS = {
    "access_log": ("server_status", "returned_obj_size"),  # AWS's apache_logs: `WHERE server_status = '404'`
    "s3_access_log": ("httpstatus", "totaltime", "turnaroundtime"),
    "alb": ("target_status_code", "matched_rule_priority"),
    "elb_classic": ("elb_response_code", "backend_response_code"),
}
"""Numbers that AWS's documented Athena tables declare as strings: kept, so AWS's queries run unchanged."""
_NUMBER_TYPES = {"INTEGER", "BIGINT", "DOUBLE"}


def test_every_fixed_schema_parser_types_its_numbers() -> None:
    fixed = [p for p in PARSERS if isinstance(p, FixedSchemaParser)]
    declared = {p.name: {c.name: c.type for c in p.columns if c.type in _NUMBER_TYPES} for p in fixed}
    assert declared == {p.name: NUMERIC.get(p.name, {}) for p in fixed}
    types = {p.name: {c.name: c.type for c in p.columns} for p in fixed}
    assert {name: [types[name][c] for c in columns] for name, columns in AWS_STRINGS.items()} == {
        name: ["VARCHAR"] * len(columns) for name, columns in AWS_STRINGS.items()
    }


def test_apache_byte_counts_sum_and_aws_s_string_queries_still_run(deliver: Deliver, query: Query) -> None:
    deliver(
        [
            '203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"',
            '203.0.113.9 - - [26/Nov/2026:10:00:01 +0000] "GET /b HTTP/1.1" 404 196 "-" "curl/8.0"',
            '203.0.113.9 - - [26/Nov/2026:10:00:02 +0000] "GET /c HTTP/1.1" 304 - "-" "curl/8.0"',
            '203.0.113.9 - - [26/Nov/2026:10:00:03 +0000] "GET /d HTTP/1.1" 503 0 "-" "curl/8.0"',
        ]
    )
    assert query(
        "SELECT sum(bytes_sent), count(bytes_sent), count(*) FILTER (WHERE status_code >= 400) FROM apache_logs"
    ) == [(708, 3, 2)]
    # AWS's documented example query, unchanged (tests/events: athena_querying-apache-logs, statement 2).
    assert query(
        "SELECT request_received_time, client_request, server_status FROM apache_logs WHERE server_status = '404'"
    ) == [("26/Nov/2026:10:00:01 +0000", "GET /b HTTP/1.1", "404")]


def test_logfmt_and_api_gateway_json_read_dash_as_null(deliver: Deliver, query: Query) -> None:
    deliver(
        [
            "at=info path=/a status=200 bytes=512 service=5ms",
            "at=info path=/b status=304 bytes=- service=1ms",
            '{"requestId": "r-1", "httpMethod": "GET", "status": "200", "responseLength": "512", "caller": "-"}',
            '{"requestId": "r-2", "httpMethod": "GET", "status": "-", "responseLength": "-", "caller": "-"}',
        ]
    )
    assert query("SELECT path, status, bytes FROM logs ORDER BY path") == [("/a", 200, 512), ("/b", 304, None)]
    assert query("SELECT request_id, status, response_length, caller FROM apigateway_logs ORDER BY 1") == [
        ("r-1", 200, 512, None),
        ("r-2", None, None, None),
    ]
