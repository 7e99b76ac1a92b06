"""cloudfront: Amazon CloudFront standard logs (access logs), into AWS's documented `cloudfront_logs` table.

A record is one line of tab-separated values (W3C extended format) in the fixed order of CloudFront's
guide. The columns are those of AWS's Athena table, with its names and types, except `time_taken` and
`time_to_first_byte`: AWS declares them FLOAT, the schema registry has no 4-byte float, so they are
DOUBLE (the same values, compared the same way). Values stay as CloudFront writes them (the user agent
URL-encoded, as Athena shows it); `-` and empty fields are NULL.

CloudFront grew the record: 24 fields up to `cs-protocol-version`, 26 with field-level encryption, 33
since 2019 (`c-port` to `sc-range-end`). Each field after `cs-uri-query` (the 12th) may end the record,
but none may be skipped: the absent ones are NULL. Whatever follows the 33rd field is kept in
`extra_fields` (an empty trailing field, as in one of AWS's own examples, is NULL there).

Each log file begins with two header lines, `#Version: 1.0` and `#Fields: ...`. They are not requests,
so they are no rows of `cloudfront_logs`: AWS's table skips them (`skip.header.line.count`), and here
they stay in `logs` as text (format `text`), so that every raw event is still counted exactly once.

A `#Fields` line that is not the guide's order (a field selection of standard logging v2) gives the
order: records with as many fields are read by name, fields of the guide's list into their columns, the
others (`c-country`, `asn`, ...) into `extra_fields` as a JSON object. The line is remembered for the
stream (lake/stream_headers.py), so the later objects of a file split across raw objects are read in its
order too; without such a line, the guide's fixed order applies.
"""

from __future__ import annotations

from typing import Any

from loglake.lake.stream_headers import CREATE_REMEMBERED, REMEMBERED_TABLE
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser
from loglake.transform.parsers.tab_fields import struct_by_tabs

COLUMNS: dict[str, str] = {
    "date": "DATE", "time": "VARCHAR", "location": "VARCHAR", "bytes": "BIGINT", "request_ip": "VARCHAR",
    "method": "VARCHAR", "host": "VARCHAR", "uri": "VARCHAR", "status": "INTEGER", "referrer": "VARCHAR",
    "user_agent": "VARCHAR", "query_string": "VARCHAR", "cookie": "VARCHAR", "result_type": "VARCHAR",
    "request_id": "VARCHAR", "host_header": "VARCHAR", "request_protocol": "VARCHAR", "request_bytes": "BIGINT",
    "time_taken": "DOUBLE", "xforwarded_for": "VARCHAR", "ssl_protocol": "VARCHAR", "ssl_cipher": "VARCHAR",
    "response_result_type": "VARCHAR", "http_version": "VARCHAR", "fle_status": "VARCHAR",
    "fle_encrypted_fields": "INTEGER", "c_port": "INTEGER", "time_to_first_byte": "DOUBLE",
    "x_edge_detailed_result_type": "VARCHAR", "sc_content_type": "VARCHAR", "sc_content_len": "BIGINT",
    "sc_range_start": "BIGINT", "sc_range_end": "BIGINT", "extra_fields": "VARCHAR",
}  # fmt: skip
_REQUIRED = 12
"""Fields every record has, up to `cs-uri-query`; the 21 after it may each end the record."""


def _trailing(count: int) -> str:
    """Each later field optional once the one before it is there (nested groups: a record stops after any
    of them, never skips one); after the last, whatever CloudFront appends."""
    tail = r"(?:\t(.*))?"
    for _ in range(count):
        tail = rf"(?:\t([^\t]*){tail})?"
    return tail


W3C_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id",
    "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port",
    "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end",
)  # fmt: skip
"""The `#Fields` names of the guide's order, one per column of COLUMNS (all but extra_fields)."""
_STANDARD = "[" + ", ".join(sql_string(f) for f in W3C_FIELDS) + "]"
_TOKENS, _ORDER, _CUSTOM, _TIME = "__ll_cf_tokens", "__ll_cf_order", "__ll_cf_custom", "__ll_cf_time"
_FIELDS_TABLE = "__ll_cf_fields"


def _named(field: str) -> str:
    """SQL: the token of a record read in its `#Fields` order, by field name (NULL when not selected)."""
    position = f"list_position({_ORDER}, {sql_string(field)})"
    return f"CASE WHEN {position} > 0 THEN {_TOKENS}[{position}] END"


_UNKNOWN = f"list_filter(list_zip({_ORDER}, {_TOKENS}), lambda p: NOT list_contains({_STANDARD}, p[1]))"
_EXTRA_BY_NAME = (
    f"CASE WHEN len({_UNKNOWN}) > 0 THEN to_json(map(list_transform({_UNKNOWN}, lambda p: p[1]), "
    f"list_transform({_UNKNOWN}, lambda p: p[2])))::VARCHAR END"
)


def _column(name: str, type_: str) -> Column:
    by_name = _EXTRA_BY_NAME if name == "extra_fields" else _named(W3C_FIELDS[list(COLUMNS).index(name)])
    return Column(name, type_, f"CASE WHEN {_CUSTOM} THEN {by_name} ELSE {{s}}.{name} END")


class CloudFrontParser(RegexParser):
    name = "cloudfront"
    table = "cloudfront_logs"
    # `$`: regexp_extract searches rather than matching whole, and could stop before an optional field.
    pattern = (
        r"([0-9]{4}-[0-9]{2}-[0-9]{2})\t([0-9]{2}:[0-9]{2}:[0-9]{2})"
        + r"\t([^\t]*)" * (_REQUIRED - 2)
        + _trailing(len(COLUMNS) - 1 - _REQUIRED)
        + "$"
    )
    # A date then a tab: cheap, and no other format starts so; any line once a `#Fields` selection is known.
    guard = f"(SELECT custom FROM {_FIELDS_TABLE}) OR (substr({{m}}, 11, 1) = chr(9) AND substr({{m}}, 5, 1) = '-')"
    settled = (f"(SELECT custom FROM {_FIELDS_TABLE})",)
    """Subqueries of the guard and the detection that are one value per object: classification reads them
    once and uses their values (etl._settled)."""
    groups = tuple(COLUMNS)
    columns = tuple(_column(name, type_) for name, type_ in COLUMNS.items())
    time = (
        f"CASE WHEN {_CUSTOM} THEN coalesce({_named('date')} || ' ' || {_named('time')}, {_named('timestamp')}, "
        f"{_named('timestamp(ms)')}) ELSE {{s}}.date || ' ' || {{s}}.time END"
    )
    level = (
        f"CASE WHEN TRY_CAST(CASE WHEN {_CUSTOM} THEN {_named('sc-status')} ELSE {{s}}.status END AS INTEGER) "
        ">= 500 THEN 'ERROR' END"
    )

    def setup(self) -> list[str]:
        line = LINE.format(m="message")
        found = (
            f"(SELECT string_split(trim(substr({line}, 10)), ' ') FROM raw_lines "
            "WHERE starts_with(message, '#Fields: ') LIMIT 1)"
        )
        remembered = f"(SELECT fields FROM {REMEMBERED_TABLE} WHERE format = {sql_string(self.name)} LIMIT 1)"
        return [
            CREATE_REMEMBERED,
            f"CREATE OR REPLACE TEMP TABLE __ll_header_{self.name} AS "
            f"SELECT found AS fields FROM (SELECT {found} AS found) WHERE found IS NOT NULL",
            f"CREATE OR REPLACE TEMP TABLE {_FIELDS_TABLE} AS SELECT fields, "
            f"coalesce(fields <> {_STANDARD}[1:len(fields)], false) AS custom FROM (SELECT coalesce("
            f"(SELECT fields FROM __ll_header_{self.name}), {remembered}) AS fields)",
        ]

    def detect(self, message: str) -> str:
        line = LINE.format(m=message)
        by_name = (
            f"NOT starts_with({message}, '#') AND "
            f"len(string_split({line}, chr(9))) = len((SELECT fields FROM {_FIELDS_TABLE}))"
        )
        return f"(CASE WHEN (SELECT custom FROM {_FIELDS_TABLE}) THEN {by_name} ELSE {super().detect(message)} END)"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        plan = super().plan(con, max_depth)
        plan.staging = {
            _TOKENS: f"string_split({LINE.format(m='message')}, chr(9))",
            _ORDER: f"(SELECT fields FROM {_FIELDS_TABLE})",
            _CUSTOM: f"(SELECT custom FROM {_FIELDS_TABLE})",
        }
        # The groups from the tab split (tab_fields.py); a line read by name (a custom order) does not read them.
        # The time string is a column of its own: ll_parse_time names its argument in every branch of its
        # cascade (timestamps.py), and this CASE over the custom order, copied into each, cost 40 ms of
        # planning per object (59 -> 18 ms for the time of 50,000 records, benchmarks/README.md).
        plan.derived = {self.struct_column: struct_by_tabs(_TOKENS, list(COLUMNS)), _TIME: plan.time}
        plan.time = _TIME
        return plan


_UA = (
    "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)"
    "%20Chrome/78.0.3904.108%20Safari/537.36"
)
# AWS's example log file for a web distribution (CloudFront developer guide; tests/events/ATTRIBUTION.md).
_RECORD_2019 = [
    "2019-12-04", "21:02:31", "LAX1", "392", "192.0.2.100", "GET", "d111111abcdef8.cloudfront.net", "/index.html",
    "200", "-", _UA, "-", "-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
    "d111111abcdef8.cloudfront.net", "https", "23", "0.001", "-", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "Hit",
    "HTTP/2.0", "-", "-", "11040", "0.001", "Hit", "text/html", "78", "-", "-",
]  # fmt: skip
# The same guide's example from an earlier version of the page, when records had 26 fields.
_RECORD_2014 = [
    "2014-05-23", "01:13:11", "FRA2", "182", "192.0.2.10", "GET", "d111111abcdef8.cloudfront.net",
    "/view/my/file.html", "200", "www.displaymyfiles.com", "Mozilla/4.0%20(compatible;%20MSIE%205.0b1;%20Mac_PowerPC)",
    "-", "zip=98101", "RefreshHit", "MRVMF7KydIvxMWfJIglgwHQwZsbG2IhRJ07sn9AkKUFSHS9EXAMPLE==",
    "d111111abcdef8.cloudfront.net", "http", "-", "0.001", "-", "-", "-", "RefreshHit", "HTTP/1.1", "Processed", "1",
]  # fmt: skip
EXAMPLES = [
    Example(
        "\t".join(_RECORD_2019),
        {
            "date": "2019-12-04",
            "time": "21:02:31",
            "location": "LAX1",
            "bytes": 392,
            "request_ip": "192.0.2.100",
            "uri": "/index.html",
            "status": 200,
            "referrer": None,
            "user_agent": _UA,
            "result_type": "Hit",
            "request_protocol": "https",
            "request_bytes": 23,
            "time_taken": 0.001,
            "ssl_protocol": "TLSv1.2",
            "http_version": "HTTP/2.0",
            "fle_encrypted_fields": None,
            "c_port": 11040,
            "time_to_first_byte": 0.001,
            "sc_content_type": "text/html",
            "sc_content_len": 78,
            "sc_range_end": None,
            "extra_fields": None,
            "timestamp": "2019-12-04 21:02:31",
        },
    ),
    Example(  # a 2014 record of 26 fields, ending at fle-encrypted-fields
        "\t".join(_RECORD_2014),
        {
            "date": "2014-05-23",
            "status": 200,
            "cookie": "zip=98101",
            "request_bytes": None,
            "http_version": "HTTP/1.1",
            "fle_status": "Processed",
            "fle_encrypted_fields": 1,
            "c_port": None,
            "sc_range_end": None,
            "extra_fields": None,
            "level": None,
        },
    ),
]
