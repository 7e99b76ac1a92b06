"""logfmt: `key=value key2="quoted value"` lines, into `logs`, one column per key.

A line is logfmt when it is nothing but such pairs, with distinct keys (a repeated key leaves the line to plain
text rather than lose a value). The pairs become two lists per row (keys, `key=value` matches: _pair_lists) and
one column per key, typed from their values, only where the typed value reads back as written: a key whose values
are all canonical integers in BIGINT's range (`-?(0|[1-9][0-9]*)`, not `-0`) is BIGINT; all JSON numbers
(NUMBER_PATTERN, finite, 0.0 only when written as a zero, integers within 2^53) DOUBLE; all true/false, in any
case, BOOLEAN; else VARCHAR, exact as written. DuckDB's casts read more (`007` as 7, `+5`, `1_000`, ` 12 `,
`1e400` as inf, `1e-400` as 0.0, `inf`, `NaN`): such a value, an integer beyond BIGINT (never a rounded DOUBLE) or
`-0` makes its column text. `-` and an empty value do not count against a type: in a typed column they are NULL
(`bytes=-`), in a VARCHAR column they stay as written. Keys are also where the time (`time`, `ts`, ...) and the
level (`level`, `lvl`, ...) are looked up: the first of their keys that a line gives a value (`-` or empty gives
none: `level= lvl=warn` is WARN). Keys past the table's max_columns stay in the row, exact, as one `extra` JSON
object of key -> value text, as JSON's do: a line of 18,000 pairs cannot give a table 18,000 columns.

The rule: a line is split into pairs as go-logfmt's decoder splits it (go-logfmt/logfmt decode.go, the
decoder of the Go encoder most logfmt comes from), and a line it cannot split so, or that it splits into
something loglake does not take, is not logfmt: it goes to the next parser or to `text`, its message whole.
The decoders disagree on malformed lines (`a=b="x y"`: go-logfmt fails with "unexpected '='"; kr/logfmt reads
a=b and standalone keys x, y; Vector's VRL reads a='b="x' and a key `y"`), and the old reading, a='b=' with
"x y" dropped, was none of them: a wrong value with exit 0. Line by line:

- a bare value runs to a separator; `=` or `"` in it (`a=b=c`, `a=b"c`, `a==`) is go-logfmt's syntax error;
- a quoted value runs to its first unescaped quote; a separator after it is optional (`a="x"b=1`, as go-logfmt);
  a backslash must begin an escape go-logfmt knows (JSON's and `\\'`), and then no raw control character may
  be in the value (go-logfmt's "invalid quoted value"); an unterminated quote is not logfmt;
- separators are go-logfmt's bytes <= ' ' (space, tab, vertical tab, CR, ...), but LF: go-logfmt reads a
  line as a record, so a message of two lines is two records and not claimed (the line end is stripped first);
- `key=` and `key=""` are empty strings (go-logfmt: nil); a standalone key (`a b=1`, a bare word) is not
  claimed (go-logfmt: nil; VRL and fluent-bit: true); nor is a repeated key (go-logfmt: both; VRL: a list);
- keys are ASCII, `[A-Za-z_@][A-Za-z0-9_.-/@#]*`, and the first one starts after spaces only (a narrower
  set than go-logfmt's: such lines are not claimed, never misread);
- quoted values: `\\"` and `\\\\` are unescaped as go-logfmt does; its other escapes (`\\t`, `\\n`,
  `\\u00e9`, ...) are kept as written, as VRL keeps them. go-logfmt decodes them (JSON's rules), but
  tests/transform/parsers/test_typed_golden.py pins the written text (event 0.195, VRL's
  escaped_tab_escapes_in_quoted_value): decoding them waits for that decision. So `a="\\\\t"` (an escaped
  backslash, then t) and `b="\\t"` both store the two characters `\\t`: the stored text cannot tell them apart.

tests/transform/parsers/test_logfmt.py checks every claimed line against a restatement of go-logfmt's decoder,
which go-logfmt's own test vectors check in turn.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.lake.quarantine import Reason
from loglake.lake.schema_registry import EXTRA_NAME, EXTRA_SOURCE
from loglake.sql_quoting import sql_string
from loglake.transform.levels import JSON_LEVEL_KEYS
from loglake.transform.parsers.base import LINE, Example, FieldPlan, ParsePlan, first_given
from loglake.transform.parsers.cloudfront import CloudFrontParser
from loglake.transform.parsers.vpc_flow_log import VpcFlowLogParser
from loglake.transform.timestamps import JSON_TIME_KEYS

_KEY_PATTERN = r"[A-Za-z_@][A-Za-z0-9_.\-/@#]*"
"""A key: ASCII, as RE2's and Python's regexes both read it (Python's \\w would take any letter)."""
_ESCAPE = r"""\\(?:["\\/'bfnrt]|u[0-9A-Fa-f]{4})"""
"""An escape go-logfmt reads (its unquoting: JSON's, and `\\'`); any other backslash is its syntax error."""
_QUOTED = rf'"[^"\\\n]*"|"(?:[^"\\\x00-\x1f]|{_ESCAPE})*"'
"""A quoted value, up to its first unescaped quote: without a backslash, any characters but LF (go-logfmt
reads a line); with one, every backslash begins an escape and no control character is raw (go-logfmt's
unquoting refuses it)."""
_BARE = r'[^\x00-\x20"=]*'
"""An unquoted value: up to a byte <= ' ' (go-logfmt's separator); `=` or `"` in it is go-logfmt's syntax error."""
_SEPARATOR = r"[\x00-\x09\x0b-\x20]"
"""What separates pairs: go-logfmt's bytes <= ' ' but LF, which ends its record (a line of two records is not
claimed)."""
PAIR = rf"({_KEY_PATTERN})=({_QUOTED}|{_BARE})"
"""A pair and its two groups, key and raw value (likely_format's guess reads them with Python's `re`)."""
_PAIR_MATCH = rf"{_KEY_PATTERN}=(?:{_QUOTED}|{_BARE})"
"""PAIR without its two groups: the same matches (groups never change which text RE2 matches)."""
_PAIRS = rf"(?:{_KEY_PATTERN}=(?:(?:{_QUOTED}){_SEPARATOR}*|{_BARE}(?:{_SEPARATOR}+|$)))+"
"""Nothing but pairs: a bare value ends at a separator or the line's end, a quoted one at its quote."""
LINE_PATTERN = rf"{_SEPARATOR}*{_PAIRS}"
"""A line of pairs after any separators (likely_format's guess reads it with Python's `re`)."""
_SPACED_LINE = rf" *{_PAIRS}"
"""What detection fully matches: pairs after spaces only (the first key starts after spaces: module docstring)."""
_TYPES = ("BIGINT", "DOUBLE", "BOOLEAN")
NUMBER_PATTERN = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
"""What a typed number is written as: JSON's number grammar. DuckDB's casts read more (`007`, `+5`, `1_000`,
` 12 `, `inf`, `NaN`), and the value then changes when typed (an id `007` would be 7)."""
_FRACTION_OR_EXPONENT = "(contains(v, '.') OR contains(v, 'e') OR contains(v, 'E'))"
"""SQL: a JSON number `v` is not an integer (cheaper than a second regex)."""
_NOT_UNDERFLOWN = "(CASE WHEN number = 0 THEN ltrim(split_part(lower(v), 'e', 1), '-0.') = '' ELSE true END)"
"""SQL: DOUBLE `number` of JSON number `v` is 0 only where `v`'s digits before its exponent are all zeros. A
CASE, so that only the zeros are split (an OR split every value: 0.11 s per 50,000 lines, against 0.055 s)."""
_EXACT_IN_DOUBLE = 1 << 53
"""The largest magnitude up to which every integer is a DOUBLE exactly."""
_MAP = "__ll_pairs"


def _unquote(v: str) -> str:
    """SQL: a raw value `v` unquoted when it is quoted: `\\"` and `\\\\` read as go-logfmt reads them, any other
    escape kept as written (as Vector's VRL keeps `\\t`; go-logfmt decodes it: see the module's docstring)."""
    return f"CASE WHEN starts_with({v}, '\"') THEN replace(replace({v}[2:-2], '\\\"', '\"'), '\\\\', '\\') ELSE {v} END"


_STAGED = "__ll_logfmt_pairs"
"""Each logfmt row's keys and matches (_pair_lists), made once per object by plan() when classification kept
none (KEPT), and read by the write (by rowid)."""
KEPT = "__ll_logfmt"
"""A column of `classified` (when logfmt is an object's likely format: transform/likely_format.py): the
pairs detection found (_pair_lists), for logfmt's rows, which the plan's verdicts and the write read."""


def _matches(message: str) -> str:
    """SQL: the line's pairs, each `key=raw value` as written: one bare match per pair (no groups: RE2 then
    finds each match with its DFAs instead of its submatch engine, 0.11 -> 0.08 s per 50,000 lines of 7
    pairs; the groups never changed which text a match covers)."""
    return f"regexp_extract_all({LINE.format(m=message)}, {sql_string(_PAIR_MATCH)}, 0)"


_KEY = "substr(p, 1, strpos(p, '=') - 1)"
"""SQL: the key of match `p` (`key=raw value`): before its first '=' (a key holds none)."""
_VALUE = "substr(p, strpos(p, '=') + 1)"
"""SQL: the raw value of match `p`: after its first '='."""


_ESCAPED = "(strlen(to_json({m})) - strlen({m}))"
"""SQL: the bytes JSON's escapes add to message `{m}`: 2 (its quotes) plus at least one per `"`, backslash and
control character (RFC 8259 escapes each; no other character is written shorter than as itself)."""
_PARTS = "string_split({m}, '\"')"
"""SQL: message `{m}` cut at its double quotes."""


def _found(message: str) -> str:
    """SQL: the pairs of a line that detection's full match passed, each `key=raw value` as _matches finds
    them: by string splits where the line's shape makes the split exact, else by _matches. The regex costs
    about 200 ns a match, whatever its pattern (150 ms per 50,000 lines of 7 pairs); the split and its
    tests cost 90 ms, and the pairs of a typical line (the benchmark's: one quoted value) 175 ms against
    230 ms in classification (benchmarks/README.md). The split is taken when:

    - `_ESCAPED` is 2 (no `"`, backslash or control character: every value is bare), or 4 with a third
      part after two quotes (exactly two quotes, no backslash, no control character: one quoted value,
      which two unescaped quotes delimit; a key or a bare value holds none);
    - no two spaces, and no space first or last.

    The tests read the message itself, not LINE: CR and LF are control characters, so a message that
    passes them is its own line. A NULL test (no third part) takes the regex. Then the only separator is
    the space, the line starts with a key, and a pair is followed by one space or the line's end (a bare value
    by go-logfmt's separator, and after the closing quote the third part begins with a space or is empty).
    So the line is its pairs joined by single spaces, and the spaces outside the quotes are the separators:
    without a quote, split at spaces; with one quoted value, the spaces before and after it become LF (a
    byte the line does not hold) and the split is at LF, which keeps the quoted value whole. Each piece is
    then the match _matches gives: at a key's first character the pattern takes that pair (the key up to
    its `=`, a quoted value up to its closing quote, a bare one up to the separator), and a separator
    starts no match."""
    escaped, parts = _ESCAPED.format(m=message), _PARTS.format(m=message)
    lf = "chr(10)"
    after = f"{parts}[3]"  # NULL when the message holds fewer than two quotes
    split = (
        f"({escaped} = 2 OR ({escaped} = 4 AND ({after} = '' OR starts_with({after}, ' ')))) "
        f"AND NOT contains({message}, '  ') AND NOT starts_with({message}, ' ') AND NOT suffix({message}, ' ')"
    )
    quoted = (
        f"string_split(replace({parts}[1], ' ', {lf}) || '\"' || {parts}[2] || '\"' || "
        f"replace({after}, ' ', {lf}), {lf})"
    )
    pieces = f"CASE WHEN contains({message}, '\"') THEN {quoted} ELSE string_split({message}, ' ') END"
    return f"CASE WHEN {split} THEN {pieces} ELSE {_matches(message)} END"


def _keys(message: str) -> str:
    """SQL: the keys of a line that the full match passed (_found)."""
    return f"list_transform({_found(message)}, lambda p: {_KEY})"


def _pair_lists(message: str) -> str:
    """SQL: the line's pairs as two lists, keys `k` and the matches `m` themselves (`key=raw value`, as
    written), read by `_lookup`, from one extraction of the matches. Not a MAP: map_from_entries hashes every
    key to check that they are distinct (0.12 s per 50,000 lines of 7 pairs, against 0.05 s for two lists),
    and detection proves they are, so the first position of a key is its only one and the lookup gives the
    map's value. The values are cut (and unquoted) where they are read, the write's columns and the plan's
    distinct pairs, not here for every pair: two lambdas over every pair cost 30-35 ms per 50,000 lines of 7
    pairs in classification (benchmarks/README.md). For a line that the full match passed (_found)."""
    keys = f"list_transform(m, lambda p: {_KEY})"
    return f"list_transform([{_found(message)}], lambda m: struct_pack(k := {keys}, m := m))[1]"


def _lookup(pairs: str, key: str, quoted: bool = True) -> str:
    """SQL: the value of `key` in `pairs` (_pair_lists), unquoted, NULL when the line lacks it (list_position
    is NULL). The match at the key's position is `key=raw value` (the key is the match up to its first '=',
    and a key holds no '=', so the raw value starts after the key's length and one '='; keys are ASCII, so
    characters are bytes). Without `quoted` (no value of the key starts with a quote in the batch, which the
    plan knows), the raw value is the value: _unquote gives any other value back as it is."""
    raw = f"substr({pairs}.m[list_position({pairs}.k, {sql_string(key)})], {len(key) + 2})"
    return _unquote(raw) if quoted else raw


def _values(pairs: str) -> str:
    """SQL: the unquoted values of `pairs` (_pair_lists), in the keys' order (a table past its cap only)."""
    return f"list_transform(list_transform({pairs}.m, lambda p: {_VALUE}), lambda v: {_unquote('v')})"


_FEW_KEYS = 32
"""Up to this many keys a line's keys are compared pairwise (_distinct_keys); past it, hashed."""


def _distinct_keys(k: str) -> str:
    """SQL: the keys of list `k` (a column or a lambda's parameter: it is read several times) are distinct:
    each key's first position is its own. For a few keys that costs 0.01 s per 50,000 lines of 7 keys
    where list_distinct, which hashes them, costs 0.03 s; a line of thousands of pairs is hashed instead
    (pairwise is quadratic). The empty list is distinct, as list_distinct says (list_bool_and says NULL)."""
    pairwise = f"list_bool_and(list_transform({k}, lambda x, i: list_position({k}, x) = i))"
    return f"CASE WHEN len({k}) BETWEEN 1 AND {_FEW_KEYS} THEN {pairwise} ELSE len(list_distinct({k})) = len({k}) END"


def _distinct(keys: str) -> str:
    """SQL: the keys of list `keys` are distinct ([keys] through a lambda: the list is made once)."""
    return f"list_transform([{keys}], lambda k: {_distinct_keys('k')})[1]"


def _shaped(message: str, then: str) -> str:
    """SQL: `then` for a line that is nothing but pairs (false for any other line)."""
    return (
        f"(CASE WHEN NOT contains({message}, '=') THEN false "
        f"WHEN NOT regexp_full_match({LINE.format(m=message)}, {sql_string(_SPACED_LINE)}) THEN false "
        f"ELSE {then} END)"
    )


def kept_pairs(message: str) -> str:
    """SQL: the line's pairs (_pair_lists) where detection would look at them (a line of nothing but pairs),
    else NULL."""
    return f"CASE WHEN {_shaped(message, 'true')} THEN {_pair_lists(message)} END"


def kept_claim() -> str:
    """SQL: LogfmtParser.detect, read from column KEPT (kept_pairs): true exactly when detect is."""
    return f"(CASE WHEN {KEPT} IS NULL THEN false ELSE {_distinct_keys(f'{KEPT}.k')} END)"


_CUSTOM_FIELDS = (*VpcFlowLogParser.settled, *CloudFrontParser.settled)
"""VPC's and CloudFront's `settled` subqueries (etl._settled makes each a constant): true where the object's
stream has a header that makes that parser claim lines by their count of fields."""


def kept_sure(message: str) -> str:
    """SQL: the line is logfmt's (kept_claim) and no parser of LogfmtParser.ahead_of claims it, read from column
    KEPT: what the whole CASE gives it, tested before those parsers (etl._shortcuts). KEPT is not NULL exactly
    where LINE is `_SPACED_LINE` (kept_pairs): spaces, then pairs (no LF: neither a key, a value nor a
    separator holds one). Where the message also does not start with a space, does not hold `] ` and neither
    VPC's nor CloudFront's header is in force, the message starts with a key (`[A-Za-z_@]`, then key characters,
    none a space, up to its `=`) and no parser before logfmt claims it:

    - the JSON shapes (lambda_platform_json .. json): each claims only a message that starts with `{`, or
      (apigateway_json, json) with a blank, LF or CR before it;
    - lambda_platform: `^(START|END|REPORT|INIT_START|INIT_REPORT|XRAY) ` needs a space right after a word
      that holds no `=`: within the first key, where there is none;
    - lambda_text, elb_classic, alb_connection, cloudfront_realtime, nginx_error, apache_error, container_cri,
      rds_postgresql, mysql_error, mysql_general, syslog_rfc5424, syslog_rsyslog_file: their patterns (or
      prefixes, PrefixParser: at the message's start) start with `[`, `<` or a digit; mysql_slow's guard
      is `# `; vpc_flow_log's default detection needs a digit 1-9 first, cloudfront's default pattern a digit;
    - alb: the message's first word (up to its first space) is one of `http`, `https`, `h2`, `ws`, `wss`,
      `grpcs` (its guard): a logfmt message's holds the first key's `=`; nlb: it starts `tls ` (the same);
    - syslog_rfc3164: a month's three letters and a blank (or `<` first): the blank would be in the first key;
    - s3_access_log, apigateway_access_log, access_log: their patterns (and guards) hold `] `;
    - stack_trace: every LF of the message is in its trailing run of CR and LF (LINE holds none), so no LF is
      followed by `  File "` or a tab, and no line after one holds a blank then `at ` or `File "`; the first
      line starts with a key, not a blank;
    - vpc_flow_log and cloudfront with a header (their `custom`: any line of the header's count of fields):
      ruled out by the test itself.

    The keys' distinct test (kept_claim) is last: the others are cheaper. Where this is false the CASE goes on
    in PARSERS order as before, logfmt's detection included."""
    custom = " AND ".join(f"{query} IS NOT TRUE" for query in _CUSTOM_FIELDS)
    return (
        f"(CASE WHEN {KEPT} IS NULL THEN false "
        f"WHEN starts_with({message}, ' ') OR contains({message}, '] ') THEN false "
        f"WHEN {custom} THEN {_distinct_keys(f'{KEPT}.k')} ELSE false END)"
    )


class LogfmtParser:
    name = "logfmt"
    table = DEFAULT_TABLE
    guard = "contains({m}, '=')"
    """A line without `=` holds no pair (detection's first test). A small object none of whose lines passes it
    leaves logfmt out of classification (etl._guarded_out), and DuckDB then neither plans nor compiles its
    detection: 5-9 ms of CPU per object, which every object of up to 5,000 lines paid (benchmarks/README.md)."""

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens"),
        *("otlp_json", "waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text"),
        *("vpc_flow_log", "alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront"),
        *("cloudfront_realtime", "apigateway_access_log", "access_log", "nginx_error", "apache_error"),
        *("container_cri", "rds_postgresql", "mysql_error", "mysql_general", "mysql_slow", "syslog_rfc5424"),
        *("syslog_rfc3164", "syslog_rsyslog_file", "stack_trace"),
    )
    """Every parser before logfmt in PARSERS: a logfmt line paid all their detections (221 -> 167 ms per
    50,000 lines without them, benchmarks/README.md, h-lines9). Where logfmt is the object's likely format,
    classification tests kept_sure (read from its kept pairs: likely_format.sure) before them."""

    def setup(self) -> list[str]:
        return []

    def detect(self, message: str) -> str:
        return _shaped(message, _distinct(_keys(message)))

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return None

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """One column per key seen in the batch, read from the pairs made once per row; keys and their
        types come from one aggregate over every pair. The pairs are those classification kept (column KEPT,
        which the write reads as it reads the message) when it kept them, else extracted here into a temp
        table that the write joins by rowid."""
        kept = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'temp' AND table_name = 'classified' "
            f"AND column_name = {sql_string(KEPT)}"
        ).fetchall()[0][0]
        rows = f"FROM classified WHERE format = {sql_string(self.name)}"
        if kept:  # the pairs are a column of the rows the write reads: no table, no join
            source, staging = f"SELECT {KEPT} AS pairs {rows}", KEPT
        else:
            pairs = _pair_lists("message")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGED} AS SELECT rowid AS rid, {pairs} AS pairs {rows}")
            source = f"SELECT pairs FROM {_STAGED}"
            staging = f"(SELECT pairs FROM {_STAGED} WHERE {_STAGED}.rid = classified.rowid)"
        # Each distinct (key, value)'s tests once (a JSON number, an integer, BIGINT, DOUBLE), for the three
        # verdicts that read them. Each cast only where the value's text can pass it (a failed cast is slow):
        # BIGINT for integers, DOUBLE for the other JSON numbers (an integer that counts for BIGINT is a finite
        # DOUBLE). Distinct pairs first: every verdict is a bool_and of a test of one value, and its FILTER
        # reads the value only, so a repeated pair cannot change it; levels, methods and statuses repeat, and
        # the tests then run on fewer values (54 -> 41 ms per 50,000 lines of 7 pairs, 2 of them never
        # repeating; benchmarks/README.md).
        pairs = (
            "SELECT k, v, quoted, whole_text, CASE WHEN whole_text THEN TRY_CAST(v AS BIGINT) END AS whole, "
            "CASE WHEN numeric AND NOT whole_text THEN TRY_CAST(v AS DOUBLE) END AS number FROM ("
            f"SELECT *, numeric AND NOT {_FRACTION_OR_EXPONENT} AS whole_text FROM ("
            f"SELECT *, regexp_full_match(v, {sql_string(NUMBER_PATTERN)}) AS numeric FROM ("
            f"SELECT k, {_unquote('raw')} AS v, starts_with(raw, '\"') AS quoted FROM ("
            "SELECT k, substr(m, strpos(m, '=') + 1) AS raw FROM ("
            f"SELECT DISTINCT k, m FROM (SELECT unnest(pairs.k) AS k, unnest(pairs.m) AS m FROM ({source})))))))"
        )
        present = "FILTER (WHERE v NOT IN ('', '-'))"  # a key never present is VARCHAR (bool_and of none: NULL)
        integer = "(whole_text AND whole IS NOT NULL AND v <> '-0')"  # reads back as written
        # An integer that is not BIGINT's stays text (too big: DOUBLE would round it; `-0`), as does one beyond
        # 2^53 beside fractions (an id among `1.5`s: DOUBLE would round it too); a DOUBLE is finite and only 0
        # when written as 0 (`1e-400` reads as 0.0). A NULL would be skipped by bool_and: each test is false.
        double = (
            f"CASE WHEN whole_text THEN {integer} AND whole BETWEEN -{_EXACT_IN_DOUBLE} AND {_EXACT_IN_DOUBLE} "
            f"ELSE coalesce(isfinite(number), false) AND {_NOT_UNDERFLOWN} END"
        )
        verdicts = con.execute(
            f"SELECT k, bool_and({integer}) {present}, bool_and({double}) {present}, "
            f"bool_and(lower(v) IN ('true', 'false')) {present}, bool_or(quoted) FROM ({pairs}) GROUP BY k ORDER BY k"
        ).fetchall()
        values = {key: _lookup(_MAP, key, quoted) for key, *_checks, quoted in verdicts}
        fields = []
        for key, *checks, _quoted in verdicts:
            type_ = next((t for t, ok in zip(_TYPES, checks, strict=True) if ok), "VARCHAR")
            value = values[key] if type_ == "VARCHAR" else f"TRY_CAST({values[key]} AS {type_})"
            fields.append(FieldPlan(_pointer(key), type_, value, (key,)))
        times = [values[k] for k in JSON_TIME_KEYS if k in values]
        levels = [values[k] for k in JSON_LEVEL_KEYS if k in values]
        return ParsePlan(
            time=first_given(times),
            level=f"ll_level({first_given(levels)})" if levels else "NULL",
            fields=fields,
            staging={_MAP: staging},
            past_cap=_past_cap,
        )


def _past_cap(plan: ParsePlan, con: Any, table: str, refused: frozenset[str]) -> ParsePlan:
    """The plan for a table that gave no column to the `refused` keys: they go to `extra` together. The
    kept keys (at most max_columns) are what the SQL names, so its size is bounded whatever the line."""
    kept = [f for f in plan.fields if f.source not in refused]
    names = ", ".join(sql_string(f.path[0]) for f in kept)
    pairs = f"map({_MAP}.k, {_values(_MAP)})"  # rare (a table past its cap): the map's cost is paid here only
    others = f"list_filter(map_entries({pairs}), lambda e: NOT list_contains([{names}]::VARCHAR[], e.key))"
    extra = f"CASE WHEN len({others}) > 0 THEN to_json(map_from_entries({others}))::VARCHAR END"
    return replace(plan, fields=[*kept, FieldPlan(EXTRA_SOURCE, "VARCHAR", extra, (EXTRA_NAME,))])


def _pointer(key: str) -> str:
    """The key as a JSON pointer: the registry names logfmt keys as it names JSON fields."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


EXAMPLES = [
    Example(
        'level=info msg="Stopping all fetchers" tag=stopping_fetchers id=ConsumerFetcherManager-1382721708341 '
        "module=kafka.consumer.ConsumerFetcherManager",
        {
            "msg": "Stopping all fetchers",
            "tag": "stopping_fetchers",
            "module": "kafka.consumer.ConsumerFetcherManager",
            "level": "INFO",
        },
    ),
    Example(
        'ts=2026-11-26T10:00:00Z level=warn latency_ms=12 ratio=0.5 cached=true note="say \\"hi\\""',
        {
            "latency_ms": 12,
            "ratio": 0.5,
            "cached": True,
            "note": 'say "hi"',
            "level": "WARN",
            "timestamp": "2026-11-26 10:00:00",
        },
    ),
    Example(  # `-` and an empty value are NULL in a typed column; the same keys' other values type it
        "at=info method=GET path=/cart status=200 bytes=512 dyno=web.1 took=",
        {"status": 200, "bytes": 512, "took": None, "dyno": "web.1"},
    ),
    Example(
        "at=info method=GET path=/logo.png status=304 bytes=- dyno=web.2 took=0.25",
        {"status": 304, "bytes": None, "took": 0.25, "dyno": "web.2"},
    ),
    Example(  # a tab separates; `\"` and `\\` unescaped; `key=` and `key=""` empty; trailing blanks
        'component=db\terr="say \\"hi\\"" dir="C:\\\\new" none= blank=""  \t',
        {"component": "db", "err": 'say "hi"', "dir": "C:\\new", "none": "", "blank": ""},
    ),
    Example(  # no blank after a quoted value (go-logfmt reads on); '=' and '?' inside quotes
        'first="x"second=2 url="/search?q=1&x=y"',
        {"first": "x", "second": 2, "url": "/search?q=1&x=y"},
    ),
    Example(  # escapes other than \" and \\ are kept as written (go-logfmt would decode them: see above)
        'esc="tab\\there" u="\\u00e9"',
        {"esc": "tab\\there", "u": "\\u00e9"},
    ),
]
