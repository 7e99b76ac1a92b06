"""alb: Application Load Balancer access logs, into AWS's `alb_logs` table.

The pattern is the input.regex of AWS's documented Athena table, and the columns are its columns with
its types (`time` and `request_creation_time` stay strings, as AWS declares them), so AWS's example
queries run unchanged; `day` (`yyyy/MM/dd`) is the partition column of AWS's partition-projection
table. Fields that newer load balancers append after `classification_reason` are kept in
`extra_fields`. The last four quoted fields are also accepted unquoted, as older logs wrote them.

ALB grew the record over the years (the ELB guide's examples): it ended at `trace_id` followed by an
unquoted `domain_name` and `chosen_cert_arn` (2016), then at `actions_executed` (mid-2018),
`redirect_url`, `lambda_error_reason` (late 2018), and gained `target_port_list` to
`classification_reason` in 2020. AWS's regex needs them all, and a shorter record would be text. Here
each field after `trace_id` may end the record, but none may be skipped: the absent ones are NULL.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser, cut_or_regex, text
from loglake.transform.parsers.trailing_digits import before_trailing_digits

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
# The fields after trace_id, in order. domain_name and chosen_cert_arn were unquoted in 2016, quoted since.
_LATER = (
    r'"?([^ "]*)"?', r'"?([^ "]*)"?', r"([-.0-9]*)", r"([^ ]*)", r'"([^"]*)"', r'"([^"]*)"', r'"([^"]*)"',
    r'"?([^ "]*)"?', r'"?([^\s"]+?)"?', r'"?([^\s"]+)"?', r'"?([^ "]*)"?',
)  # fmt: skip


def _trailing(fields: tuple[str, ...]) -> str:
    """Each field optional once the one before it is there (nested groups: a record stops after any of
    them, never skips one); after the last, whatever newer load balancers append."""
    tail = " ?(.*)"
    for field in reversed(fields):
        tail = f"(?: {field}{tail})?"
    return tail


_DAY = Column("day", "VARCHAR", "strftime(TRY_CAST({s}.time AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y/%m/%d')")


class AlbParser(RegexParser):
    name = "alb"
    table = "alb_logs"
    # `$`: regexp_extract searches rather than matching whole, and could stop before an optional field.
    pattern = (
        r"([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) "
        r'(|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) "([^ ]*) (.*) (- |[^ ]*)" "([^"]*)" ([A-Z0-9-_]+) '
        r'([A-Za-z0-9.-]*) ([^ ]*) "([^"]*)"' + _trailing(_LATER) + " ?$"
    )
    # Every type begins with h, w or g: other lines (most of them, as ALB comes early) skip the split.
    guard = (
        "(CASE WHEN substr({m}, 1, 1) IN ('h', 'w', 'g') "
        "THEN split_part({m}, ' ', 1) IN ('http', 'https', 'h2', 'ws', 'wss', 'grpcs') ELSE false END)"
    )
    groups = tuple(COLUMNS)
    columns = (*(text(name, type_, nulls=("-", "- ")) for name, type_ in COLUMNS.items()), _DAY)
    time = "{s}.time"
    level = "CASE WHEN TRY_CAST({s}.elb_status_code AS INTEGER) >= 500 THEN 'ERROR' END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _cut_at_url makes (the regex's own groups)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_cut_at_url(self.pattern, self.groups, self.struct_column))


_VERB = ' "([^ ]*) '
_URL = "(.*)"
_WHOLE = "__ll_rest"
"""The group around REST's whole match in its extraction (_cut_at_url)."""


def _cut_at_url(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for the whole pattern, found
    in three cuts of the line, each cheap for RE2. The whole pattern's groups cost 1.1 s per 50,000 lines:
    the request URL's `(.*)` and the optional tail send RE2 to its NFA over the whole line, while a match
    without groups (its DFA) costs 0.09 s.

    Why the groups are the same. The pattern is HEAD `(.*)` REST, and a line here matched it whole
    (detection). RE2 gives the submatches of the first parse in the backtracking order (leftmost-first):
    HEAD's choices first, then the URL from longest to shortest, then REST's. HEAD has one parse only:
    its groups match no space and are separated by single spaces, so it is the line's first 12 tokens
    and the request's `"verb `; the two `ip:port` tokens split at their last `:` (or `-`), the only split
    the greedy group allows (the port is the token's trailing digits: the separator is no digit). So HEAD's
    text is its match found by the DFA (group 0), and its groups are that text's words. The URL is the
    longest k for which the rest of the line matches REST: a candidate k is taken from string functions
    (before the protocol, before the first `" "`), and used only where two tests prove it: no longer URL
    leaves a rest that matches REST (the rest from k does not match `.+REST`, a DFA test), and the rest
    from k does: REST's extraction on it, with one more group around the whole, gives that group
    non-empty (REST begins with a space, so it never matches ''; a separate full match cost 0.03 s per
    50,000 lines); the URL must also hold no newline (`.`). REST's groups are then those of REST alone
    on the rest (a group around the whole changes none of them). A line failing any test (a URL holding
    `" "`, a newline) takes the whole pattern's regexp_extract, as before.

    REST's groups come from string functions too where the record has every field (2020 on) and quotes
    them as AWS writes them (_tail_cut): REST's extraction cost 0.18 s per 50,000 lines, the cut 0.05 s."""
    before, _verb, rest = pattern.partition(_VERB + _URL)
    head = before + _VERB
    assert head + _URL + rest == pattern, "the ALB pattern is no longer HEAD (.*) REST"
    n_head = re.compile(head).groups
    assert groups[n_head] == "request_url" and n_head + 1 + re.compile(rest).groups == len(groups)

    c = f"{struct}_"  # the derived columns' prefix
    line, head_text, after, quote, cut, rest_text, fast = (
        f"{c}{n}" for n in ("line", "head", "after", "quote", "cut", "rest", "fast")
    )
    assert n_head == 15 and groups[3:7] == ("client_ip", "client_port", "target_ip", "target_port")
    words = f"{c}words"

    def word(n: int) -> str:
        return f"{words}[{n}]"

    ports = {4: f"{c}client", 5: f"{c}target"}  # where each port's digits begin, less one: the separator

    def address(n: int) -> tuple[str, str]:
        """`ip:port` (or `ip-port`, `-`): the port is the token's trailing digits (the separator is none)."""
        return f"left({word(n)}, {ports[n]} - 1)", f"substr({word(n)}, {ports[n]} + 1)"

    values = [word(1), word(2), word(3), *address(4), *address(5), *(word(n) for n in range(6, 13))]
    values.append(f"substr({word(13)}, 2)")  # `"verb`
    pieces = dict(zip(groups[:n_head], values, strict=True))
    pieces["request_url"] = f"left({after}, {cut} - 1)"
    pieces |= {g: f"{c}r.{g}" for g in groups[n_head + 1 :]}
    later = "[" + ", ".join(sql_string(g) for g in (_WHOLE, *groups[n_head + 1 :])) + "]"
    tail_columns, tail_struct = _tail_cut(rest_text, rest, f"{c}t", groups[n_head + 1 :])
    return {
        line: LINE.format(m="message"),
        head_text: f"regexp_extract({line}, {sql_string('^(?:' + head + ')')}, 0)",
        after: f"substr({line}, length({head_text}) + 1)",
        quote: f"strpos({after}, '\" \"')",
        # The last space before the first `" "`: where the URL would end if it holds neither.
        cut: f"CASE WHEN {quote} > 1 AND contains(left({after}, {quote} - 1), ' ') "
        f"THEN {quote} - strpos(reverse(left({after}, {quote} - 1)), ' ') END",
        rest_text: f"substr({after}, {cut})",
        **tail_columns,
        # REST's groups, and the whole of its match (never '': REST begins with a space) where it matches.
        f"{c}r": f"CASE WHEN {cut} IS NULL OR contains(left({after}, {cut} - 1), chr(10)) THEN NULL "
        f"WHEN {c}tsure THEN {tail_struct} "
        f"WHEN regexp_full_match({rest_text}, {sql_string('.+(?:' + rest + ')')}) THEN NULL "
        f"WHEN {c}tfits THEN {tail_struct} "
        f"ELSE regexp_extract({rest_text}, {sql_string(f'^((?:{rest}))$')}, {later}) END",
        fast: f"coalesce({c}r.{_WHOLE} <> '', false)",
        words: f"CASE WHEN {fast} THEN string_split({head_text}, ' ') END",
        ports[4]: before_trailing_digits(word(4)),
        ports[5]: before_trailing_digits(word(5)),
        struct: cut_or_regex(fast, pieces, line, pattern, groups),
    }


_CLASSED = (
    "ssl_cipher", "ssl_protocol", "matched_rule_priority", "target_status_code_list", "classification",
    "domain_name", "chosen_cert_arn", "target_port_list", "classification_reason",
)  # fmt: skip
"""REST's groups whose class a quote-split does not settle (each value is tested against its group's class)."""


def _group_classes(rest: str, groups: tuple[str, ...]) -> dict[str, str]:
    """Each capturing group's body in `rest`, by name, without a lazy `?`: the classes _tail_cut tests,
    read from the pattern itself so that the two cannot drift apart."""
    bodies = re.findall(r"\((?!\?)((?:\\.|[^()\\])*)\)", rest)
    assert len(bodies) == len(groups) == re.compile(rest).groups
    return {g: body.removesuffix("?") for g, body in zip(groups, bodies, strict=True)}


def _tail_cut(rest: str, pattern: str, prefix: str, groups: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """SQL for REST's groups from string functions: (derived columns, of which `<prefix>fits` says whether a
    rest fits and the last, `<prefix>sure`, whether it also has no longer URL (_no_longer_url); the struct
    with `__ll_rest` and `groups` as REST's regexp_extract gives them there).

    A rest fits when it is the whole record as ALB writes it since 2020: ` PROTO" "UA" CIPHER SSLPROTO TG
    "TRACE" "DOMAIN" "CERT" PRIO CREATED "ACTIONS" "REDIRECT" "LAMBDA" "PORTS" "STATUSES" "CLASS" "REASON"`
    and after the 23rd quote anything without a newline (fields newer ALBs append). Split at `"`, its
    pieces are those values and the separators between them; a rest fits where every separator is the
    pattern's own (one space, or ` CIPHER SSLPROTO TG ` and ` PRIO CREATED ` in words at single spaces),
    PROTO holds no space, and each value is in its group's class (_CLASSED, classes read from `pattern`,
    REST's regex: one full match over the values joined by spaces; no class holds a space, so the join
    parses only one way, and no value is NULL where the lengths hold).

    Why these are regexp_extract's groups. That assignment of the text to REST's groups (the natural one)
    is a parse of REST. RE2 returns the first parse in backtracking order, and at each choice the natural
    parse takes the option tried first: every optional field present, every `"?` taking its quote, every
    greedy class its longest run (a run ends at a character its class lacks), and PROTO's second
    alternative only because the first (`- ` before `" "`) would need PROTO to hold a space. The one lazy
    group (target_status_code_list, `+?`) takes its whole value only because no shorter one goes on: after
    it comes an optional quote and then a space or the end, and a shorter value is followed by a character
    of its own class (neither). So the natural parse is the one RE2 reports; `(.*)` takes all after the
    optional space that follows the last quote, so extra_fields is the text after the quote less one
    leading space. Any other rest (an older, shorter record, an unquoted field, a quote inside a value,
    a newline in the appended fields) takes REST's regexp_extract, as before."""
    q, words, prio, extra, fits = (f"{prefix}{n}" for n in ("q", "words", "prio", "extra", "fits"))
    columns = {
        q: f"string_split({rest}, '\"')",
        words: f"string_split({q}[4], ' ')",  # '', CIPHER, SSLPROTO, TG, ''
        prio: f"string_split({q}[10], ' ')",  # '', PRIO, CREATED, ''
        extra: f"CASE WHEN len({q}) = 24 THEN {q}[24] ELSE array_to_string({q}[24:], '\"') END",
    }
    values = dict(zip(groups, [
        f"substr({q}[1], 2)", f"{q}[3]", f"{words}[2]", f"{words}[3]", f"{words}[4]", f"{q}[5]", f"{q}[7]",
        f"{q}[9]", f"{prio}[2]", f"{prio}[3]", *(f"{q}[{n}]" for n in (11, 13, 15, 17, 19, 21, 23)),
        f"CASE WHEN prefix({extra}, ' ') THEN substr({extra}, 2) ELSE {extra} END",
    ], strict=True))  # fmt: skip
    class_of = _group_classes(pattern, groups)
    assert not any(re.fullmatch(class_of[g], " ") for g in _CLASSED)  # the join below parses one way only
    classes = " ".join(class_of[g] for g in _CLASSED)
    classed = ", ".join(values[g] for g in _CLASSED)
    columns[fits] = " AND ".join(
        [
            f"len({q}) >= 24",
            f"prefix({q}[1], ' ')",
            f"NOT contains(substr({q}[1], 2), ' ')",
            *(f"{q}[{n}] = ' '" for n in (2, 6, 8, 12, 14, 16, 18, 20, 22)),
            f"len({words}) = 5 AND {words}[1] = '' AND {words}[5] = ''",
            f"len({prio}) = 4 AND {prio}[1] = '' AND {prio}[4] = ''",
            f"NOT contains({extra}, chr(10))",
            f"regexp_full_match(concat_ws(' ', {classed}), {sql_string(classes)})",
        ]
    )
    columns[f"{prefix}sure"] = _no_longer_url(fits, q, prio)
    fields = ", ".join(f"{g} := {v}" for g, v in {_WHOLE: rest, **values}.items())
    return columns, f"struct_pack({fields})"


def _no_longer_url(fits: str, q: str, prio: str) -> str:
    """SQL: true where a rest that fits (_tail_cut) is sure to be the URL's longest: no later cut leaves a
    rest matching REST, so the test `.+REST` over the rest (45 ms per 50,000 lines, a DFA over ~250 bytes)
    would be false and is skipped. Where this is false or NULL, that test runs as before.

    Why. A later cut's rest R' starts at a space after the one inside the first `" "` (the cut was the
    last space before it, and PROTO holds none), and REST begins with a part every match has:
    ` PROTO" "UA" CIPHER SSLPROTO TG "TRACE"`, UA without quotes and CIPHER not empty (`[A-Z0-9-_]+`). So
    R' holds a `" "` after the first: a piece q[j-1] of the split at quotes that is exactly ' ', with
    j-1 > 2, then UA' = q[j], then q[j+1] begins with a space, a non-empty CIPHER' and a space. In a rest
    that fits, the pieces that are ' ' are the separators 2, 6, 8, 12, ..., 22 and any value that is ' ':
    only UA, TRACE, ACTIONS, REDIRECT and LAMBDA (3, 5, 11, 13, 15) can be (`[^"]*`; the others' classes,
    tested in `fits`, hold no space); required here not to be. Then q[j+1] is a separator ' ' (j-1 = 6,
    12, ..., 20: no CIPHER'), or q[10] ` PRIO CREATED ` (j-1 = 8), whose three spaces make SSLPROTO' the
    creation time: impossible where it holds a `:` (`[A-Za-z0-9.-]*`), or q[24], the appended fields
    (j-1 = 22), after which R' needs two more quotes (TRACE's): none where len(q) = 24 (no quote in them).
    So no R' matches REST, and `.+REST` (any R' after at least one character) is false."""
    return " AND ".join(
        [
            fits,
            f"len({q}) = 24",
            f"contains({prio}[3], ':')",
            *(f"{q}[{n}] <> ' '" for n in (3, 5, 11, 13, 15)),
        ]
    )


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

# Older lengths, from earlier versions of the ELB guide's access-log page (tests/events/ATTRIBUTION.md).
EXAMPLES += [
    Example(  # 2016: ends at chosen_cert_arn, which (with domain_name) was not quoted yet
        "https 2016-08-10T23:39:43.065466Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
        '0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" '
        "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/"
        'my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" www.example.com '
        "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
        {
            "type": "https",
            "sent_bytes": 57,
            "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "trace_id": "Root=1-58337281-1d84f3d73c47ec4e58577259",
            "domain_name": "www.example.com",
            "chosen_cert_arn": "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
            "matched_rule_priority": None,
            "request_creation_time": None,
            "actions_executed": None,
            "target_port_list": None,
            "classification_reason": None,
            "extra_fields": None,
            "day": "2016/08/10",
            "timestamp": "2016-08-10 23:39:43.065466",
        },
    ),
    Example(  # July 2018: ends at actions_executed
        "h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 "
        '0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" '
        "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/"
        'my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 '
        '2018-07-02T22:22:48.364000Z "forward"',
        {
            "target_port": 9000,
            "domain_name": None,
            "matched_rule_priority": "1",
            "request_creation_time": "2018-07-02T22:22:48.364000Z",
            "actions_executed": "forward",
            "redirect_url": None,
            "lambda_error_reason": None,
            "target_port_list": None,
            "extra_fields": None,
        },
    ),
    Example(  # November 2018: ends at lambda_error_reason, before target_port_list
        "http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 "
        '0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - '
        "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "
        '"Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" '
        '"LambdaInvalidResponse"',
        {
            "target_ip": None,
            "target_port": None,
            "elb_status_code": 502,
            "target_status_code": None,
            "actions_executed": "forward",
            "redirect_url": None,
            "lambda_error_reason": "LambdaInvalidResponse",
            "target_port_list": None,
            "target_status_code_list": None,
            "classification": None,
            "classification_reason": None,
            "extra_fields": None,
            "day": "2018/11/30",
        },
    ),
]
