"""vpc_flow_log: Amazon VPC flow log records, into AWS's `vpc_flow_logs` table.

Columns are those of AWS's documented Athena table (versions 2 to 5, plus the ECS fields and
reject_reason of versions 7 and 8, and the transit gateway fields), with AWS's types, and the
partition columns AWS's example queries filter on: `date` (the DATE of `start`) and `day`
(`yyyy/MM/dd`, as in AWS's partition-projection table).

The default format (version 2, 14 fields) is recognised anywhere. A custom format is read in the
order of its header line (`version vpc-id subnet-id ...`, as flow logs delivered to S3 begin with):
lines of a raw object that holds such a header and have as many fields are flow records. The header
line itself stays in `logs` as text. `-` is NULL. A file split across raw objects has its header in the
first only: the ETL remembers it for the stream (lake/stream_headers.py), so later objects are read in its
order too, whatever order they are processed in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from loglake.lake.stream_headers import CREATE_REMEMBERED, REMEMBERED_TABLE
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, FieldPlan, FixedSchemaParser, ParsePlan
from loglake.transform.timestamps import LATEST_EPOCH_S

FIELDS: dict[str, str] = {
    "version": "INTEGER", "account-id": "VARCHAR", "interface-id": "VARCHAR", "srcaddr": "VARCHAR",
    "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER", "protocol": "BIGINT", "packets": "BIGINT",
    "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "action": "VARCHAR", "log-status": "VARCHAR",
    "vpc-id": "VARCHAR", "subnet-id": "VARCHAR", "instance-id": "VARCHAR", "tcp-flags": "INTEGER",
    "type": "VARCHAR", "pkt-srcaddr": "VARCHAR", "pkt-dstaddr": "VARCHAR", "region": "VARCHAR", "az-id": "VARCHAR",
    "sublocation-type": "VARCHAR", "sublocation-id": "VARCHAR", "pkt-src-aws-service": "VARCHAR",
    "pkt-dst-aws-service": "VARCHAR", "flow-direction": "VARCHAR", "traffic-path": "INTEGER",
    "ecs-cluster-arn": "VARCHAR", "ecs-cluster-name": "VARCHAR", "ecs-container-instance-arn": "VARCHAR",
    "ecs-container-instance-id": "VARCHAR", "ecs-container-id": "VARCHAR", "ecs-second-container-id": "VARCHAR",
    "ecs-service-name": "VARCHAR", "ecs-task-definition-arn": "VARCHAR", "ecs-task-arn": "VARCHAR",
    "ecs-task-id": "VARCHAR", "reject-reason": "VARCHAR", "resource-id": "VARCHAR", "encryption-status": "INTEGER",
    "interface-type": "VARCHAR",
    # Transit gateway flow logs.
    "tgw-id": "VARCHAR", "tgw-attachment-id": "VARCHAR", "tgw-src-vpc-account-id": "VARCHAR",
    "tgw-dst-vpc-account-id": "VARCHAR", "tgw-src-vpc-id": "VARCHAR", "tgw-dst-vpc-id": "VARCHAR",
    "tgw-src-subnet-id": "VARCHAR", "tgw-dst-subnet-id": "VARCHAR", "tgw-src-eni": "VARCHAR", "tgw-dst-eni": "VARCHAR",
    "tgw-src-az-id": "VARCHAR", "tgw-dst-az-id": "VARCHAR", "tgw-pair-attachment-id": "VARCHAR",
    "packets-lost-no-route": "BIGINT", "packets-lost-blackhole": "BIGINT", "packets-lost-mtu-exceeded": "BIGINT",
    "packets-lost-ttl-expired": "BIGINT",
}  # fmt: skip
DEFAULT_V2 = list(FIELDS)[:14]

_NAME = "(?:" + "|".join(FIELDS) + ")"
_FIRST_LETTERS = ", ".join(sql_string(letter) for letter in sorted({name[0] for name in FIELDS}))
HEADER_PATTERN = rf"{_NAME}(?: {_NAME})+"
_FIELDS_QUERY = "(SELECT fields FROM __ll_vpc_fields)"
_TIME, _LINE = "__ll_vpc_time", "__ll_vpc_line"
_BY_COLUMN = {name.replace("-", "_"): name for name in FIELDS}
"""The flow log field each FIELDS column reads (`vpc_id` reads `vpc-id`)."""
_SLOT = re.compile(r"\{vpc:([a-z-]+)\}")
"""A field's place in the columns' SQL, replaced by its token once the object's field order is known."""
_TRIMMED = "CASE WHEN prefix({l}, ' ') OR suffix({l}, ' ') THEN trim({l}) ELSE {l} END"
"""The line `{l}` without its outer spaces; trim() walks the whole line (0.02 s per 50,000 records), so only a
line that begins or ends with a space is trimmed."""
_LINE_TOKENS = (
    f"CASE WHEN contains({{l}}, '  ') THEN regexp_split_to_array({_TRIMMED}, ' +') "
    f"ELSE string_split({_TRIMMED}, ' ') END"
)
"""The space-separated tokens of the line `{l}` (the message without its line end). Without a run of spaces,
splitting at each space gives the tokens of splitting at runs of them, about 4x cheaper than the regex (which
every default record paid, 0.07 s per 50,000); the regex is kept for lines with a run, which only custom
formats accept."""
_TOKENS = _LINE_TOKENS.replace("{l}", LINE.format(m="{m}"))
"""The tokens of the message `{m}`."""
_V2 = (
    r"\d+ (?:\d{12}|unknown|-) (?:eni-[0-9a-f]+|-) \S+ \S+ \S+ \S+ \S+ \S+ \S+ (?:\d+|-) (?:\d+|-) "
    r"(?:ACCEPT|REJECT|-) (?:OK|NODATA|SKIPDATA)"
)


def _field(name: str) -> str:
    """A slot for the token holding `name` in this object's field order: plan() writes the token's constant
    index, or NULL when the format lacks the field (a lookup per column per row cost 0.4 s per 50,000)."""
    return f"{{vpc:{name}}}"


_START_S = f"TRY_CAST({_field('start')} AS BIGINT)"
_START = f"to_timestamp(CASE WHEN {_START_S} BETWEEN 0 AND {LATEST_EPOCH_S} THEN {_START_S} END)"
"""`start` as a time for the `date` and `day` columns: NULL past 9999-12-31 or before 1970 (to_timestamp
raises on 14 digits, which would fail the whole raw object); `start` itself keeps the number."""


class VpcFlowLogParser(FixedSchemaParser):
    name = "vpc_flow_log"
    table = "vpc_flow_logs"
    columns = (
        *(Column(name.replace("-", "_"), type_, _field(name)) for name, type_ in FIELDS.items()),
        Column("date", "DATE", f"CAST({_START} AS DATE)", cast=False),
        Column("day", "VARCHAR", f"strftime({_START}, '%Y/%m/%d')"),
    )
    time = _field("start")
    time_format = "epoch_s"
    settled = ("(SELECT custom FROM __ll_vpc_fields)",)
    """Subqueries of the detection that are one value per object: classification reads them once and uses
    their values (etl._settled)."""

    def setup(self) -> list[str]:
        default = "[" + ", ".join(sql_string(f) for f in DEFAULT_V2) + "]"
        line = LINE.format(m="message")
        # A header starts with a field name: testing the first letter spares most lines the regex.
        # The first letter of the message, not of the trimmed line: the same letter, without copying every line.
        header = (
            f"CASE WHEN substr(message, 1, 1) IN ({_FIRST_LETTERS}) "
            f"THEN regexp_full_match({line}, {sql_string(HEADER_PATTERN)}) ELSE false END"
        )
        found = f"(SELECT string_split({line}, ' ') FROM raw_lines WHERE {header} LIMIT 1)"
        remembered = f"(SELECT fields FROM {REMEMBERED_TABLE} WHERE format = {sql_string(self.name)} LIMIT 1)"
        return [
            CREATE_REMEMBERED,
            f"CREATE OR REPLACE TEMP TABLE __ll_header_{self.name} AS "
            f"SELECT found AS fields FROM (SELECT {found} AS found) WHERE found IS NOT NULL",
            "CREATE OR REPLACE TEMP TABLE __ll_vpc_fields AS "
            f"SELECT coalesce(found, remembered, {default}) AS fields, "
            "coalesce(found, remembered) IS NOT NULL AS custom "
            f"FROM (SELECT (SELECT fields FROM __ll_header_{self.name}) AS found, {remembered} AS remembered)",
        ]

    def matches(self, message: str) -> str:
        line = LINE.format(m=message)
        tokens = _TOKENS.replace("{m}", message)
        header = f"regexp_full_match({line}, {sql_string(HEADER_PATTERN)})"
        custom = (
            f"CASE WHEN {header} THEN false ELSE len({tokens}) = len({_FIELDS_QUERY}) "
            f"AND regexp_full_match({line}, '[^ ]+(?: +[^ ]+)*') END"
        )
        # A default record ends in a log-status (OK, NODATA, SKIPDATA): access logs and syslog lines that
        # start with a digit are turned away before the regex.
        default = (
            f"CASE WHEN substr({message}, 1, 1) BETWEEN '1' AND '9' "
            f"AND (contains({message}, 'OK') OR contains({message}, 'DATA')) "
            f"THEN regexp_full_match({line}, {sql_string(_V2)}) ELSE false END"
        )
        # Nested CASEs: each test runs only where the previous one held (SQL's AND gives no such promise).
        return f"(CASE WHEN {self.settled[0]} THEN {custom} ELSE {default} END)"

    def staged(self, message: str) -> str:
        return _TOKENS.replace("{m}", message)

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        plan = super().plan(con, max_depth)
        order: list[str] = con.execute(f"SELECT {_FIELDS_QUERY}").fetchall()[0][0]
        s = self.struct_column

        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"{s}[{order.index(name) + 1}]" if name in order else "NULL::VARCHAR"

        def planned(field: FieldPlan) -> FieldPlan:
            # A field the format lacks is NULL whatever cleaning surrounds its slot (nullif, TRY_CAST of NULL): a
            # typed NULL spares binding that chain (46 of the 60 columns of a default record, ~3.5 ms per object),
            # and the clean file leaves the column out (FieldPlan.lacking).
            name = _BY_COLUMN.get(field.path[0]) if field.path else None
            if name is not None and name not in order:
                return replace(field, expression=f"NULL::{field.type}", lacking=True)
            return replace(field, expression=_SLOT.sub(token, field.expression))

        # The time string is a derived column: ll_parse_time names its argument in each branch of its cascade
        # (about 30 times), and the token's list lookup, bound once per mention, cost ~2 ms of planning per object.
        fields = [planned(f) for f in plan.fields]
        # The line is a staging column and the tokens a derived one over it: the tokens' SQL names the line 9
        # times, each a copy of LINE's CASE to plan (~2 ms per object). LINE of a line is the line (its
        # trailing CR and LF are gone), so the tokens are those of _TOKENS over the message.
        staging = {_LINE: LINE.format(m="message")}
        derived = {s: _LINE_TOKENS.replace("{l}", _LINE), _TIME: _SLOT.sub(token, plan.time)}
        return replace(plan, time=_TIME, staging=staging, derived=derived, fields=fields)


EXAMPLES = [
    Example(
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 "
        "ACCEPT OK",
        {
            "version": 2,
            "account_id": "123456789010",
            "interface_id": "eni-1235b8ca123456789",
            "srcaddr": "172.31.16.139",
            "dstport": 22,
            "protocol": 6,
            "packets": 20,
            "bytes": 4249,
            "start": 1418530010,
            "end": 1418530070,
            "action": "ACCEPT",
            "log_status": "OK",
            "vpc_id": None,
            "date": "2014-12-14",
            "timestamp": "2014-12-14 04:06:50",
        },
    ),
    Example(
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        {"srcaddr": None, "packets": None, "action": None, "log_status": "NODATA"},
    ),
]
