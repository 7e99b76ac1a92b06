"""Redaction (opt-in): secrets and personal data masked or keyed-hashed before a row reaches the clean zone.

Kinds: e-mail addresses, IPv4/IPv6 addresses, payment card numbers (only digit runs that pass the
Luhn check, so order ids and epoch timestamps survive), AWS access key ids, bearer tokens and JWTs.
`mask` writes `[REDACTED:email]`; `hash` writes `[email:<16 hex>]`, the SHA-256 of a secret key and
the value, so equal values stay joinable and countable without being readable. The key comes from
LOGLAKE_REDACT_KEY and is never stored in the config or the lake. The raw zone keeps the original
bytes: restrict access to it and let its lifecycle expire it.

It is plain DuckDB SQL (vectorised, no Python per row, nothing added to the Lambda package): every
match of a kind's pattern is found, and each one (each valid card number) is replaced in turn.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loglake.errors import ConfigError
from loglake.sql_quoting import sql_string

KEY_ENV = "LOGLAKE_REDACT_KEY"
MODES = ("mask", "hash")

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_HEX = "[0-9A-Fa-f]{1,4}"
# RE2 patterns (DuckDB's engine: no look-around). Order matters: a bearer token may be a JWT.
PATTERNS: dict[str, str] = {
    "bearer": r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*",
    "jwt": r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    "aws_key": r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[A-Z0-9]{16}\b",
    "email": r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
    "card": r"\b[0-9](?:[ -]?[0-9]){12,18}\b",
    # IPv4; IPv6 in full (8 groups) or with '::' (so 10:30:00 and MAC addresses are left alone).
    "ip": (
        rf"\b{_OCTET}(?:\.{_OCTET}){{3}}\b"
        rf"|\b(?:{_HEX}:){{7}}{_HEX}\b"
        rf"|\b(?:{_HEX}:){{1,6}}:(?:{_HEX}(?::{_HEX}){{0,5}})?"
    ),
}
KINDS = tuple(PATTERNS)

MACROS = r"""
CREATE OR REPLACE TEMP MACRO ll_luhn(m) AS (
    len(regexp_extract_all(m, '[0-9]')) BETWEEN 13 AND 19
    AND list_sum(list_transform(list_reverse(regexp_extract_all(m, '[0-9]')), lambda d, i:
        CASE WHEN i % 2 = 0 THEN (CASE WHEN d::INTEGER * 2 > 9 THEN d::INTEGER * 2 - 9 ELSE d::INTEGER * 2 END)
             ELSE d::INTEGER END)) % 10 = 0
);
"""


@dataclass(frozen=True)
class RedactRule:
    """Which columns of which tables to redact, for which kinds, and how."""

    tables: tuple[str, ...] = ("*",)
    """Clean table names, or `quarantine`; `*` is all of them."""
    fields: tuple[str, ...] = ("*",)
    """Column names; `*` is every text column, the verbatim `message` included."""
    kinds: tuple[str, ...] = KINDS
    mode: str = "mask"

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> RedactRule:
        unknown = set(entry) - {"tables", "fields", "kinds", "mode"}
        if unknown:
            raise ConfigError(f"a redact rule has tables, fields, kinds and mode, not {sorted(unknown)}")
        rule = cls(
            tables=tuple(entry.get("tables", ("*",))),
            fields=tuple(entry.get("fields", ("*",))),
            kinds=tuple(entry.get("kinds", KINDS)),
            mode=str(entry.get("mode", "mask")),
        )
        bad = [k for k in rule.kinds if k not in PATTERNS]
        if bad:
            raise ConfigError(f"unknown redaction kind(s) {bad}; kinds: {list(KINDS)}")
        if rule.mode not in MODES:
            raise ConfigError(f"redaction mode must be mask or hash, not {rule.mode!r}")
        if rule.mode == "hash" and not os.environ.get(KEY_ENV):
            raise ConfigError(f"redaction mode hash needs a secret key in {KEY_ENV}")
        return rule

    def covers(self, table: str, column: str) -> bool:
        return ("*" in self.tables or table in self.tables) and ("*" in self.fields or column in self.fields)


def _replacements(text: str, kind: str, mode: str) -> str:
    """SQL: the [match, replacement] pairs of one kind in `text`."""
    matches = f"regexp_extract_all({text}, {sql_string(PATTERNS[kind])})"
    if kind == "card":
        matches = f"list_filter({matches}, lambda m: ll_luhn(m))"
    if mode == "mask":
        token = f"'[REDACTED:{kind}]'"
    else:
        token = f"'[{kind}:' || left(sha256({sql_string(os.environ.get(KEY_ENV, ''))} || m), 16) || ']'"
    return f"list_transform({matches}, lambda m: [m, {token}])"


def wrap(rules: tuple[RedactRule, ...], table: str, column: str, expression: str) -> str:
    """SQL for a text column with what the covering rules ask for replaced (needs MACROS on the connection).

    The matches of every kind are found in the original text, then replaced one after the other; masking
    wins over hashing for a kind that two rules name."""
    wanted: dict[str, str] = {}
    for rule in rules:
        if rule.covers(table, column):
            for kind in rule.kinds:
                wanted[kind] = "mask" if "mask" in (wanted.get(kind), rule.mode) else rule.mode
    if not wanted:
        return expression
    pairs = [_replacements(expression, kind, wanted[kind]) for kind in KINDS if kind in wanted]
    return f"list_reduce(list_concat({', '.join(pairs)}), lambda acc, p: replace(acc, p[1], p[2]), {expression})"
