"""lambda_text: a function's own lines in Lambda's text format, into `logs` with the request id.

Python's runtime writes `[LEVEL]<tab>TIME<tab>REQUEST_ID<tab>MESSAGE`; Node.js and others write
`TIME<tab>REQUEST_ID<tab>LEVEL<tab>MESSAGE`. Runs of spaces are accepted where tabs are expected
(the docs print them that way). The line's own text, after the prefix, is `msg`.
"""

from __future__ import annotations

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.transform.parsers.base import Column, Example, RegexParser

_TIME = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"
_REQUEST = r"([0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12})"


class LambdaTextParser(RegexParser):
    name = "lambda_text"
    table = DEFAULT_TABLE
    pattern = rf"(?s)(?:\[([A-Za-z]+)\]\s+{_TIME}\s+{_REQUEST}|{_TIME}\s+{_REQUEST}\s+([A-Za-z]+))\s+(.*)"
    guard = "substr({m}, 1, 1) = '[' OR substr({m}, 11, 1) = 'T'"
    groups = ("level_a", "time_a", "request_a", "time_b", "request_b", "level_b", "msg")
    columns = (
        Column("request_id", "VARCHAR", "coalesce(nullif({s}.request_a, ''), {s}.request_b)", key="requestId"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
    )
    time = "coalesce(nullif({s}.time_a, ''), {s}.time_b)"
    # Both time groups are timestamps.ISO_FRACTION with `T` and `Z`: the cascade's tests are already paid.
    time_format = "matched_iso_fraction"
    level = "ll_level(coalesce(nullif({s}.level_a, ''), {s}.level_b))"


EXAMPLES = [
    Example(
        "[INFO]\t2020-01-31T22:12:58.534Z\t1c8df7d3-xmpl-46da-9778-518e6eca8125\t## EVENT\n",
        {
            "request_id": "1c8df7d3-xmpl-46da-9778-518e6eca8125",
            "msg": "## EVENT",
            "level": "INFO",
            "timestamp": "2020-01-31 22:12:58.534",
        },
    ),
    Example(
        "2019-06-07T19:11:20.562Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tERROR\tInvoke Error\n",
        {"request_id": "c793869b-ee49-115b-a5b6-4fd21e8dedac", "msg": "Invoke Error", "level": "ERROR"},
    ),
]
