"""The contract between the ETL and a parser. Parsers work on whole batches in SQL: no per-record Python.

Two kinds exist. Open-schema parsers (JSON, logfmt) inspect their rows and plan a column per field
found. Fixed-schema parsers (access logs, syslog, AWS formats) declare their columns once: a detection
predicate, a staged struct (named regex groups, or typed JSON paths) and one SQL value per column.
Every parser lists examples in its module; the tests run them through the real ETL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from loglake.lake.quarantine import Reason
from loglake.sql_quoting import sql_string


@dataclass(frozen=True)
class FieldPlan:
    """One payload column: its source (a JSON pointer), its final type, and the SQL that computes it."""

    source: str
    type: str
    expression: str
    """SQL over the parser's staged row (classified columns plus ParsePlan.staging)."""
    path: tuple[str, ...] = ()
    lacking: bool = False
    """The parser knows none of this object's rows has the field (`expression` is then a typed NULL): VPC's
    fields its flow log format lacks. The column stays in the registry (and the Athena table); the clean file
    leaves it out unless another parser of the table fills it (etl._clean_query), and readers give it NULL
    from the registry, as for a file written before the column existed."""


@dataclass
class ParsePlan:
    time: str
    """SQL: the event time as a string for ll_parse_time, or NULL."""
    level: str
    """SQL: the normalised level, or NULL."""
    fields: list[FieldPlan] = field(default_factory=list)
    staging: dict[str, str] = field(default_factory=dict)
    """Columns to materialise once (e.g. a single JSON parse into a list) for rows of this format."""
    time_format: str | None = None
    """What `time` looks like when the parser knows it (a key of timestamps.TIME_FORMATS): a time of that
    format skips the tests of the others; any other time string is read as without it."""
    derived: dict[str, str] = field(default_factory=dict)
    """Columns computed after `staging`, in order, each in its own SELECT over the row so far: a value
    several later steps read (a cut of the line) is computed once, not once per mention."""
    past_cap: Callable[[ParsePlan, Any, str, frozenset[str]], ParsePlan] | None = None
    """Open-schema plans (JSON): (this plan, the connection, a table, the sources that got no column there
    because the table reached max_columns) → the plan to write that table with, those fields' values in
    one `extra` JSON field. Plans without it declare their fields, which always get columns."""


@dataclass(frozen=True)
class Example:
    """A message and some of the columns it must produce (None: the column is NULL)."""

    message: str
    expected: dict[str, Any]


class Parser(Protocol):
    name: str
    """Also the value of the clean `format` column."""
    table: str
    """The clean table its rows go to (clean_zone.DEFAULT_TABLE for generic logs; AWS's table name for AWS formats)."""

    def setup(self) -> list[str]:
        """SQL run once per raw object, after its rows are in temp table `raw_lines` and before any event
        is classified (e.g. to find a header line that gives the field order)."""
        ...

    def detect(self, message: str) -> str:
        """SQL predicate: this parser claims the message."""
        ...

    def reject(self, message: str) -> tuple[str, Reason] | None:
        """SQL predicate true for a claimed message that cannot be parsed, and the quarantine reason."""
        ...

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """Inspect this parser's rows in temp table `classified` (where format = name) and plan columns."""
        ...


LINE = (
    "CASE WHEN suffix({m}, chr(10)) OR suffix({m}, chr(13)) THEN regexp_replace({m}, '[\\r\\n]+\\z', '') ELSE {m} END"
)
"""The message without its line end. A message that does not end in CR or LF is its own line; `suffix` looks
at the end only. One that does loses its trailing run of CR and LF: the leftmost match of `[\\r\\n]+\\z` starts
where that run starts (no earlier CR or LF reaches the end of the text) and takes all of it. rtrim with a
character set, which gives the same text, walks the whole message (about 2.4 ms per MB: 62 ms per 50,000
stack traces, 31 ms per 50,000 Lambda lines, for each parser that reads the line); the regex, 8 ms."""


def between_brackets(text: str) -> str:
    """SQL: what `text` holds between its first `[` and its first `]` (a bracketed time of an access log)."""
    return f"substr({text}, strpos({text}, '[') + 1, strpos({text}, ']') - strpos({text}, '[') - 1)"


def json_text_field(message: str, path: str) -> str:
    """SQL: a JSON field of the message as text, NULL (never an error) when the message is not JSON.

    Detection predicates use it: SQL does not promise to stop at the first false term of an AND."""
    return f"json_extract_string(CASE WHEN json_valid({message}) THEN {message} END, {sql_string(path)})"


def json_text_fields(message: str, paths: list[str], test: str) -> str:
    """SQL: `test` over `k`, the list of the message's fields at `paths` as text (NULL where absent, all
    NULL when the message is not JSON): one parse of the message for all of them, not one per field."""
    listed = "[" + ", ".join(sql_string(p) for p in paths) + "]"
    return (
        f"list_transform([json_extract_string(CASE WHEN json_valid({message}) THEN {message} END, {listed})], "
        f"lambda k: {test})[1]"
    )


def json_fields_present(message: str, present: list[str], absent: list[str]) -> str:
    """SQL: the message is JSON, holds a non-null value at each of `present` and none (or null) at `absent`:
    `json_text_fields(message, present + absent, ...)`'s `k[i] IS NOT NULL` and `k[i] IS NULL`, never NULL.

    json_text_fields validates the record (json_valid) and then parses it again to write each field out as text
    (WAF's `$.httpRequest`, an object, as JSON text): per 50,000 WAF records, the classifying statement's CPU 0.41 s
    against 0.32 s with this form (medians of 11, alternated; 2 threads), about 5% of a WAF object. Here one
    parse answers: `json_type` of the fields, in TRY. Why that is the same answer:
    - DuckDB's json_type and json_valid read the text with the same reader and flags (JSONCommon::ReadDocument
      and ReadDocumentUnsafe with READ_FLAG); with constant paths the read is json_type's only error, so
      TRY(...) is NULL exactly where json_valid is false (or the message NULL), and no list then passes;
    - on JSON, json_extract_string is NULL where the path is absent or its value is JSON null, json_type
      NULL or 'NULL' there (json_type keeps a null's type): `coalesce(type, 'NULL') = 'NULL'` is that test.
    TRY evaluates a chunk again row by row only where one row fails: records that hold `"webaclId"` but are
    not JSON (none in WAF's own logs) pay that, on their chunk."""
    listed = "[" + ", ".join(sql_string(p) for p in [*present, *absent]) + "]"
    tests = [f"coalesce(k[{i}], 'NULL') <> 'NULL'" for i in range(1, len(present) + 1)]
    tests += [f"coalesce(k[{i}], 'NULL') = 'NULL'" for i in range(len(present) + 1, len(present) + len(absent) + 1)]
    return f"list_transform([TRY(json_type({message}, {listed}))], lambda k: {' AND '.join(tests)})[1]"


@dataclass(frozen=True)
class Column:
    """A fixed column. `value` is SQL in which `{s}` stands for the parser's staged struct (replaced
    literally, so regex braces need no escaping); VARCHAR values are cast to
    `type` with TRY_CAST after '' and `nulls` become NULL, so a malformed value is NULL, never an error."""

    name: str
    type: str
    value: str
    nulls: tuple[str, ...] = ("-",)
    cast: bool = True
    """False: `value` already has `type` (a computed DATE, a STRUCT from JSON)."""
    key: str | None = None
    """The field's key when it differs from the column name: columns of different parsers with the same
    key are one column (Lambda's request id is `requestId` in its JSON format and in its text lines)."""


def text(group: str, type_: str = "VARCHAR", *, name: str | None = None, nulls: tuple[str, ...] = ("-",)) -> Column:
    """A column from one named regex group."""
    return Column(name or group, type_, f"{{s}}.{group}", nulls)


class FixedSchemaParser:
    """A parser with declared columns: subclasses set the class attributes below."""

    name: str
    table: str
    columns: tuple[Column, ...]
    time: str = "NULL"
    """SQL over `{s}`: the event time string."""
    time_format: str | None = None
    """ParsePlan.time_format: the format `time` has (CLF in access logs), when it has one."""
    level: str = "NULL"
    guard: str | None = None
    """SQL over `{m}` (the message), true for every message this parser can claim, and much cheaper than
    `matches`: lines that fail it never reach the regex. Detection runs for every line of every batch."""
    markers: tuple[str, ...] = ()
    """Literals one of which every message this parser claims holds: classification looks for all parsers'
    markers in one pass and tests this parser only where one is found (transform/markers.py)."""

    def setup(self) -> list[str]:
        return []

    def staged(self, message: str) -> str:
        """SQL: what the columns read from as `{s}`: the message itself, unless a subclass stages more."""
        return message

    def matches(self, message: str) -> str:
        raise NotImplementedError

    def detect(self, message: str) -> str:
        if self.guard is None:
            return self.matches(message)
        # CASE, not AND: SQL does not promise to skip the expensive test when the cheap one is false.
        return f"(CASE WHEN {self.guard.replace('{m}', message)} THEN {self.matches(message)} ELSE false END)"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return None

    @property
    def struct_column(self) -> str:
        return f"__ll_{self.name}"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        s = self.struct_column
        fields = []
        for column in self.columns:
            value = column.value.replace("{s}", s)
            if column.cast:  # the value is text to clean and cast
                value = f"nullif({value}, '')"
                for token in column.nulls:
                    value = f"nullif({value}, {sql_string(token)})"
                if column.type != "VARCHAR":
                    value = f"TRY_CAST({value} AS {column.type})"
            key = column.key or column.name
            fields.append(FieldPlan(f"/{key}", column.type, value, (key,)))
        return ParsePlan(
            time=self.time.replace("{s}", s),
            time_format=self.time_format,
            level=self.level.replace("{s}", s),
            fields=fields,
            staging={s: self.staged("message")},
        )


class RegexParser(FixedSchemaParser):
    """A line format given by one RE2 pattern whose groups are named in `groups`, in order."""

    pattern: str
    groups: tuple[str, ...]

    def matches(self, message: str) -> str:
        return f"regexp_full_match({LINE.format(m=message)}, {sql_string(self.pattern)})"

    def staged(self, message: str) -> str:
        """The groups of the match that detection found: anchored at both ends, as regexp_full_match is
        (unanchored, RE2 searched from every position and could stop short of the end; anchored, it
        extracts up to 1.7x faster)."""
        return regex_groups(LINE.format(m=message), self.pattern, self.groups)


def anchored(pattern: str) -> str:
    """The pattern as a whole-line match: what regexp_full_match tests, for regexp_extract."""
    return f"^(?:{pattern})$"


def regex_groups(line: str, pattern: str, groups: Iterable[str]) -> str:
    """SQL: the struct of `groups` that regexp_extract gives for `pattern` matched against the whole of `line`."""
    names = "[" + ", ".join(sql_string(g) for g in groups) + "]"
    return f"regexp_extract({line}, {sql_string(anchored(pattern))}, {names})"


class PrefixParser(RegexParser):
    """A RegexParser whose pattern is `(?s)` + `prefix` + `(.*)`, the last group the text after the prefix.

    `(?s)(.*)` matches whatever follows, so the whole pattern matches a line exactly when `prefix` matches at
    its start, and (leftmost-first: the first parse in priority order wins, and every parse of `prefix` is
    followed by a match of `(.*)`) its groups are the prefix's first match at the start, then the text after
    it. So detection tests the prefix at the start of the message, which RE2 decides without reading the rest
    (the line is the message less a trailing run of CR and LF, which a prefix must not read, so it starts with
    the prefix exactly when the message does), and the write extracts the prefix's groups and cuts the last
    group after the prefix's match, where RE2's submatch engine over `(.*)` read the whole line. A subclass's
    prefix must read no CR or LF; its match may hold any characters, since DuckDB's length and substr both count
    code points (test_rds_postgresql.py pins it on non-ASCII prefixes; rds_postgresql rests on it). With its
    own detection and plan such a parser is not likely_format's."""

    prefix: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The pattern follows from the prefix, so a subclass states only `prefix`."""
        super().__init_subclass__(**kwargs)
        cls.pattern = "(?s)" + cls.prefix + "(.*)"

    def matches(self, message: str) -> str:
        return f"regexp_matches({message}, {sql_string('^(?:' + self.prefix + ')')})"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from the struct of the regex's own groups, cut once: the prefix's
        groups (`head`, `whole` its match) and the text after it, or the whole pattern's regexp_extract where
        the prefix does not match (never on a line detection claimed; there the regex gives the same struct)."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        names = "[" + ", ".join(sql_string(g) for g in ("whole", *self.groups[:-1])) + "]"
        fields = ", ".join(f"{g} := {head}.{g}" for g in self.groups[:-1])
        cut = f"struct_pack({fields}, {self.groups[-1]} := substr({line}, length({head}.whole) + 1))"
        regex = regex_groups(line, self.pattern, self.groups)
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string('^(' + self.prefix + ')')}, {names})",
            s: f"CASE WHEN {head}.whole <> '' THEN {cut} ELSE {regex} END",
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived)


def cut_or_regex(fast: str, values: Mapping[str, str], line: str, pattern: str, groups: tuple[str, ...]) -> str:
    """SQL: the struct of `groups`, read with string functions (`values`) where `fast` holds (a line of the
    shape a parser proves they are the regex's groups on), else the whole pattern's regex_groups. A group
    `values` lacks is '', as regexp_extract gives a group the parse leaves out."""
    fields = ", ".join(f"{g} := {values.get(g, chr(39) * 2)}" for g in groups)
    return f"CASE WHEN {fast} THEN struct_pack({fields}) ELSE {regex_groups(line, pattern, groups)} END"


def first_given(values: list[str]) -> str:
    """SQL: the first of `values` (text: the time's or the level's keys, in order) that a line gives: `-` or an
    empty value says nothing, so it must not hide the next key's (logfmt's `level= lvl=warn` is WARN, JSON's
    `{"level": "", "severity": "error"}` ERROR). The last value is not tested: ll_parse_time and ll_level read
    `-` and '' as NULL, so one key (the usual case) costs nothing."""
    if not values:
        return "NULL"
    given = [f"nullif(nullif({v}, ''), '-')" for v in values[:-1]]
    return f"coalesce({', '.join([*given, values[-1]])})"
