"""One SQL dialect for users: Athena (Trino). Locally it is translated to DuckDB with sqlglot.

The known differences are made to behave as Athena does:
- integer division: with the column types of the lake's views, `a / b` of two integers truncates
  (`7 / 2` is 3), as in Trino; sqlglot's type annotation finds the integer operands;
- `format_datetime` and `parse_datetime` take Java DateTimeFormatter patterns, converted here to
  strftime/strptime (an unsupported pattern letter is an error naming it);
- `date_add` on a DATE stays a DATE (DuckDB's date + interval is a timestamp);
- `date_diff` counts whole units, as Trino does (DuckDB's date_diff counts boundaries crossed);
- `approx_percentile` returns one of the input values, of the input's type (DuckDB's interpolates);
- `regexp_extract` is NULL when the pattern does not match (DuckDB gives '');
- `json_extract` and `json_extract_scalar` are NULL for text that is not JSON (DuckDB fails the query);
- `url_extract_*` are provided as DuckDB macros (see URL_MACROS);
- `from_unixtime` takes seconds, as in Athena: divide milliseconds by 1000 (integer division applies);
- `to_iso8601` prints a timestamp as Athena prints one in UTC (`2021-04-01T00:00:00.000Z`), a date as
  `2021-04-01`.
A query that the type annotation cannot follow still runs, with DuckDB's own division.
"""

from __future__ import annotations

import re
from typing import Any

from loglake.errors import QueryError

_JAVA_TOKENS = {
    "yyyy": "%Y",
    "uuuu": "%Y",
    "yy": "%y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "h": "%-I",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
    "SSS": "%g",
    "SSSSSS": "%f",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "E": "%a",
    "Z": "%z",
    "XXX": "%z",
    "z": "%Z",
    "D": "%j",
}
# A quoted literal may run to the end of the pattern unclosed (Joda and AWS's own examples allow it).
_JAVA_RUN = re.compile(r"'(?:[^']|'')*(?:'|$)|([A-Za-z])\1*|[^A-Za-z']+")

URL_MACROS = r"""
CREATE OR REPLACE MACRO url_extract_protocol(u) AS nullif(regexp_extract(u, '^([A-Za-z][A-Za-z0-9+.-]*):', 1), '');
CREATE OR REPLACE MACRO url_extract_host(u) AS
    nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)', 1), '');
CREATE OR REPLACE MACRO url_extract_port(u) AS
    TRY_CAST(nullif(regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)', 1), '')
             AS BIGINT);
CREATE OR REPLACE MACRO url_extract_path(u) AS
    regexp_extract(regexp_replace(u, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*', ''), '^([^?#]*)', 1);
CREATE OR REPLACE MACRO url_extract_query(u) AS nullif(regexp_extract(u, '\?([^#]*)', 1), '');
CREATE OR REPLACE MACRO url_extract_fragment(u) AS nullif(regexp_extract(u, '#(.*)$', 1), '');
CREATE OR REPLACE MACRO url_extract_parameter(u, name) AS
    url_decode(nullif(regexp_extract(u, '[?&]' || regexp_escape(name) || '=([^&#]*)', 1), ''));
"""


def java_to_strftime(pattern: str) -> str:
    """A Java DateTimeFormatter pattern as a strftime format; fails on letters it cannot map."""
    out = []
    for match in _JAVA_RUN.finditer(pattern):
        run = match.group(0)
        if run.startswith("'"):
            inner = run[1:-1] if len(run) > 1 and run.endswith("'") else run[1:]
            out.append(inner.replace("''", "'").replace("%", "%%") if run != "''" else "'")
        elif match.group(1):
            if run not in _JAVA_TOKENS:
                raise QueryError(f"format_datetime/parse_datetime: pattern letters {run!r} are not supported locally")
            out.append(_JAVA_TOKENS[run])
        else:
            out.append(run.replace("%", "%%"))
    return "".join(out)


READ_ONLY = "SELECT, WITH, VALUES, TABLE"
"""What a query may be, in either dialect (DuckDB's FROM-first, DESCRIBE, SHOW and SUMMARIZE are SELECTs too)."""


# Statements that are not queries, refused by name before sqlglot (which cannot parse some, such as ATTACH).
# fmt: off
_STATEMENT_WORDS = {
    "ABORT", "ALTER", "ANALYZE", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMENT", "COMMIT", "COPY", "CREATE",
    "DEALLOCATE", "DELETE", "DESCRIBE", "DETACH", "DROP", "END", "EXECUTE", "EXPLAIN", "EXPORT", "FORCE", "GRANT",
    "IMPORT", "INSERT", "INSTALL", "LOAD", "MERGE", "MSCK", "PIVOT", "PRAGMA", "PREPARE", "REFRESH", "REINDEX",
    "REPAIR", "RESET", "REVOKE", "ROLLBACK", "SET", "SHOW", "START", "SUMMARIZE", "TRUNCATE", "UNLISTEN", "UNPIVOT",
    "UPDATE", "UPSERT", "USE", "VACUUM"
}
# fmt: on
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*", re.S)


def first_word(sql: str) -> str:
    """The statement's first keyword, upper-cased, after comments and parentheses ('' if it starts otherwise)."""
    leading = _LEADING.match(sql)
    word = re.match(r"[A-Za-z]+", sql[leading.end() if leading else 0 :])
    return word.group(0).upper() if word else ""


def read_only_statement(sql: str) -> Any:
    """Parse one Athena statement and refuse anything but a query; errors name the line, column and text."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    word = first_word(sql)
    if word in _STATEMENT_WORDS:
        raise QueryError(f"only read-only queries ({READ_ONLY}) can run here, not {word}")
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.ParseError as exc:
        raise QueryError(_syntax_error(exc.errors[0] if exc.errors else {}, str(exc))) from None
    except SqlglotError as exc:  # the tokenizer: an unclosed quote, most often
        context = re.sub(r"^Error tokenizing '(.*)'$", r"\1", str(exc).splitlines()[0], flags=re.S)
        raise QueryError(f"SQL syntax error near {_near(context)}: a quote or comment is not closed") from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}; {READ_ONLY} can run here")
    statement = statements[0]
    if not isinstance(statement, exp.Query | exp.Values):
        raise QueryError(f"only read-only queries ({READ_ONLY}) can run here, not {statement.key.upper()}")
    return statement


def _syntax_error(error: dict[str, Any], fallback: str) -> str:
    """sqlglot's error as 'SQL syntax error at line L, column C, near '...': reason', without its class names."""
    description = str(error.get("description") or fallback).splitlines()[0]
    if description.startswith("Required keyword"):
        reason = "incomplete expression (something is missing here)"
    elif description.startswith("Invalid expression / Unexpected token"):
        reason = "unexpected text"
    else:
        reason = re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", description).replace("Expecting", "expected")
    where = f" at line {error['line']}, column {error['col']}" if error.get("line") else ""
    text = f"{error.get('start_context', '')}{error.get('highlight', '')}"
    near = f", near {_near(text)}" if text.strip() else ""
    return f"SQL syntax error{where}{near}: {reason}"


def _near(text: str, width: int = 40) -> str:
    """The last `width` characters of some SQL, on one line and quoted."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else "…" + flat[-width:])


def referenced_tables(sql: str) -> set[str]:
    """The table names a read-only statement reads, in lower case as DuckDB and Athena match them (CTE names
    included; harmless)."""
    from sqlglot import exp

    return {table.name.lower() for table in read_only_statement(sql).find_all(exp.Table)}


def athena_to_duckdb(sql: str, schema: dict[str, dict[str, str]] | None = None) -> str:
    """Translate one read-only statement; `schema` (table → column → type) enables Athena's integer division."""
    statement = _annotate(read_only_statement(sql), schema)
    return str(_translate_bottom_up(statement).sql(dialect="duckdb"))


def _translate_bottom_up(node: Any) -> Any:
    """_to_duckdb on every node, its children first. sqlglot's transform does not visit the inside of a node it
    replaced, so a date_diff inside approx_percentile kept DuckDB's boundary count (a silent wrong answer)."""
    for child in list(node.iter_expressions()):
        translated = _translate_bottom_up(child)
        if translated is not child:
            if translated.type is None:
                translated.type = child.type  # the annotation a parent's rule may read (date_add of a DATE)
            child.replace(translated)
    return _to_duckdb(node)


def _annotate(statement: Any, schema: dict[str, dict[str, str]] | None) -> Any:
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    tables: dict[str, object] = dict(schema or {})
    try:
        qualified = qualify(statement.copy(), schema=tables, dialect="athena", quote_identifiers=False)
        return annotate_types(qualified, schema=tables)
    except (SqlglotError, KeyError, ValueError, TypeError):
        return statement  # runs with DuckDB's division; DuckDB still reports unknown names in one line


def _literal_pattern(node: Any, function: str) -> str:
    from sqlglot import exp

    if not isinstance(node, exp.Literal) or not node.is_string:
        raise QueryError(f"{function} needs a literal pattern string to run locally")
    return java_to_strftime(node.this)


def _only_when(node: Any, condition: Any) -> Any:
    """CASE WHEN condition THEN node END, marking node so the transform does not wrap it again."""
    from sqlglot import exp

    guarded = node.copy()
    guarded.set("_loglake_guarded", True)
    return exp.Case(ifs=[exp.If(this=condition, true=guarded)])


def _to_duckdb(node: Any) -> Any:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous) and node.name.upper() == "AT_TIMEZONE" and len(node.expressions) == 2:
        # Trino's at_timezone(t, zone), which sqlglot writes for `t AT TIME ZONE zone` (--since's rewrite of a
        # saved query does), as DuckDB's AT TIME ZONE.
        value, zone = node.expressions
        return exp.AtTimeZone(this=value, zone=zone)
    if isinstance(node, exp.Anonymous) and node.name.upper() == "FORMAT_DATETIME":
        value, pattern = node.expressions
        return exp.TimeToStr(this=value, format=exp.Literal.string(_literal_pattern(pattern, "format_datetime")))
    if isinstance(node, exp.Anonymous) and node.name.upper() == "TO_ISO8601":
        (value,) = node.expressions
        is_date = value.type is not None and value.type.is_type(exp.DataType.Type.DATE)
        pattern = "%Y-%m-%d" if is_date else "%Y-%m-%dT%H:%M:%S.%gZ"
        return exp.TimeToStr(this=value, format=exp.Literal.string(pattern))
    if isinstance(node, exp.ParseDatetime):
        pattern = _literal_pattern(node.args.get("format"), "parse_datetime")
        return exp.StrToTime(this=node.this, format=exp.Literal.string(pattern))
    if isinstance(node, exp.DateDiff):
        # Trino counts whole units between the two times; DuckDB's date_diff counts boundaries crossed.
        part = exp.Literal.string(str(node.args.get("unit") or "DAY").lower())
        return exp.Anonymous(this="DATE_SUB", expressions=[part, node.expression, node.this])
    if isinstance(node, exp.ApproxQuantile) and not node.args.get("weight"):
        # Athena returns a value of the input (a bigint stays a bigint); DuckDB's t-digest interpolates.
        return exp.Anonymous(this="QUANTILE_DISC", expressions=[node.this, node.args["quantile"]])
    if isinstance(node, exp.JSONExtract | exp.JSONExtractScalar) and not node.args.get("_loglake_guarded"):
        # Trino gives NULL for text that is not JSON; DuckDB raises an error for the whole query.
        return _only_when(node, exp.Anonymous(this="JSON_VALID", expressions=[node.this.copy()]))
    if isinstance(node, exp.RegexpExtract) and not node.args.get("_loglake_guarded"):
        # Trino gives NULL when the pattern does not match; DuckDB gives ''.
        return _only_when(node, exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy()))
    if isinstance(node, exp.DateAdd) and node.this.type and node.this.type.is_type(exp.DataType.Type.DATE):
        unit = str(node.args.get("unit") or "DAY").upper()
        if unit in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"):
            return exp.cast(node.copy(), exp.DataType.build("DATE"))
    return node
