"""alb_connection: Application Load Balancer connection logs, into AWS's documented `alb_connection_logs`.

One record per TLS (or plain) connection: the time, the client, the listener port, the TLS protocol,
cipher and handshake latency, the leaf client certificate (mutual TLS) and the verification status,
and the connection trace id that the access log's records carry too. The columns are those of AWS's
Athena table (the ELB guide documents the fields), with its names and types; `day` (`yyyy/MM/dd`) is
the partition column of AWS's partition-projection table. The pattern is AWS's input.regex with the
time's shape spelled out so that no other format's line matches it.

The ELB guide documents a 13th field, `tls_keyexchange`, which AWS's table does not have: it is a
column here; whatever follows it is kept in `extra_fields`. `-` is NULL, and `"-"` as the subject too.
A failed verification (`Failed:ClientCertUntrusted`) is level ERROR.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser, cut_or_regex, text

COLUMNS: dict[str, str] = {
    "time": "VARCHAR", "client_ip": "VARCHAR", "client_port": "INTEGER", "listener_port": "INTEGER",
    "tls_protocol": "VARCHAR", "tls_cipher": "VARCHAR", "tls_handshake_latency": "DOUBLE",
    "leaf_client_cert_subject": "VARCHAR", "leaf_client_cert_validity": "VARCHAR",
    "leaf_client_cert_serial_number": "VARCHAR", "tls_verify_status": "VARCHAR", "conn_trace_id": "VARCHAR",
    "tls_keyexchange": "VARCHAR", "extra_fields": "VARCHAR",
}  # fmt: skip
_DAY = Column("day", "VARCHAR", "strftime(TRY_CAST({s}.time AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y/%m/%d')")


class AlbConnectionParser(RegexParser):
    name = "alb_connection"
    table = "alb_connection_logs"
    # `$`: regexp_extract searches rather than matching whole, and could stop before an optional field.
    pattern = (
        r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z) ([^ ]*) ([0-9]*) ([0-9]*) ([A-Za-z0-9.-]*) ([^ ]*) ([-.0-9]*) "
        r'"([^"]*)" ([^ ]*) ([^ ]*) ([^ ]*) (TID_[^ ]*|-)(?: ([^ ]*)(?: (.*))?)?$'
    )
    # The time has microseconds: 'Z ' at 27, which spares most lines that start with a date the regex.
    guard = "substr({m}, 27, 2) = 'Z ' AND substr({m}, 11, 1) = 'T' AND substr({m}, 5, 1) = '-'"
    groups = tuple(COLUMNS)
    columns = (*(text(name, type_) for name, type_ in COLUMNS.items()), _DAY)
    time = "{s}.time"
    level = "CASE WHEN starts_with({s}.tls_verify_status, 'Failed') THEN 'ERROR' END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _split_at_spaces makes (the regex's own groups).
        The plan is its own, so classification tests the full match (0.08 s per 50,000 lines) instead of
        extracting the 14 groups in it (likely_format.py; 0.24 s); the split and its struct add about 0.05 s
        to the write: 0.84 s to 0.69 s of CPU per object (medians of 3, benchmarks/README.md)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_split_at_spaces(self.pattern, self.groups, self.struct_column))


def _split_at_spaces(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for the whole pattern, read from
    the line split at single spaces (one string_split, no regex) where the subject holds no space.

    Why the groups are the same. The plan reads only lines that matched the pattern whole (detection). Its
    fields 1-7 match no space and are separated by single spaces, so they are the line's first 7 words.
    Word 8 begins with the subject's opening quote; the subject `[^"]*` ends at the next `"`, which `" `
    follows. Where the subject holds no space, word 8 is the quoted subject whole: at least 2 characters
    and ending in `"`; where it holds one, word 8 is `"` and a part of it without a quote, which never
    ends in `"` unless it is `"` alone (so the test `length >= 2 AND ends in "` tells the two apart).
    Fields 9-12 match no space either: words 9-12. Then `(?: ([^ ]*)(?: (.*))?)?$`: word 13 is
    tls_keyexchange (group unmatched, '', when the line ends after word 12), and words 14 on, joined by
    the spaces they were split at, are `extra_fields` (''). Every split is at a space the pattern's
    separators fixed, so the parse is the only one and regexp_extract's groups are these words. A line
    whose subject holds a space (or with fewer than 12 words, never one that matched) takes the whole
    pattern's regexp_extract, as before."""
    c = f"{struct}_"
    line, words, fast = f"{c}line", f"{c}words", f"{c}fast"
    assert len(groups) == 14 and groups[7] == "leaf_client_cert_subject" and groups[-1] == "extra_fields"
    values = [f"{words}[{n}]" for n in range(1, 8)]
    values.append(f"substr({words}[8], 2, length({words}[8]) - 2)")
    values += [f"{words}[{n}]" for n in range(9, 13)]
    values.append(f"coalesce({words}[13], '')")
    values.append(f"CASE WHEN len({words}) >= 14 THEN array_to_string({words}[14:], ' ') ELSE '' END")
    return {
        line: LINE.format(m="message"),
        words: f"string_split({line}, ' ')",
        fast: f"coalesce(len({words}) >= 12 AND length({words}[8]) >= 2 AND suffix({words}[8], '\"'), false)",
        struct: cut_or_regex(fast, dict(zip(groups, values, strict=True)), line, pattern, groups),
    }


# The ELB guide's two example entries (tests/events/ATTRIBUTION.md), wrapped over lines there, joined with
# single spaces.
_SUBJECT = "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US"
_VALIDITY = "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z"
EXAMPLES = [
    Example(
        "2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "
        f'"{_SUBJECT}" {_VALIDITY} FEF257372D5C14D4 Success TID_3180a73013c8ca4bac2f731159d4b0fe',
        {
            "time": "2023-10-04T17:05:15.514108Z",
            "client_ip": "203.0.113.1",
            "client_port": 36280,
            "listener_port": 443,
            "tls_protocol": "TLSv1.2",
            "tls_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "tls_handshake_latency": 4.036,
            "leaf_client_cert_subject": _SUBJECT,
            "leaf_client_cert_validity": _VALIDITY,
            "leaf_client_cert_serial_number": "FEF257372D5C14D4",
            "tls_verify_status": "Success",
            "conn_trace_id": "TID_3180a73013c8ca4bac2f731159d4b0fe",
            "tls_keyexchange": None,
            "extra_fields": None,
            "day": "2023/10/04",
            "timestamp": "2023-10-04 17:05:15.514108",
            "level": None,
        },
    ),
    Example(
        "2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "
        f'"{_SUBJECT}" {_VALIDITY} FEF257372D5C14D4 Failed:ClientCertUntrusted TID_1c71a68d70587445ad5127ff8b2687d7',
        {
            "tls_handshake_latency": None,
            "tls_verify_status": "Failed:ClientCertUntrusted",
            "conn_trace_id": "TID_1c71a68d70587445ad5127ff8b2687d7",
            "level": "ERROR",
        },
    ),
    Example(  # ours: a plain HTTP listener, then the key exchange and two later fields
        '2024-03-01T07:11:32.882572Z 198.51.100.159 61814 80 - - - "-" - - - TID_14bdaac20df9aa4ca3139b3168e4e071 '
        "- app/my-loadbalancer/50dc6c495c0c9188 192.0.2.57",
        {
            "tls_protocol": None,
            "tls_handshake_latency": None,
            "leaf_client_cert_subject": None,
            "tls_verify_status": None,
            "tls_keyexchange": None,
            "extra_fields": "app/my-loadbalancer/50dc6c495c0c9188 192.0.2.57",
            "day": "2024/03/01",
        },
    ),
]
