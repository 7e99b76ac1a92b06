"""elb_classic: Classic Load Balancer access logs, into AWS's documented `elb_logs` table.

The pattern is the input.regex of AWS's Athena table and the columns are its columns, with its names
and types (`elb_response_code` and `backend_response_code` stay strings, as AWS declares them), so AWS's
example queries run unchanged. Two differences, both about what a value looks like, not what it is:
- AWS's first column, `timestamp` (a string), is the envelope's `timestamp` here: the same instant
  (microseconds kept), as a TIMESTAMP; a table cannot hold two columns of one name.
- `user_agent` is the agent without the surrounding double quotes that AWS's regex keeps.
A backend of `-` or `-1` (no backend answered) leaves `backend_ip` and `backend_port` NULL, where Athena
shows an empty string (and, for `-1`, port 1); TCP and SSL listeners write the request as `"- - - "`: its
three parts are NULL.

Records written before May 2015 end at the request: `user_agent`, `ssl_cipher` and `ssl_protocol`
came later. AWS's regex needs them, and such a record would not be read by AWS's table; here they
are NULL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, cut_or_regex, text
from loglake.transform.parsers.trailing_digits import before_trailing_digits

COLUMNS: dict[str, str] = {
    "elb_name": "VARCHAR", "request_ip": "VARCHAR", "request_port": "INTEGER", "backend_ip": "VARCHAR",
    "backend_port": "INTEGER", "request_processing_time": "DOUBLE", "backend_processing_time": "DOUBLE",
    "client_response_time": "DOUBLE", "elb_response_code": "VARCHAR", "backend_response_code": "VARCHAR",
    "received_bytes": "BIGINT", "sent_bytes": "BIGINT", "request_verb": "VARCHAR", "url": "VARCHAR",
    "protocol": "VARCHAR", "user_agent": "VARCHAR", "ssl_cipher": "VARCHAR", "ssl_protocol": "VARCHAR",
}  # fmt: skip


class ElbClassicParser(RegexParser):
    name = "elb_classic"
    table = "elb_logs"
    # AWS's regex, with the time's shape spelled out (other formats start with a word or a date too), the
    # user agent's quotes outside its group, and the last three fields optional together (before 2015).
    pattern = (
        # A backend of `-` or `-1` (none answered) has no address and no port: AWS's `([^ ]*)[:-]([0-9]*)`
        # would read `-1` as port 1.
        r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z) ([^ ]*) ([^ ]*):([0-9]*) (?:([^ ]*):([0-9]*)|-1?) ([-.0-9]*) "
        r'([-.0-9]*) ([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) "([^ ]*) ([^ ]*) (- |[^ ]*)"'
        r'(?: "([^"]*)" ([A-Z0-9-]+) ([A-Za-z0-9.-]*))?$'
    )
    # The time has microseconds: 'Z ' at 27, which spares most lines that start with a date the regex.
    guard = "substr({m}, 27, 2) = 'Z ' AND substr({m}, 11, 1) = 'T' AND substr({m}, 5, 1) = '-'"
    groups = ("timestamp", *COLUMNS)
    columns = tuple(text(name, type_, nulls=("-", "- ")) for name, type_ in COLUMNS.items())
    time = "{s}.timestamp"
    level = "CASE WHEN TRY_CAST({s}.elb_response_code AS INTEGER) >= 500 THEN 'ERROR' END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _split_at_spaces makes (the regex's own groups).
        The plan is its own, so classification tests the full match (0.03 s per 50,000 lines) instead of
        extracting the 20 groups in it (likely_format.py; 0.18 s); the split and its struct cost about 0.1 s
        in the write: 0.70 s to 0.63 s of CPU per object (medians of 3, benchmarks/README.md)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_split_at_spaces(self.pattern, self.groups, self.struct_column))


def _split_at_spaces(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for the whole pattern, read from
    the line split at single spaces (one string_split, no regex).

    Why the groups are the same. The plan reads only lines that matched the pattern whole (detection).
    - Fields 1-11 match no space and are separated by single spaces: they are words 1-11. In `ip:port`
      (`([^ ]*):([0-9]*)`) the port is the word's trailing digits and the address what precedes their
      colon (only the last colon leaves digits alone after it); the backend is such a word when it holds a
      colon, else `-` or `-1` (the alternative `-1?`), whose two groups are unmatched ('').
    - The request `"([^ ]*) ([^ ]*) (- |[^ ]*)"`: word 12 is `"` and the verb, word 13 the URL. The
      protocol `- ` (tried first) leaves word 14 `-` and word 15 the closing `"`; otherwise word 14 is the
      protocol and the closing quote (a `-` alone could not be: `[^ ]*` must be followed by `"`). So the
      request ends at word e = 15 or 14.
    - The line ends there (the optional group unmatched: ''), or goes on ` "agent" cipher protocol`: the
      last two words are the cipher and the protocol (neither holds a space), and words e+1 to n-2,
      joined by the spaces they were split at, are the quoted agent (`[^"]*`, spaces allowed).
    Every split is at a space the pattern's separators fixed, so the parse is the only one and
    regexp_extract's groups are these words. A line outside these shapes (never one that matched) takes
    the whole pattern's regexp_extract, as before."""
    c = f"{struct}_"
    line, words, end, agent, client, backend, fast = (
        f"{c}{n}" for n in ("line", "words", "end", "agent", "client", "backend", "fast")
    )
    assert groups[:6] == ("timestamp", "elb_name", "request_ip", "request_port", "backend_ip", "backend_port")
    assert groups[13:] == ("request_verb", "url", "protocol", "user_agent", "ssl_cipher", "ssl_protocol")

    def w(n: int | str) -> str:
        return f"{words}[{n}]"

    values = [w(1), w(2), f"left({w(3)}, {client} - 1)", f"substr({w(3)}, {client} + 1)"]
    values += [f"coalesce(left({w(4)}, {backend} - 1), '')", f"coalesce(substr({w(4)}, {backend} + 1), '')"]
    values += [w(n) for n in range(5, 12)]
    values += [f"substr({w(12)}, 2)", w(13), f"CASE WHEN {end} = 15 THEN '- ' ELSE left({w(14)}, -1) END"]
    values.append(f"coalesce(substr({agent}, 2, length({agent}) - 2), '')")
    values += [f"CASE WHEN {agent} IS NULL THEN '' ELSE {w(f'len({words}) - {k}')} END" for k in (1, 0)]
    shape = [
        f"len({words}) >= {end}",
        f"substr({w(3)}, {client}, 1) = ':'",
        f"(CASE WHEN {backend} IS NULL THEN {w(4)} IN ('-', '-1') ELSE substr({w(4)}, {backend}, 1) = ':' END)",
        f"starts_with({w(12)}, '\"')",
        f"(CASE WHEN {end} = 15 THEN {w(15)} = '\"' ELSE suffix({w(14)}, '\"') END)",
        f"(CASE WHEN len({words}) = {end} THEN true WHEN {agent} IS NULL THEN false "
        f"ELSE length({agent}) >= 2 AND starts_with({agent}, '\"') AND suffix({agent}, '\"') END)",
    ]
    return {
        line: LINE.format(m="message"),
        words: f"string_split({line}, ' ')",
        end: f"CASE WHEN {w(14)} = '-' THEN 15 ELSE 14 END",
        agent: f"CASE WHEN len({words}) >= {end} + 3 "
        f"THEN array_to_string(list_slice({words}, {end} + 1, len({words}) - 2), ' ') END",
        # Where the port's digits begin, less one: the colon (the port is the word's trailing digits).
        client: before_trailing_digits(w(3)),
        backend: f"CASE WHEN contains({w(4)}, ':') THEN {before_trailing_digits(w(4))} END",
        fast: f"coalesce({' AND '.join(shape)}, false)",
        struct: cut_or_regex(fast, dict(zip(groups, values, strict=True)), line, pattern, groups),
    }


# The Classic Load Balancer guide's four example entries (tests/events/ATTRIBUTION.md).
_HEAD = "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80"
EXAMPLES = [
    Example(  # HTTP listener
        f'{_HEAD} 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -',
        {
            "elb_name": "my-loadbalancer",
            "request_ip": "192.168.131.39",
            "request_port": 2817,
            "backend_ip": "10.0.0.1",
            "backend_port": 80,
            "request_processing_time": 0.000073,
            "backend_processing_time": 0.001048,
            "client_response_time": 0.000057,
            "elb_response_code": "200",
            "backend_response_code": "200",
            "received_bytes": 0,
            "sent_bytes": 29,
            "request_verb": "GET",
            "url": "http://www.example.com:80/",
            "protocol": "HTTP/1.1",
            "user_agent": "curl/7.38.0",
            "ssl_cipher": None,
            "ssl_protocol": None,
            "timestamp": "2015-05-13 23:39:43.945958",
            "level": None,
        },
    ),
    Example(  # HTTPS listener
        f'{_HEAD} 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" '
        '"curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2',
        {
            "request_processing_time": 0.000086,
            "client_response_time": 0.001337,
            "sent_bytes": 57,
            "url": "https://www.example.com:443/",
            "ssl_cipher": "DHE-RSA-AES128-SHA",
            "ssl_protocol": "TLSv1.2",
        },
    ),
    Example(  # TCP listener: no HTTP status, the request is "- - - "
        f'{_HEAD} 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -',
        {
            "elb_response_code": None,
            "backend_response_code": None,
            "received_bytes": 82,
            "sent_bytes": 305,
            "request_verb": None,
            "url": None,
            "protocol": None,
            "user_agent": None,
            "ssl_cipher": None,
        },
    ),
    Example(  # SSL listener
        f'{_HEAD} 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2',
        {
            "backend_processing_time": 0.000015,
            "sent_bytes": 502,
            "ssl_cipher": "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ssl_protocol": "TLSv1.2",
        },
    ),
    Example(  # before 2015: no user agent or SSL fields (Logstash's pattern tests; tests/events/ATTRIBUTION.md)
        "2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 "
        '0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1"',
        {
            "elb_name": "my-test-loadbalancer",
            "backend_port": 80,
            "sent_bytes": 29,
            "url": "http://www.example.com:80/",
            "protocol": "HTTP/1.1",
            "user_agent": None,
            "ssl_cipher": None,
            "ssl_protocol": None,
            "timestamp": "2014-02-15 23:39:43.945958",
        },
    ),
    Example(  # ours: no backend answered (`-`), a 504 from the load balancer
        "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 504 - 0 0 "
        '"GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -',
        {
            "backend_ip": None,
            "backend_port": None,
            "request_processing_time": -1.0,
            "elb_response_code": "504",
            "backend_response_code": None,
            "level": "ERROR",
        },
    ),
]
