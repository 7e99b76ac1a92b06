"""cloudfront_realtime: Amazon CloudFront real-time logs (delivered through Kinesis Data Streams, e.g. by
Firehose to S3), into `cloudfront_realtime_logs`.

A record is tab-separated, its fields in the order of the real-time log configuration. CloudFront writes
them in the order of its guide's field list whichever are chosen, with no header, so a record can be read
without its configuration only when it has them all: the first 37 (`timestamp` to
`cache-behavior-path-pattern`), then the list's later fields, each of which may end the record
(`cs-headers`, `cs-header-names`, `cs-headers-count`,
`primary-distribution-id`, `primary-distribution-dns-name`, `origin-fbl`, `origin-lbl`, `asn`); whatever
follows is kept in `extra_fields`. A configuration with fewer fields gives records that stay in `logs` as
text. Columns are the guide's field names in snake_case (`c-ip` → `c_ip`), except `timestamp` (epoch
seconds with milliseconds), the event time, kept as written in `log_timestamp` (`timestamp` is the
envelope's column). `-` is NULL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, text
from loglake.transform.parsers.tab_fields import struct_by_tabs

COLUMNS: dict[str, str] = {
    "log_timestamp": "VARCHAR", "c_ip": "VARCHAR", "time_to_first_byte": "DOUBLE", "sc_status": "INTEGER",
    "sc_bytes": "BIGINT", "cs_method": "VARCHAR", "cs_protocol": "VARCHAR", "cs_host": "VARCHAR",
    "cs_uri_stem": "VARCHAR", "cs_bytes": "BIGINT", "x_edge_location": "VARCHAR", "x_edge_request_id": "VARCHAR",
    "x_host_header": "VARCHAR", "time_taken": "DOUBLE", "cs_protocol_version": "VARCHAR",
    "c_ip_version": "VARCHAR", "cs_user_agent": "VARCHAR", "cs_referer": "VARCHAR", "cs_cookie": "VARCHAR",
    "cs_uri_query": "VARCHAR", "x_edge_response_result_type": "VARCHAR", "x_forwarded_for": "VARCHAR",
    "ssl_protocol": "VARCHAR", "ssl_cipher": "VARCHAR", "x_edge_result_type": "VARCHAR",
    "fle_encrypted_fields": "INTEGER", "fle_status": "VARCHAR", "sc_content_type": "VARCHAR",
    "sc_content_len": "BIGINT", "sc_range_start": "BIGINT", "sc_range_end": "BIGINT", "c_port": "INTEGER",
    "x_edge_detailed_result_type": "VARCHAR", "c_country": "VARCHAR", "cs_accept_encoding": "VARCHAR",
    "cs_accept": "VARCHAR", "cache_behavior_path_pattern": "VARCHAR",
    # Added later: each may end the record.
    "cs_headers": "VARCHAR", "cs_header_names": "VARCHAR", "cs_headers_count": "INTEGER",
    "primary_distribution_id": "VARCHAR", "primary_distribution_dns_name": "VARCHAR", "origin_fbl": "DOUBLE",
    "origin_lbl": "DOUBLE", "asn": "BIGINT",
    "extra_fields": "VARCHAR",
}  # fmt: skip
_REQUIRED = 37


def _trailing(count: int) -> str:
    tail = r"(?:\t(.*))?"
    for _ in range(count):
        tail = rf"(?:\t([^\t]*){tail})?"
    return tail


class CloudFrontRealtimeParser(RegexParser):
    name = "cloudfront_realtime"
    table = "cloudfront_realtime_logs"
    pattern = r"([0-9]{10}\.[0-9]{3})" + r"\t([^\t]*)" * (_REQUIRED - 1) + _trailing(len(COLUMNS) - 1 - _REQUIRED) + "$"
    # Epoch seconds, a dot, milliseconds, a tab: no other format starts so.
    guard = "substr({m}, 15, 1) = chr(9) AND substr({m}, 11, 1) = '.'"
    groups = tuple(COLUMNS)
    columns = tuple(text(name, type_) for name, type_ in COLUMNS.items())
    time = "{s}.log_timestamp"
    level = "CASE WHEN TRY_CAST({s}.sc_status AS INTEGER) >= 500 THEN 'ERROR' END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The groups from the tab split (tab_fields.py), not the 46-group regex."""
        tokens = f"{self.struct_column}_tokens"
        return replace(
            super().plan(con, max_depth),
            staging={tokens: f"string_split({LINE.format(m='message')}, chr(9))"},
            derived={self.struct_column: struct_by_tabs(tokens, list(COLUMNS))},
        )


# Written for loglake (Apache-2.0) in the guide's field order, with the guide's example values.
_RECORD = [
    "1598996474.123", "192.0.2.100", "0.002", "200", "392", "GET", "https", "d111111abcdef8.cloudfront.net",
    "/index.html", "23", "LAX1", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
    "d111111abcdef8.cloudfront.net", "0.003", "HTTP/2.0", "IPv4", "curl/7.68.0", "-", "-", "-", "Hit", "-",
    "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit", "-", "-", "text/html", "78", "-", "-", "11040", "Hit", "US",
    "gzip", "*/*", "*",
]  # fmt: skip
EXAMPLES = [
    Example(
        "\t".join(_RECORD),
        {
            "log_timestamp": "1598996474.123",
            "c_ip": "192.0.2.100",
            "time_to_first_byte": 0.002,
            "sc_status": 200,
            "sc_bytes": 392,
            "cs_uri_stem": "/index.html",
            "x_edge_location": "LAX1",
            "c_ip_version": "IPv4",
            "cs_referer": None,
            "c_port": 11040,
            "c_country": "US",
            "cache_behavior_path_pattern": "*",
            "cs_headers": None,
            "asn": None,
            "extra_fields": None,
            "timestamp": "2020-09-01 21:41:14.123",
        },
    ),
    Example(
        "\t".join(
            [
                *_RECORD,
                "Host:d111111abcdef8.cloudfront.net%0A",
                "Host%0A",
                "1",
                "E1ABCDEF",
                "d1.cloudfront.net",
                "0.001",
                "0.002",
                "16509",
            ]
        ),
        {
            "cs_headers_count": 1,
            "primary_distribution_id": "E1ABCDEF",
            "origin_lbl": 0.002,
            "asn": 16509,
            "extra_fields": None,
        },
    ),
]
