"""S3 access-log groups read with string functions (parsers/s3_access_log.py _by_quotes) are the regex's own
groups: on every record the pattern accepts, the struct the plan stages equals regexp_extract of the whole
pattern, and the records outside SHAPE take the regex."""

from __future__ import annotations

from pathlib import Path

from conftest import cut_against_regex
from loglake.transform.parsers.s3_access_log import EXAMPLES, S3AccessLogParser

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
HEAD = f"{OWNER} my-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 {OWNER} 3E57427F3EXAMPLE REST.GET.OBJECT k.txt"
LATER = (
    " - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader my-bucket.s3.us-west-1.amazonaws.com TLSv1.2 - Yes"
)
FAST = [
    HEAD + ' "GET /my-bucket/k.txt HTTP/1.1" 200 - 113 113 7 5 "https://e.com/a?b=1" "aws-cli/2.0"' + LATER,
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 "-" "S3Console/0.4" -',  # 18 fields
    HEAD + ' "GET /k HTTP/1.1" 404 NoSuchKey 243 - 9 - "-" "curl/8 (x; y)" - abc= SigV4',  # a few later fields
    HEAD + ' "GET /caf\u00e9 HTTP/1.1" 200 - 1 1 1 1 "-" "\U0001f600 agent"' + LATER,  # beyond ASCII
    HEAD + ' "GET /a\nb HTTP/1.1" 200 - 1 1 1 1 "-" "x"' + LATER,  # a newline inside the request
    HEAD + ' "" - - 1 1 1 1 "" ""' + LATER,  # empty quoted fields, `-` status
    HEAD.replace(" k.txt", " ") + ' "GET / HTTP/1.1" 200  1 1 1 1 "-" "x" -  x',  # empty fields
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 "-" "x"' + LATER + " ",  # a space after the last field
]
SLOW = [
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 "-" -' + LATER,  # an unquoted agent
    HEAD + ' - 200 - 113 113 7 5 "-" "x"' + LATER,  # an unquoted request
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 - "x"' + LATER,  # an unquoted referrer
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 "-" "x"' + LATER + " more fields",  # S3's next fields
    HEAD.replace("my-bucket [", "my[bucket [") + ' "GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "x"' + LATER,
    HEAD + ' "GET /k HTTP/1.1" 200 - 113 113 7 5 "-" "x"' + LATER.replace(" Yes", ' "Yes"'),  # a quoted field
]


def _staged(lines: list[str]) -> list[tuple[str, object, object, bool]]:
    return cut_against_regex(S3AccessLogParser(), lines)


def test_s3_struct_by_quotes_equals_the_whole_patterns_groups() -> None:
    files = sorted(SAMPLES.glob("s3_access_docs*.log"))
    docs = [line for f in files for line in f.read_text().splitlines() if line.strip()]
    lines = [e.message for e in EXAMPLES] + docs + FAST + SLOW
    rows = _staged(lines)
    assert len(rows) == len(lines)  # the pattern accepts every one of them
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    fast = {message for message, _expected, _got, is_fast in rows if is_fast}
    assert fast >= set(FAST) and not fast & set(SLOW)
    # AWS's own records all take the string functions.
    assert sum(is_fast for _message, _expected, _got, is_fast in rows) == len(lines) - len(SLOW) == 27


def test_s3_fast_values() -> None:
    (row,) = _staged([FAST[0]])
    assert row[3] is True
    assert {k: v for k, v in row[2].items() if k in ("requestdatetime", "key", "request_uri", "errorcode")} == {
        "requestdatetime": "06/Feb/2019:00:00:38 +0000",
        "key": "k.txt",
        "request_uri": '"GET /my-bucket/k.txt HTTP/1.1"',
        "errorcode": "-",
    }
    assert [row[2][k] for k in ("referrer", "useragent", "versionid", "hostid", "aclrequired", "extra_fields")] == [
        '"https://e.com/a?b=1"',
        '"aws-cli/2.0"',
        "-",
        "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
        "Yes",
        "",
    ]
