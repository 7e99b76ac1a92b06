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

from loglake.transform.parsers.base import Example, RegexParser, text

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
