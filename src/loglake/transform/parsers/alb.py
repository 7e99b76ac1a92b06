"""alb: Application Load Balancer access logs, into AWS's `alb_logs` table.

The pattern is the input.regex of AWS's documented Athena table, and the columns are its columns with
its types (`time` and `request_creation_time` stay strings, as AWS declares them), so AWS's example
queries run unchanged; `day` (`yyyy/MM/dd`) is the partition column of AWS's partition-projection
table. Fields that newer load balancers append after `classification_reason` are kept in
`extra_fields`. The last four quoted fields are also accepted unquoted, as older logs wrote them.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Column, Example, RegexParser, text

COLUMNS: dict[str, str] = {
    "type": "VARCHAR", "time": "VARCHAR", "elb": "VARCHAR", "client_ip": "VARCHAR", "client_port": "INTEGER",
    "target_ip": "VARCHAR", "target_port": "INTEGER", "request_processing_time": "DOUBLE",
    "target_processing_time": "DOUBLE", "response_processing_time": "DOUBLE", "elb_status_code": "INTEGER",
    "target_status_code": "VARCHAR", "received_bytes": "BIGINT", "sent_bytes": "BIGINT", "request_verb": "VARCHAR",
    "request_url": "VARCHAR", "request_proto": "VARCHAR", "user_agent": "VARCHAR", "ssl_cipher": "VARCHAR",
    "ssl_protocol": "VARCHAR", "target_group_arn": "VARCHAR", "trace_id": "VARCHAR", "domain_name": "VARCHAR",
    "chosen_cert_arn": "VARCHAR", "matched_rule_priority": "VARCHAR", "request_creation_time": "VARCHAR",
    "actions_executed": "VARCHAR", "redirect_url": "VARCHAR", "lambda_error_reason": "VARCHAR",
    "target_port_list": "VARCHAR", "target_status_code_list": "VARCHAR", "classification": "VARCHAR",
    "classification_reason": "VARCHAR", "extra_fields": "VARCHAR",
}  # fmt: skip
_DAY = Column("day", "VARCHAR", "strftime(TRY_CAST({s}.time AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y/%m/%d')")


class AlbParser(RegexParser):
    name = "alb"
    table = "alb_logs"
    pattern = (
        r"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) "
        r'(|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) "([^ ]*) (.*) (- |[^ ]*)" "([^"]*)" ([A-Z0-9-_]+) '
        r'([A-Za-z0-9.-]*) ([^ ]*) "([^"]*)" "([^"]*)" "([^"]*)" ([-.0-9]*) ([^ ]*) "([^"]*)" "([^"]*)" '
        r'"?([^ "]*)"? "?([^\s"]+?)"? "?([^\s"]+)"? "?([^ "]*)"? "?([^ "]*)"? ?(.*)'
    )
    guard = "split_part({m}, ' ', 1) IN ('http', 'https', 'h2', 'ws', 'wss', 'grpcs')"
    groups = tuple(COLUMNS)
    columns = (*(text(name, type_, nulls=("-", "- ")) for name, type_ in COLUMNS.items()), _DAY)
    time = "{s}.time"
    level = "CASE WHEN TRY_CAST({s}.elb_status_code AS INTEGER) >= 500 THEN 'ERROR' END"


EXAMPLES = [
    Example(
        "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        '0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - '
        "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "
        '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" '
        '"10.0.0.1:80" "200" "-" "-"',
        {
            "type": "http",
            "time": "2018-07-02T22:23:00.186641Z",
            "client_ip": "192.168.131.39",
            "client_port": 2817,
            "target_port": 80,
            "target_processing_time": 0.001,
            "elb_status_code": 200,
            "received_bytes": 34,
            "request_verb": "GET",
            "request_url": "http://www.example.com:80/",
            "user_agent": "curl/7.46.0",
            "ssl_cipher": None,
            "trace_id": "Root=1-58337262-36d228ad5d99923122bbe354",
            "actions_executed": "forward",
            "timestamp": "2018-07-02 22:23:00.186641",
        },
    ),
]
