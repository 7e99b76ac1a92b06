"""s3_access_log: Amazon S3 server access logs, into AWS's documented `s3_access_logs` table.

Pattern and columns (names and types) are those of the Athena table in the S3 user guide; fields S3
appends later are kept in `extra_fields`. `-` is NULL. The time is the bracketed request time.

S3 grew the record over the years: 18 fields up to `versionid` (the oldest documented records), then
`hostid`, `sigv`, `ciphersuite`, `authtype`, `endpoint`, `tlsversion` (24 fields in the 2019 guide),
`accesspointarn` and `aclrequired`. AWS's regex takes the last eight as one group, all or none, so a
24-field record reads as if it had none of them. Here each may end the record, but none may be skipped:
the fields a record has are filled by position and the absent ones are NULL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, between_brackets, cut_or_regex, text

COLUMNS: dict[str, str] = {
    "bucketowner": "VARCHAR", "bucket_name": "VARCHAR", "requestdatetime": "VARCHAR", "remoteip": "VARCHAR",
    "requester": "VARCHAR", "requestid": "VARCHAR", "operation": "VARCHAR", "key": "VARCHAR",
    "request_uri": "VARCHAR", "httpstatus": "VARCHAR", "errorcode": "VARCHAR", "bytessent": "BIGINT",
    "objectsize": "BIGINT", "totaltime": "VARCHAR", "turnaroundtime": "VARCHAR", "referrer": "VARCHAR",
    "useragent": "VARCHAR", "versionid": "VARCHAR", "hostid": "VARCHAR", "sigv": "VARCHAR", "ciphersuite": "VARCHAR",
    "authtype": "VARCHAR", "endpoint": "VARCHAR", "tlsversion": "VARCHAR", "accesspointarn": "VARCHAR",
    "aclrequired": "VARCHAR", "extra_fields": "VARCHAR",
}  # fmt: skip


def _trailing(count: int) -> str:
    """The fields S3 added after `versionid`, each optional once the one before it is there (nested
    groups: a record stops after any of them, never skips one), then whatever S3 appends next."""
    tail = " ?(.*)"
    for _ in range(count):
        tail = f"(?: ([^ ]*){tail})?"
    return tail


class S3AccessLogParser(RegexParser):
    name = "s3_access_log"
    table = "s3_access_logs"
    # `$`: regexp_extract searches rather than matching whole, and could stop before an optional field.
    pattern = (
        r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) '
        r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)' + _trailing(8) + " ?$"
    )
    guard = "substr({m}, 65, 1) = ' ' AND contains({m}, '] ')"
    groups = tuple(COLUMNS)
    columns = tuple(text(name, type_) for name, type_ in COLUMNS.items())
    time = "{s}.requestdatetime"
    time_format = "clf"
    level = "CASE WHEN TRY_CAST({s}.httpstatus AS INTEGER) >= 500 THEN 'ERROR' END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _by_quotes makes (the regex's own groups)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_by_quotes(self.pattern, self.groups, self.struct_column))


_T = r'[^ "]*'
SHAPE = (
    rf'[^ "\[\]]* [^ "\[\]]* \[[^\]"\n]*\](?: {_T}){{5}} "[^"]*" (?:-|[0-9]*)(?: {_T}){{5}} "[^" ]*" "[^"]*" {_T}'
    rf"(?: {_T}){{0,8}} ?"
)
"""The records that _by_quotes reads with string functions: no quote but those around the request, the
referrer (one word) and the agent, no bracket in the first two fields, and at most the eight later fields
(then a space, as AWS's examples have: the extra fields are '' with it or without it)."""


def _by_quotes(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for `pattern`, read with string
    functions from a record of SHAPE (split at its six quotes, then at spaces), the whole pattern's
    regexp_extract from any other record. The regex's 27 groups cost about 0.35 s per 50,000 records.

    Why the groups are the same. A record here matched the pattern (detection); RE2 gives the groups of its
    first parse in the backtracking order. In a record of SHAPE every group is forced: the fields are
    separated by single spaces and hold none; the lazy time ends at the first `]` (the shortest, and the rest
    matches from there); a quoted field ends at the next quote. Each later field is present when the record
    has it (the greedy choice, which succeeds), the absent ones and the extra fields are ''."""
    c = f"{struct}_"
    line, fast, parts, head = (f"{c}{n}" for n in ("line", "fast", "parts", "head"))
    # The words of the text between the quotes: each split once, not once per field.
    after, middle, later = (f"{c}{n}" for n in ("after", "middle", "later"))

    def word(text: str, n: int) -> str:
        return f"coalesce({text}[{n}], '')"  # past the last word: a field the record does not have

    values = {
        "bucketowner": f"split_part({head}, ' ', 1)",
        "bucket_name": f"split_part({head}, ' ', 2)",
        "requestdatetime": between_brackets(head),
        **{g: word(after, n) for n, g in enumerate(groups[3:8], start=1)},
        "request_uri": f"'\"' || {parts}[2] || '\"'",
        **{g: word(middle, n) for n, g in enumerate(groups[9:15], start=2)},
        "referrer": f"'\"' || {parts}[4] || '\"'",
        "useragent": f"'\"' || {parts}[6] || '\"'",
        **{g: word(later, n) for n, g in enumerate(groups[17:26], start=2)},
    }
    assert list(values) == list(groups[:26]) and groups[26] == "extra_fields"
    return {
        line: LINE.format(m="message"),
        fast: f"regexp_full_match({line}, {sql_string(SHAPE)})",
        parts: f"CASE WHEN {fast} THEN string_split({line}, '\"') END",
        head: f"{parts}[1]",
        # The five fields after the time (which holds no `]`), the six after the request, those after the agent.
        after: f"string_split(substr({head}, strpos({head}, ']') + 2), ' ')",
        middle: f"string_split({parts}[3], ' ')",
        later: f"string_split({parts}[7], ' ')",
        struct: cut_or_regex(fast, values, line, pattern, groups),
    }


EXAMPLES = [
    Example(
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DOC-EXAMPLE-BUCKET1 "
        "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
        '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1" 200 - 113 - 7 - '
        '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
        "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com TLSV1.2 "
        "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes",
        {
            "bucket_name": "DOC-EXAMPLE-BUCKET1",
            "requestdatetime": "06/Feb/2019:00:00:38 +0000",
            "remoteip": "192.0.2.3",
            "operation": "REST.GET.VERSIONING",
            "key": None,
            "request_uri": '"GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1"',
            "httpstatus": "200",
            "bytessent": 113,
            "objectsize": None,
            "totaltime": "7",
            "useragent": '"S3Console/0.4"',
            "tlsversion": "TLSV1.2",
            "aclrequired": "Yes",
            "timestamp": "2019-02-06 00:00:38",
        },
    ),
]

# Older lengths, from earlier versions of the same page of the S3 guide (tests/events/ATTRIBUTION.md).
EXAMPLES += [
    Example(  # 2014: 18 fields, ending at versionid
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be mybucket [06/Feb/2014:00:00:38 +0000] "
        "192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
        'REST.GET.VERSIONING - "GET /mybucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -',
        {
            "bucket_name": "mybucket",
            "requestid": "3E57427F3EXAMPLE",
            "operation": "REST.GET.VERSIONING",
            "httpstatus": "200",
            "bytessent": 113,
            "totaltime": "7",
            "useragent": '"S3Console/0.4"',
            "versionid": None,
            "hostid": None,
            "sigv": None,
            "tlsversion": None,
            "aclrequired": None,
            "extra_fields": None,
            "timestamp": "2014-02-06 00:00:38",
        },
    ),
    Example(  # 2019: 24 fields, ending at tlsversion (before accesspointarn and aclrequired)
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
        "[06/Feb/2019:00:01:57 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
        'DD6CC733AEXAMPLE REST.PUT.OBJECT s3-dg.pdf "PUT /awsexamplebucket1/s3-dg.pdf HTTP/1.1" 200 - - 4406583 '
        '41754 28 "-" "S3Console/0.4" - 10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234= '
        "SigV4 ECDHE-RSA-AES128-SHA AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1",
        {
            "key": "s3-dg.pdf",
            "bytessent": None,
            "objectsize": 4406583,
            "totaltime": "41754",
            "turnaroundtime": "28",
            "hostid": "10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234=",
            "sigv": "SigV4",
            "ciphersuite": "ECDHE-RSA-AES128-SHA",
            "authtype": "AuthHeader",
            "endpoint": "awsexamplebucket1.s3.us-west-1.amazonaws.com",
            "tlsversion": "TLSV1.1",
            "accesspointarn": None,
            "aclrequired": None,
            "extra_fields": None,
            "timestamp": "2019-02-06 00:01:57",
        },
    ),
]
