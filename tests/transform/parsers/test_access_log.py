"""Access-log groups read with string functions (parsers/access_log.py _by_quotes) are the regex's own groups: on
every line the pattern accepts, the struct the plan stages equals regexp_extract of the whole pattern, and the
lines outside SHAPE (vhost, forwarded list, escapes, extra fields) take the regex."""

from __future__ import annotations

from pathlib import Path

from conftest import cut_against_regex
from loglake.transform.parsers.access_log import EXAMPLES, AccessLogParser

JC = Path(__file__).parent / "vectors" / "jc" / "common-log-format.log"  # jc's test vectors (vectors/jc)
AGENT = '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"'
FAST = [
    '10.1.2.3 - user7 [26/Nov/2026:10:00:00 +0000] "GET /items/1?page=2 HTTP/1.1" 200 5120 "https://e.com/p" ' + AGENT,
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 304 - "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "" 400 0 "" ""',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a[ ]b HTTP/1.1" 404 196 "-" "curl/8.5.0"',  # brackets in the path
    '10.1.2.3 - - [26/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 1',  # common, a time without a space
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /caf\u00e9/e\u0301 HTTP/1.1" 200 1 "-" "\U0001f600"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a\tb HTTP/1.1" 200 1 "-" "a\tb"',  # tabs inside quotes
    '10.1.2.3 - - [26/Nov/2026, 10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `, ` in the time
]
SLOW = [
    '10.1.2.3 - us[er [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `[` in the user
    'www.example.com:443 10.1.2.3 - - [26/Nov/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 5120 "-" "curl/8"',  # vhost
    'intranet 10.1.2.3 - - [26/Nov/2026:10:00:02 +0000] "GET /wiki/ HTTP/1.1" 200 812',  # vhost_common
    '203.0.113.9, 10.0.0.1 - - [26/Nov/2026:10:00:03 +0000] "GET / HTTP/1.1" 200 1 "-" "okhttp/4.12.0"',  # a list
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a\\"b HTTP/1.1" 200 1 "-" "x\\\\y"',  # escapes
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" "10.9.8.7"',  # nginx main
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" 0.004 upstream',  # extra fields
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 - -',  # bare dashes
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "cut-off',  # no closing quote
    '10.1.2.3 - - [26/Nov/2026:10:00:00 [+0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `[` in the time
    'a b c d [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # four tokens: a vhost
    'a b c [x] [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1',  # the time in the fifth token
    '10.1.2.3 - "u" [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # a quote in a token
]


def _staged(lines: list[str]) -> list[tuple[str, object, object, bool]]:
    return cut_against_regex(AccessLogParser(), lines)


def test_access_log_struct_by_quotes_equals_the_whole_patterns_groups() -> None:
    lines = [e.message for e in EXAMPLES] + JC.read_text().splitlines() + FAST + SLOW
    rows = _staged(lines)
    assert len(rows) == len(lines) - 4  # all but jc's two unparsable lines and two empty ones
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    fast = {message for message, _expected, _got, is_fast in rows if is_fast}
    assert fast >= set(FAST) and not fast & set(SLOW)
    assert len(fast) == 24  # FAST and 16 of the module's examples and jc's lines


def test_access_log_fast_values() -> None:
    """The values themselves, for the line shapes the fast path reads (the equality above could hide a
    regex that moved with it)."""
    (row,) = _staged([FAST[0]])
    assert row[2] == {
        "vhost": "",
        "vhost_port": "",
        "client_ip": "10.1.2.3",
        "client_id": "-",
        "user_id": "user7",
        "request_received_time": "26/Nov/2026:10:00:00 +0000",
        "client_request": "GET /items/1?page=2 HTTP/1.1",
        "server_status": "200",
        "returned_obj_size": "5120",
        "referrer": "https://e.com/p",
        "user_agent": AGENT.strip('"'),
        "forwarded_for": "",
        "extra_fields": "",
    }
    assert row[3] is True
