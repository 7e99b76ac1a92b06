"""nlb: Network Load Balancer access logs (TLS listeners), into AWS's documented `nlb_tls_logs` table.

Columns and types are those of AWS's Athena table, so AWS's example queries run unchanged. The record
is space-separated with no quoted spaces, so it is split with string functions (one `string_split`),
and a full match without capture groups decides whether a line is one.

NLB grew the record: it ended at `domain_name` (18 fields), then gained the three ALPN fields (2020)
and `tls_connection_creation_time`. AWS's regex needs exactly the 21 fields up to
`alpn_client_preference_list`; here each field after `domain_name` may end the record (absent ones are
NULL), `tls_connection_creation_time` has a column of its own, and anything after it is kept in
`extra_fields`. `-` is NULL.
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser

_F = "[^ ]*"
_PATTERN = (
    rf"tls [0-9.]+ {_F} net/{_F} {_F} {_F}:[0-9]+ {_F}:[0-9]+ [-.0-9]* [-.0-9]* [-0-9]* [-0-9]* [-0-9]* "
    rf"{_F} {_F} {_F} {_F} {_F} {_F}(?: .*)?"
)
# AWS's columns (name, type, token): `client_ip`/`client_port` and `target_ip`/`target_port` share one.
_TOKENS: tuple[tuple[str, str, int], ...] = (
    ("type", "VARCHAR", 1), ("version", "VARCHAR", 2), ("time", "VARCHAR", 3), ("elb", "VARCHAR", 4),
    ("listener_id", "VARCHAR", 5), ("tcp_connection_time_ms", "DOUBLE", 8), ("tls_handshake_time_ms", "DOUBLE", 9),
    ("received_bytes", "BIGINT", 10), ("sent_bytes", "BIGINT", 11), ("incoming_tls_alert", "INTEGER", 12),
    ("cert_arn", "VARCHAR", 13), ("certificate_serial", "VARCHAR", 14), ("tls_cipher_suite", "VARCHAR", 15),
    ("tls_protocol_version", "VARCHAR", 16), ("tls_named_group", "VARCHAR", 17), ("domain_name", "VARCHAR", 18),
    ("alpn_fe_protocol", "VARCHAR", 19), ("alpn_be_protocol", "VARCHAR", 20),
    ("alpn_client_preference_list", "VARCHAR", 21), ("tls_connection_creation_time", "VARCHAR", 22),
)  # fmt: skip


def _address(token: int) -> tuple[str, str]:
    """SQL for the address and the port of an `ip:port` token (the port follows the last colon), with string
    functions: `cut` is the port's length plus one."""
    cut = f"strpos(reverse({{s}}[{token}]), ':')"
    return f"left({{s}}[{token}], -{cut})", f"right({{s}}[{token}], {cut} - 1)"


_CLIENT, _TARGET = _address(6), _address(7)
_BY_NAME = {name: Column(name, type_, f"{{s}}[{token}]") for name, type_, token in _TOKENS}
COLUMNS = (
    *(_BY_NAME[n] for n in ("type", "version", "time", "elb", "listener_id")),
    Column("client_ip", "VARCHAR", _CLIENT[0]),
    Column("client_port", "INTEGER", _CLIENT[1]),
    Column("target_ip", "VARCHAR", _TARGET[0]),
    Column("target_port", "INTEGER", _TARGET[1]),
    *(column for name, column in _BY_NAME.items() if name not in ("type", "version", "time", "elb", "listener_id")),
    # Only where there is a 23rd token: array_to_string of the empty slice cost 13 ms per 50,000 records.
    # The same value: NULL where the slice is empty, as its '' is (the column's nullif).
    Column("extra_fields", "VARCHAR", "CASE WHEN len({s}) > 22 THEN array_to_string({s}[23:], ' ') END"),
)


class NlbParser(FixedSchemaParser):
    name = "nlb"
    table = "nlb_tls_logs"
    guard = "starts_with({m}, 'tls ')"
    columns = COLUMNS
    time = "{s}[3]"

    def matches(self, message: str) -> str:
        return f"regexp_full_match({LINE.format(m=message)}, {sql_string(_PATTERN)})"

    def staged(self, message: str) -> str:
        return f"string_split({LINE.format(m=message)}, ' ')"


# The ELB guide's two example entries (tests/events/ATTRIBUTION.md), wrapped over lines there, joined
# with single spaces; the 2018 one as OpenTelemetry's test data has it, with tls_connection_creation_time.
_CERT = "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99"
_DOMAIN = "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com"
EXAMPLES = [
    Example(
        "tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd "
        f"72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - {_CERT} - ECDHE-RSA-AES128-SHA tlsv12 - "
        f'{_DOMAIN} h2 h2 "h2","http/1.1"',
        {
            "type": "tls",
            "version": "2.0",
            "time": "2020-04-01T08:51:42",
            "elb": "net/my-network-loadbalancer/c6e77e28c25b2234",
            "listener_id": "g3d4b5e8bb8464cd",
            "client_ip": "72.21.218.154",
            "client_port": 51341,
            "target_ip": "172.100.100.185",
            "target_port": 443,
            "tcp_connection_time_ms": 5.0,
            "tls_handshake_time_ms": 2.0,
            "received_bytes": 98,
            "sent_bytes": 246,
            "incoming_tls_alert": None,
            "cert_arn": _CERT,
            "certificate_serial": None,
            "tls_cipher_suite": "ECDHE-RSA-AES128-SHA",
            "tls_protocol_version": "tlsv12",
            "tls_named_group": None,
            "domain_name": _DOMAIN,
            "alpn_fe_protocol": "h2",
            "alpn_be_protocol": "h2",
            "alpn_client_preference_list": '"h2","http/1.1"',
            "tls_connection_creation_time": None,
            "extra_fields": None,
            "timestamp": "2020-04-01 08:51:42",
        },
    ),
    Example(
        "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd "
        f"72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - {_CERT} - ECDHE-RSA-AES128-SHA tlsv12 - "
        f"{_DOMAIN} - - - 2018-12-20T02:59:30",
        {
            "time": "2018-12-20T02:59:40",
            "alpn_fe_protocol": None,
            "alpn_client_preference_list": None,
            "tls_connection_creation_time": "2018-12-20T02:59:30",
            "extra_fields": None,
            "timestamp": "2018-12-20 02:59:40",
        },
    ),
    Example(  # ours: before the ALPN fields the record ended at domain_name; an IPv6 client
        "tls 1.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd "
        f"[2001:db8::1]:51341 172.100.100.185:443 5 2 98 246 - {_CERT} - ECDHE-RSA-AES128-SHA tlsv12 - {_DOMAIN}",
        {
            "version": "1.0",
            "client_ip": "[2001:db8::1]",
            "client_port": 51341,
            "domain_name": _DOMAIN,
            "alpn_fe_protocol": None,
            "extra_fields": None,
        },
    ),
]
