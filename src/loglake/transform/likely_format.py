"""Keep the regex groups of a large object's likely format from classification, so its lines pass RE2 once.

Classification tests the parsers in order (a CASE: the first claim wins), and then the write extracts the
winner's groups. For a regex format that is two RE2 passes over every line: the full match, then the
extraction, which runs the same DFA again before its submatch engine (the full match is 0.05-0.19 s of
CPU per 50,000 lines; benchmarks/README.md). Most objects hold one format, so for the format of an
object's first and last lines (the likely one) classification extracts the groups instead, and
the CASE reads that parser's claim from them:

- the extraction runs, before the CASE, on every line that passes the parser's guard, with one more
  group around the whole pattern: it matched exactly when that group is not empty (or when the line is
  empty and the pattern matches an empty line, a constant);
- the CASE keeps its order and every other parser's test, so each line gets the parser (and the
  quarantine reason) it got before; a line that an earlier parser claims costs one wasted extraction;
- `classified` keeps the groups (column `__ll_<parser>`, the struct the parser's plan stages) for that
  parser's rows only, and the write reads them from there (`reuse`) instead of extracting again.

logfmt takes part too: its detection extracts the pairs of a line to test that the keys are distinct, and
its plan extracted them again for the row's map; classification keeps them (logfmt.KEPT) and the plan
reads them from there.

The likely format is a guess made in Python (`re`) on two lines: a wrong guess costs time, never a row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import replace

from loglake.sql_quoting import quote_identifier, sql_string
from loglake.transform.parsers import PARSERS, ParsePlan, Parser, logfmt
from loglake.transform.parsers.base import LINE, FixedSchemaParser, RegexParser

WHOLE = "__ll_line"
"""The extraction's extra group: the whole line when the pattern matches it, '' when it does not."""


def eligible(parser: Parser) -> bool:
    """A regex parser whose detection is its guard and its full match, and whose plan stages the groups:
    what classification can take over exactly; or logfmt, whose pairs its plan reads from the column."""
    if isinstance(parser, logfmt.LogfmtParser):
        return True
    if not isinstance(parser, RegexParser):
        return False
    kind = type(parser)
    return (
        kind.detect is FixedSchemaParser.detect
        and kind.matches is RegexParser.matches
        and kind.staged is RegexParser.staged
        and kind.plan is FixedSchemaParser.plan
    )


def guess(messages: list[str | None]) -> str | None:
    """The eligible parser that the most of `messages` match (Python's `re` standing in for RE2, earlier in
    PARSERS on a tie), or None. Only the speed depends on it: a line another parser claims first stays its."""
    votes: dict[str, int] = {}
    for message in messages:
        if message is None or message.lstrip(" \t\n").startswith("{"):  # JSON: no regex format claims it
            continue
        line = message.rstrip("\n\r")
        for parser in PARSERS:
            pattern = _python_pattern(parser.name)
            if pattern is not None and pattern.fullmatch(line) and _distinct_pairs(parser, line):
                votes[parser.name] = votes.get(parser.name, 0) + 1
                break
    order = {p.name: n for n, p in enumerate(PARSERS)}
    return max(votes, key=lambda name: (votes[name], -order[name])) if votes else None


@functools.cache
def _python_pattern(name: str) -> re.Pattern[str] | None:
    parser = next(p for p in PARSERS if p.name == name)
    if not eligible(parser):
        return None
    if isinstance(parser, logfmt.LogfmtParser):
        return re.compile(logfmt.LINE_PATTERN)
    try:
        return re.compile(parser.pattern) if isinstance(parser, RegexParser) else None
    except re.error:  # RE2 syntax Python lacks: never guessed, still classified by the CASE
        return None


def _distinct_pairs(parser: Parser, line: str) -> bool:
    """logfmt claims a line of pairs only when its keys are distinct."""
    if not isinstance(parser, logfmt.LogfmtParser):
        return True
    keys = [key for key, _value in re.findall(logfmt.PAIR, line)]
    return len(set(keys)) == len(keys)


def _parser(name: str) -> RegexParser:
    parser = next(p for p in PARSERS if p.name == name)
    assert isinstance(parser, RegexParser) and eligible(parser), name
    return parser


def extraction(name: str, message: str = "message") -> str:
    """SQL: the parser's groups and WHOLE for a line that passes its guard, else NULL (logfmt: its pairs)."""
    if name == logfmt.LogfmtParser.name:
        return logfmt.kept_pairs(message)
    parser = _parser(name)
    line = LINE.format(m=message)
    names = "[" + ", ".join(sql_string(g) for g in (WHOLE, *parser.groups)) + "]"
    extract = f"regexp_extract({line}, {sql_string(f'^((?:{parser.pattern}))$')}, {names})"
    if parser.guard is None:
        return extract
    return f"CASE WHEN {parser.guard.replace('{m}', message)} THEN {extract} END"


def claim(name: str, message: str = "message") -> str:
    """SQL: the parser's detection, read from its extraction (column struct_column): true exactly when
    `parser.detect(message)` is."""
    if name == logfmt.LogfmtParser.name:
        return logfmt.kept_claim()
    parser = _parser(name)
    column = parser.struct_column
    empty_line = f"regexp_full_match('', {sql_string(parser.pattern)})"  # a constant
    return (
        f"(CASE WHEN {column} IS NULL THEN false WHEN {column}.{WHOLE} <> '' THEN true "
        f"WHEN {LINE.format(m=message)} = '' THEN {empty_line} ELSE false END)"
    )


def sure(name: str, message: str = "message") -> str | None:
    """SQL: the parser's `sure` read from its extraction (logfmt: kept_sure, true where none of its `ahead_of`
    claims the line), or None where it has none: etl._shortcuts tests it before those parsers."""
    return logfmt.kept_sure(message) if name == logfmt.LogfmtParser.name else None


def kept(name: str, claimed: str) -> str:
    """SQL: the staged struct (the groups, without WHOLE) where `claimed` (the rows the parser claimed), else
    NULL: the write reads it, and no other row carries a copy of its line."""
    if name == logfmt.LogfmtParser.name:
        return f"CASE WHEN {claimed} THEN {logfmt.KEPT} END"
    parser = _parser(name)
    column = parser.struct_column
    fields = ", ".join(f"{quote_identifier(g)} := {column}.{quote_identifier(g)}" for g in parser.groups)
    return f"CASE WHEN {claimed} THEN struct_pack({fields}) END"


def column(name: str) -> str:
    """The column of `classified` that holds the parser's groups (logfmt: its pairs)."""
    return logfmt.KEPT if name == logfmt.LogfmtParser.name else _parser(name).struct_column


def reuse(plans: Mapping[str, ParsePlan], name: str | None) -> dict[str, ParsePlan]:
    """The plans the write uses when `classified` holds `name`'s groups: its plan reads them from there.
    (logfmt's plan looks for its column itself: its pairs make a table before the write.)"""
    if name is None or name not in plans or name == logfmt.LogfmtParser.name:
        return dict(plans)
    staging = {k: v for k, v in plans[name].staging.items() if k != column(name)}
    return {**plans, name: replace(plans[name], staging=staging)}
