"""s3_access_log: Amazon S3 server access logs, into AWS's documented `s3_access_logs` table.

Pattern and columns (names and types) are those of the Athena table in the S3 user guide; fields S3
appends later are kept in `extra_fields`. `-` is NULL. The time is the bracketed request time.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, RegexParser, text

COLUMNS: dict[str, str] = {
    "bucketowner": "VARCHAR", "bucket_name": "VARCHAR", "requestdatetime": "VARCHAR", "remoteip": "VARCHAR",
    "requester": "VARCHAR", "requestid": "VARCHAR", "operation": "VARCHAR", "key": "VARCHAR",
    "request_uri": "VARCHAR", "httpstatus": "VARCHAR", "errorcode": "VARCHAR", "bytessent": "BIGINT",
    "objectsize": "BIGINT", "totaltime": "VARCHAR", "turnaroundtime": "VARCHAR", "referrer": "VARCHAR",
    "useragent": "VARCHAR", "versionid": "VARCHAR", "hostid": "VARCHAR", "sigv": "VARCHAR", "ciphersuite": "VARCHAR",
    "authtype": "VARCHAR", "endpoint": "VARCHAR", "tlsversion": "VARCHAR", "accesspointarn": "VARCHAR",
    "aclrequired": "VARCHAR", "extra_fields": "VARCHAR",
}  # fmt: skip


class S3AccessLogParser(RegexParser):
    name = "s3_access_log"
    table = "s3_access_logs"
    pattern = (
        r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) '
        r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) '
        r"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))? ?(.*)"
    )
    guard = "substr({m}, 65, 1) = ' ' AND contains({m}, '] ')"
    groups = tuple(COLUMNS)
    columns = tuple(text(name, type_) for name, type_ in COLUMNS.items())
    time = "{s}.requestdatetime"
    level = "CASE WHEN TRY_CAST({s}.httpstatus AS INTEGER) >= 500 THEN 'ERROR' END"


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
