"""Severity detection and normalisation to TRACE, DEBUG, INFO, WARN, ERROR, FATAL.

Aliases: WARNING→WARN; ERR, SEVERE→ERROR; CRIT, CRITICAL, ALERT, EMERG, EMERGENCY, PANIC→FATAL;
NOTICE, INFORMATION→INFO; numeric pino/bunyan levels 10..60. Another single word is kept upper-cased;
anything else is NULL. In plain text a level counts only as an upper-case word (`ERROR`), or inside
brackets or after `level=` in any case (`[error]`, `level=warn`), so ordinary words like "error" in a
sentence are not taken for a level.
"""

from __future__ import annotations

JSON_LEVEL_KEYS = ("level", "severity", "lvl", "log_level", "loglevel", "levelname", "levelName")

LEVEL_WORDS = "TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|SEVERE|ALERT|EMERG|PANIC"
"""The level words of text lines, as a regex alternation (stack traces and text times read them too)."""
TEXT_LEVEL_PATTERN = (
    rf"(?:^|[\s|:\]])({LEVEL_WORDS})(?:$|[\s|:\[,])|\[((?i:{LEVEL_WORDS}))\]|(?i:level)=((?i:{LEVEL_WORDS}))\b"
)
_TEXT_LEVEL_NAMED = (
    TEXT_LEVEL_PATTERN.replace(f"({LEVEL_WORDS})", f"(?P<word>{LEVEL_WORDS})", 1)
    .replace(f"\\[((?i:{LEVEL_WORDS}))", f"\\[(?P<bracketed>(?i:{LEVEL_WORDS}))", 1)
    .replace(f"=((?i:{LEVEL_WORDS}))", f"=(?P<assigned>(?i:{LEVEL_WORDS}))", 1)
)
"""TEXT_LEVEL_PATTERN with its three groups named: one regexp_extract returns all three (three extractions,
one per group, each searched the line: 3 x 40 ms per 50,000 stack traces)."""

MACROS = r"""
CREATE OR REPLACE TEMP MACRO ll_level(s) AS (
    CASE upper(trim(s))
        WHEN 'WARNING' THEN 'WARN' WHEN 'ERR' THEN 'ERROR' WHEN 'SEVERE' THEN 'ERROR'
        WHEN 'CRIT' THEN 'FATAL' WHEN 'CRITICAL' THEN 'FATAL' WHEN 'ALERT' THEN 'FATAL'
        WHEN 'EMERG' THEN 'FATAL' WHEN 'EMERGENCY' THEN 'FATAL' WHEN 'PANIC' THEN 'FATAL'
        WHEN 'NOTICE' THEN 'INFO' WHEN 'INFORMATION' THEN 'INFO'
        WHEN '10' THEN 'TRACE' WHEN '20' THEN 'DEBUG' WHEN '30' THEN 'INFO'
        WHEN '40' THEN 'WARN' WHEN '50' THEN 'ERROR' WHEN '60' THEN 'FATAL'
        ELSE CASE WHEN regexp_full_match(trim(s), '[A-Za-z]{1,16}') THEN upper(trim(s)) END
    END
);
"""


def text_level_word(message: str) -> str:
    """SQL: the level word of a plain-text message as written (before ll_level), or NULL: the first of the
    three groups of the first match that is not empty, from one extraction of the struct of all three
    (the same first match that each group's own regexp_extract found, so the same values)."""
    found = f"regexp_extract(left({message}, 256), '{_TEXT_LEVEL_NAMED}', ['word', 'bracketed', 'assigned'])"
    first = "coalesce(nullif(g.word, ''), nullif(g.bracketed, ''), nullif(g.assigned, ''))"
    return f"list_transform([{found}], lambda g: {first})[1]"


def text_level_expression(message: str) -> str:
    return f"ll_level({text_level_word(message)})"
