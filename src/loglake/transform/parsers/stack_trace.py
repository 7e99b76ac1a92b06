"""stack_trace: a Java or Python stack trace kept as one event (see sources/multiline.py), into `logs`.

`exception_type` and `exception_message` come from the first exception line in Java
(`java.lang.X: msg`, `Caused by: ...`), or from a Python traceback's last line, whatever the
exception's name (`smtplib.SMTPServerDisconnected: ...`); `frames` counts the `at ...` / `File "..."` lines.
Time and level come from the first line, as for plain text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.sql_quoting import sql_string
from loglake.transform.levels import LEVEL_WORDS, text_level_word
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, ParsePlan
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS
from loglake.transform.timestamps import TEXT_DIGIT_TIME, text_time_expression

_JAVA_TYPE = r"[A-Za-z_$][\w$]*(?:\.[\w$]+)*(?:Exception|Error|Throwable|Exit|Interrupt|Warning)\w*"
_EXCEPTION = rf"(?m)^(?:Caused by: |Exception in thread \S+ )?(?P<type>{_JAVA_TYPE})(?:: (?P<message>.*))?$"
_FRAME = r"(?m)^\s+(?:at [\w$.<>/]+\(|File \")"
_JAVA_FRAME = r"\n\tat [\w$.<>/]+\("
"""An LF and a Java frame line's start: every match is one of _FRAME."""
# Python names exceptions freely (SMTPServerDisconnected, StopIteration): after a traceback, the
# exception is the last line, whatever its name.
_PYTHON_TYPE = r"[A-Za-z_][\w.]*"
_PYTHON_LAST = rf"\n(?P<type>{_PYTHON_TYPE})(?:: (?P<message>[^\n]*))?\s*\z"
_PYTHON = "contains({s}, 'Traceback (most recent call last):')"


_S = "__ll_stack_trace"
_SURE_TRACEBACK = 'Traceback (most recent call last):\n  File "'
"""How a Python traceback starts: its header line, then a frame line (StackTraceParser.sure)."""
_SURE_LOGGER = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [^\[]"
"""How a Java trace after a log4j logger's line starts: its time, a blank, not `[` (StackTraceParser.sure)."""


def _cut(line: str, head: str) -> str:
    """SQL: the struct (type, message) of a line cut at its first `: `: `head` (the text before it, all of
    the line where it has none) and what follows it ('' where nothing does)."""
    return f"struct_pack(type := {head}, message := substr({line}, length({head}) + 3))"


def _exception(message: str, second: str, line: str, head: str) -> str:
    """SQL: the exception's type and message, one struct from one extraction: the same first match that
    two extractions (one per group) found, each searching the whole trace (140 ms per 50,000 traces);
    `second` (_second_line) where that match is the second line; a Python traceback's last line cut at
    its first `: ` where _PYTHON_LAST's groups are that cut.

    Why, for a traceback, where `line` (_exception_line: its last line, before a final LF) follows an LF
    and its `head` matches _PYTHON_TYPE whole. A match of _PYTHON_LAST is an LF, a name and an optional
    `: ` and rest of that line (`[^\\n]*` reads no LF), then only blanks (`\\s*`) to the end: a match that
    starts at an earlier LF would have `line`'s first character, a letter or `_`, among those blanks, so
    the only match starts at the LF before `line`. Its name, a run of `[\\w.]`, is `head`: `head` is all
    `[\\w.]` and ends at the line's end or at the `:` of its first `: `; the optional group, greedy, takes
    `: ` and the rest of the line (CR and blanks included), and `\\s*` the final LF if any. The search
    read the whole trace and extracted two groups: the exception of 25,000 tracebacks, 17 -> 12 ms CPU."""
    python = _PYTHON.format(s=message)
    after = f"CASE WHEN suffix({message}, chr(10)) THEN chr(10) ELSE '' END"
    last = f"suffix({message}, chr(10) || {line} || {after}) AND regexp_full_match({head}, {sql_string(_PYTHON_TYPE)})"
    return (
        f"CASE WHEN {second}.type <> '' THEN {second} "
        f"WHEN {python} THEN CASE WHEN {last} THEN {_cut(line, head)} "
        f"ELSE regexp_extract({message}, {sql_string(_PYTHON_LAST)}, ['type', 'message']) END "
        f"ELSE regexp_extract({message}, {sql_string(_EXCEPTION)}, ['type', 'message']) END"
    )


_LINE_EXCEPTION = _EXCEPTION.removeprefix("(?m)")
"""_EXCEPTION over one line: `^` and `$` are the line's ends."""


def _exception_line(message: str) -> str:
    """SQL: the line the exception is read from: a Python traceback's last (before a final LF, if any);
    else the second line where _LINE_EXCEPTION does not match the first whole; else NULL.

    A first line that starts with a digit (a Java trace's logger line starts with its time) takes the second
    line without the full match: every match of _LINE_EXCEPTION starts with `C` or `E` (its prefixes) or a
    character of `[A-Za-z_$]` (the name), never a digit (the test reads the first character, an ASCII digit
    being a whole one; a trace that starts with an LF has an empty first line and starts with no digit). The
    line of 25,000 Java traces: 14.0 -> 5.9 ms CPU."""
    first = f"split_part({message}, chr(10), 1)"
    second = f"split_part({message}, chr(10), 2)"
    return (
        f"CASE WHEN {_PYTHON.format(s=message)} "
        f"THEN split_part({message}, chr(10), CASE WHEN suffix({message}, chr(10)) THEN -2 ELSE -1 END) "
        f"WHEN substr({message}, 1, 1) BETWEEN '0' AND '9' THEN {second} "
        f"WHEN NOT regexp_full_match({first}, {sql_string(_LINE_EXCEPTION)}) THEN {second} END"
    )


def _second_line(message: str, line: str, head: str) -> str:
    """SQL: for a trace that is no Python traceback and whose first line _LINE_EXCEPTION does not match,
    _LINE_EXCEPTION's groups on the second line `line` (type '' where it does not match either); else NULL.

    Why they are _EXCEPTION's first match in the trace: nothing in _EXCEPTION reads a line feed (`.`, `\\S`,
    `[\\w$]` and the literals), and with `(?m)` `^` is the start or follows an LF and `$` is the end or comes
    before one, so each match is a whole line, and the first is the first line that _LINE_EXCEPTION matches
    whole, with the same groups (the same parses of the same text, in the same order). A Java trace names its
    exception on its second line, after the logger's: the search over the trace cost 46 ms per 25,000 Java
    traces, the two lines' tests about half.

    Why the cut (_cut at the first `: `) gives those groups where `head` matches _JAVA_TYPE whole: `head`
    holds no blank, so neither `Caused by: ` nor `Exception in thread ` starts the line, and the optional
    prefix matches nothing; the type is then a run of `[\\w$.]` from the line's start followed by the end or
    `: `, so it is the whole run, `head` (all `[\\w$.]`, followed by the end or the `:` of the first `: `);
    `(?P<message>.*)` takes the rest of the line (`.` reads CR and all but LF, and the line holds no LF).
    Elsewhere (a prefix, no such name) the extraction as before. The exception of 25,000 Java traces (this
    line's extraction most of it): 31 -> 15 ms CPU."""
    extraction = f"regexp_extract({line}, {sql_string(_LINE_EXCEPTION)}, ['type', 'message'])"
    return (
        f"CASE WHEN {_PYTHON.format(s=message)} OR {line} IS NULL THEN NULL "
        f"WHEN regexp_full_match({head}, {sql_string(_JAVA_TYPE)}) THEN {_cut(line, head)} ELSE {extraction} END"
    )


_FILE = 'File "'
_PYTHON_FRAME = f"  {_FILE}"
"""How Python indents a frame line: a line that starts with it matches _FRAME_LINE."""
_FRAME_LINE = r"^\s+(?:at [\w$.<>/]+\(|File \")"
_UNINDENTED = r"^(?:at [\w$.<>/]+\(|File \")"


def _line_kinds(message: str) -> str:
    """SQL: per line of the trace (split at LF), 1 for a frame line (_FRAME_LINE: blanks, then `at name(` or
    `File "`), -1 for a line that starts with `at name(` or `File "` without a blank, else 0.

    Why, where no line is a -1, the count of 1s is the count of _FRAME's matches in the trace. A match
    starts at a line's start; its `\\s+` may read line feeds, but what follows it (`at `, `File "`) reads
    none and starts with a letter, so it starts in some line right after that line's leading blanks. A
    match that began on an earlier line crossed only blank lines, so its line either starts with
    `at`/`File` (a -1) or has leading blanks: a frame line. Two matches cannot end in the same line (they
    would overlap), and each frame line holds the end of one: a match that crosses the line's start ends
    in it (the line holds a letter), else the search reaches the line's start and matches there.
    regexp_extract_all over the trace: 63 ms per 50,000 traces; these anchored tests of each line, 35.

    Each line is tested without a regex first, with the regexes' values: a line that starts with
    _PYTHON_FRAME (two spaces, then `File "`: `\\s+` reads the spaces) is a frame line (1); a line that holds
    neither `at ` nor `File "` can match neither regex (each match holds one of them), so it is a 0. A Python
    traceback's code lines and a Java trace's first two lines no longer pay two regexes each: the frames of
    25,000 tracebacks 19.5 -> 11.4 ms CPU, of 25,000 Java traces 20.4 -> 19.7."""
    kind = (
        f"CASE WHEN starts_with(x, {sql_string(_PYTHON_FRAME)}) THEN 1 "
        f"WHEN NOT contains(x, 'at ') AND NOT contains(x, {sql_string(_FILE)}) THEN 0 "
        f"WHEN regexp_matches(x, {sql_string(_FRAME_LINE)}) THEN 1 "
        f"WHEN regexp_matches(x, {sql_string(_UNINDENTED)}) THEN -1 ELSE 0 END"
    )
    return f"list_transform(string_split({message}, chr(10)), lambda x: {kind})"


def _frames(message: str, kinds: str) -> str:
    """SQL: the count of _FRAME's matches, as text: from `kinds` (_line_kinds) where none is -1."""
    whole = f"len(regexp_extract_all({message}, {sql_string(_FRAME)}))"
    return f"(CASE WHEN list_min({kinds}) >= 0 THEN list_sum({kinds}) ELSE {whole} END)::VARCHAR"


_LEVEL_HINTS = (
    *sorted(w for w in LEVEL_WORDS.split("|") if not any(o != w and o in w for o in LEVEL_WORDS.split("|"))),
    *("[", "l=", "L="),
)
"""Literals one of which every match of levels.TEXT_LEVEL_PATTERN holds: its first branch's upper-case
words, case-sensitive, each holding one of the words that hold no other (ERR in ERROR, WARN in WARNING);
the second's `[`; the third's `level=` in any case, which ends in `l=` or `L=`."""


def _level_word(message: str, digits: str) -> str:
    """SQL: levels.text_level_word, searched only in a trace that holds one of _LEVEL_HINTS: elsewhere no
    branch of the level's pattern can match (in the whole trace, so not in its first 256 characters), and
    the word is NULL as the search gives. A Python traceback seldom has one: 25,000 tracebacks 25 -> 10 ms
    CPU (`left` was about a third; one RE2 pass for the hints cost 18); 25,000 Java traces, which have a
    level and pay the hints too, 16 -> 19.

    Before the hints, where the trace starts with a digit time (`digits`, _digit_time) followed by a blank, one
    of _FAST_LEVELS and a blank, that word without the search. Why it is the search's word: a match of the
    level's pattern cannot start inside the time. The time's characters are digits, `-`, `/`, `:`, `.`, `,`,
    `+`, blanks, `T`, `Z`, `z`, Tomcat's month (after `-`), `UTC`, `GMT` or a zone of timestamps._ZONE_NAMES
    (after a blank, followed by a word boundary). The first branch's word starts at the start (a digit here)
    or after a blank, `|`, `:` or `]`: in the time, after a blank come digits, `+`, `-` or a zone name, and
    no level word equals a zone name, UTC or GMT, starts one or is started by one (so it would end inside
    the name, before a letter, or run past the name's word boundary); after `:` come digits. The time holds
    no `[` (the second branch) and none of its ends is a prefix of `level=` in any case (the third). So the
    first match starts at the blank after the time at the earliest, and there the first branch matches the
    blank, the word (the alternation tries each word; only the whole word is followed by a blank) and the
    blank after it. The time is under 50 characters, so the match lies within `left(message, 256)`; and
    the word holds one of _LEVEL_HINTS, so the hints' test passes. The level of 25,000 Java traces 26 -> 13 ms
    CPU (the hints' scans and the extraction of three groups)."""
    hinted = " OR ".join(f"contains({message}, {sql_string(h)})" for h in _LEVEL_HINTS)
    after = f"substr({message}, length({digits}) + 1, 11)"
    fast = " ".join(
        f"WHEN {digits} IS NOT NULL AND starts_with({after}, {sql_string(f' {w} ')}) THEN {sql_string(w)}"
        for w in _FAST_LEVELS
    )
    return f"CASE {fast} WHEN {hinted} THEN {text_level_word(message)} END"


_FAST_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG", "TRACE", "FATAL")
"""The level words a logger writes after its time that _level_word reads without the search (any of
levels.LEVEL_WORDS would do: these are the common ones)."""


_TRACEBACK = "Traceback (most recent call last):"


_DIGIT_TIME = f"^(?:{TEXT_DIGIT_TIME})"
"""timestamps.TEXT_DIGIT_PATTERN without its group (which holds the whole match)."""


def _time(message: str, digits: str) -> str:
    """SQL: timestamps.text_time_expression, NULL without it for a trace that starts with _TRACEBACK and holds
    no `[`. Why it gives NULL there: the first character is a letter, and `_WORD_GUARD` needs the name at the
    start (`Traceback`) followed by blanks then a digit or `[` (here `(`), or a day's name (`Tra`); the syslog
    time needs a space after `Tra` (here `c`); the CLF time, the only one searched past the start, a `[`. A
    bare Python traceback has no time: 25,000 of them 15 -> 1 ms CPU (the CLF search's `left` most of it).

    Elsewhere `digits` (_digit_time), where there is one, before text_time_expression. Why it is that
    expression's value: _DIGIT_TIME is timestamps.TEXT_DIGIT_PATTERN with its group made non-capturing, and that group
    (TEXT_DIGIT_TIME) holds all of the pattern after `^`, so a match's whole text is the group's. A match starts with a
    digit (both alternatives do; `\\d` is ASCII), where text_time_expression's first branch is that group's extraction,
    and is never empty, so coalesce takes it there as text_time_expression's own coalesce does; without a match the
    expression as before. RE2 finds the whole match without the engine that reads groups: 25,000 Java traces 24.0 ->
    12.8 ms CPU."""
    bare = f"starts_with({message}, {sql_string(_TRACEBACK)}) AND NOT contains({message}, '[')"
    return f"CASE WHEN {bare} THEN NULL ELSE coalesce({digits}, {text_time_expression(message)}) END"


def _digit_time(message: str) -> str:
    """SQL: the whole match of _DIGIT_TIME (the trace's time where it starts with a digit), or NULL; where the
    first character is no ASCII digit, NULL without the regex (both of its alternatives start with `\\d`)."""
    return (
        f"CASE WHEN substr({message}, 1, 1) BETWEEN '0' AND '9' "
        f"THEN nullif(regexp_extract({message}, {sql_string(_DIGIT_TIME)}, 0), '') END"
    )


_DERIVED = {
    f"{_S}_line": _exception_line(_S),
    f"{_S}_head": f"split_part({_S}_line, ': ', 1)",
    f"{_S}_second": _second_line(_S, f"{_S}_line", f"{_S}_head"),
    f"{_S}_exception": _exception(_S, f"{_S}_second", f"{_S}_line", f"{_S}_head"),
    f"{_S}_digits": _digit_time(_S),
    f"{_S}_time": _time(_S, f"{_S}_digits"),
    f"{_S}_level": _level_word(_S, f"{_S}_digits"),
    f"{_S}_kinds": _line_kinds(_S),
}
"""Computed once per trace, in columns (plan.derived): ll_parse_time and ll_level are CASEs that name
their argument in several branches, and DuckDB does not share a subexpression under a CASE, so the
time's regexes over the whole trace ran again for each test of the cascade (0.16 s per 50,000); the
exception's line and its text before `: ` are read in several places."""


class StackTraceParser(FixedSchemaParser):
    name = "stack_trace"
    table = DEFAULT_TABLE
    columns = (
        Column("exception_type", "VARCHAR", f"{_S}_exception.type", ()),
        Column("exception_message", "VARCHAR", f"{_S}_exception.message", ()),
        Column("frames", "BIGINT", _frames("{s}", f"{_S}_kinds"), ()),
    )
    time = f"{_S}_time"
    level = f"ll_level({_S}_level)"

    guard = "contains({m}, chr(10))"

    def matches(self, message: str) -> str:
        """_FRAME's search, after two sure cases: an LF then `  File "` (Python's frame line) or `\\tat name(`
        (Java's), each a match of _FRAME (`^` after the LF, `\\s+` the blanks). Their searches start at an LF
        (RE2 skips to it): 50,000 traces 20.8 -> 8.9 ms CPU, where _FRAME's `^\\s+` read each line."""
        python = f"contains({message}, chr(10) || {sql_string(_PYTHON_FRAME)})"
        sure = f"{python} OR regexp_matches({message}, {sql_string(_JAVA_FRAME)})"
        return f"(CASE WHEN {sure} THEN true ELSE regexp_matches({message}, {sql_string(_FRAME)}) END)"

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
        *("mysql_error", "mysql_general", "mysql_slow", "syslog_rfc5424", "syslog_rfc3164", "syslog_rsyslog_file"),
    )
    """Every parser before this one in PARSERS: a stack trace paid each one's detection (about 2 ms per 50,000
    traces each, 0.07 s together: benchmarks/README.md) before its own. Classification tests `sure` before the
    first of them (etl._shortcuts), and this parser's detection stays where it is for the traces `sure` is not
    sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give
        it after testing them. Two shapes, each tested by its first characters, with what they rule out:

        - a Python traceback: _SURE_TRACEBACK at the start (`Traceback (most recent call last):`, LF, a frame
          line); it holds LF then `  File "`, which `matches` takes as a frame (its sure case);
        - a Java trace after a logger's line: _SURE_LOGGER (`2026-11-26 14:03:07,412 `, then not `[`), no `] "`
          in the message, and an LF then a Java frame (_JAVA_FRAME, `matches`' other sure case).

        Where a CloudFront or VPC header of the object makes their detection read the field count
        (`custom`, a value per object: etl._settled) `sure` is false. Elsewhere none of them claims such a
        message; with the characters at 1-based positions each reads:

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank then `{`
          (the first character here is `T` or a digit); lambda_platform: `START`, `END`, `REPORT`, `INIT_...`
          or `XRAY` first;
        - lambda_text: `[` at 1 or `T` at 11; elb_classic, alb_connection, container_cri, mysql_general and
          syslog_rsyslog_file: `T` at 11 (or rsyslog `<` at 1); cloudfront (not custom): a tab at 11;
          cloudfront_realtime: a tab at 15; nginx_error: `/` at 5; alb: `h`, `w` or `g` at 1; nlb: `tls `;
          apache_error: `[` at 1; mysql_slow: `# `; syslog_rfc5424: `<` at 1 or a blank at 2; syslog_rfc3164:
          `<` at 1 or a blank at 4; mysql_error: at 5 `-`, then at 20 one of `.Z+- ` (a traceback has `e`
          at 5, a logger line `,` at 20); rds_postgresql: a blank at 11 (a traceback has `(`), and its
          pattern needs `.` or a blank after the seconds (a logger line has `,`);
        - vpc_flow_log (not custom): a digit first, and its pattern's first field `\\d+` then a blank (a logger
          line has `-` after four digits; a traceback starts with `T`);
        - s3_access_log: its pattern's first two fields are `[^ ]*` each followed by a blank, then `[`: the
          two words before the second blank (`Traceback`, `(most`; the logger's date and time) are followed
          by `r` and, in a logger line, by anything but `[`;
        - access_log and apigateway_access_log: their guards need `] "` (a logger line's `sure` rules it
          out); for a traceback their patterns' fields (`\\S+` each followed by one blank, access_log's
          optional virtual host `[^\\s,]+?` and port before a blank, apigateway_access_log's `\\S+ \\S+ +\\S+`)
          take `Traceback`, `(most`, `recent` and `call` whole, and need ` [` after the third or fourth
          where the line has ` call` or ` last):`.

        The characters of _SURE_LOGGER up to position 24 are ASCII, so a position there is a byte. Per 50,000
        traces the classification statement's CPU went 0.109 -> 0.05 s (benchmarks/README.md)."""
        python = f"starts_with({message}, {sql_string(_SURE_TRACEBACK)})"
        logger = f"substr({message}, 20, 1) = ',' AND regexp_matches({message}, {sql_string(_SURE_LOGGER)})"
        java = f"NOT contains({message}, '] \"') AND regexp_matches({message}, {sql_string(_JAVA_FRAME)})"
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN {python} THEN true "
            f"WHEN {logger} THEN {java} ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        return replace(super().plan(con, max_depth), derived=dict(_DERIVED))


EXAMPLES = [
    Example(
        "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\n"
        "java.lang.IllegalStateException: no stock for sku 42\n"
        "\tat com.example.Inventory.reserve(Inventory.java:88)\n"
        "\tat com.example.Orders.place(Orders.java:31)\n",
        {
            "exception_type": "java.lang.IllegalStateException",
            "exception_message": "no stock for sku 42",
            "frames": 2,
            "level": "ERROR",
            "timestamp": "2026-11-26 14:03:07.412",
        },
    ),
    Example(
        'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\n'
        '  File "app.py", line 2, in main\n    raise ValueError("bad input")\nValueError: bad input\n',
        {"exception_type": "ValueError", "exception_message": "bad input", "frames": 2},
    ),
    Example(
        'Traceback (most recent call last):\n  File "/usr/lib/python3.12/smtplib.py", line 986, in send_message\n'
        "    return self.sendmail(from_addr, to_addrs, flatmsg)\n"
        "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        {"exception_type": "smtplib.SMTPServerDisconnected", "exception_message": "Connection unexpectedly closed"},
    ),
]
