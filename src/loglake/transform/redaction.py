"""Redaction (opt-in): secrets and personal data masked or keyed-hashed before a row reaches the clean zone.

Kinds: e-mail addresses, IPv4/IPv6 addresses, payment card numbers (only digit runs that pass the
Luhn check, so order ids and epoch timestamps survive), AWS access key ids, bearer tokens and JWTs.
`mask` writes `[REDACTED:email]`; `hash` writes `[email:<32 hex>]`, HMAC-SHA256 of the value under a
secret key cut to 128 bits, so equal values stay joinable and countable without being readable. The
key (at least 32 bytes) comes from LOGLAKE_REDACT_KEY, or in the Lambda from Secrets Manager or SSM
(handlers/environment.py); it is read only when the ETL runs and never stored in the config or the lake.
The raw zone keeps the original bytes: restrict access to it and let its lifecycle expire it.

What a rule covers (docs/formats.md, "What redaction covers"): the message and every column parsed from
it when it names `message` or `*`; the message and the named columns otherwise (the message holds each
column's value verbatim); quarantined lines of its tables. A covered column is redacted whatever its
type: text values directly, STRUCT and LIST values leaf by leaf, and a numeric column that a kind can
match (a card number in a BIGINT or DOUBLE) is stored as VARCHAR, so the match is masked in place and
every other value is kept as its text; the schema registry records the column as VARCHAR.

It is plain DuckDB SQL (vectorised, no Python per row, nothing added to the Lambda package): every
match of a kind's pattern is found, and each one (each valid card number) is replaced in turn.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loglake.errors import ConfigError
from loglake.sql_quoting import sql_string

KEY_ENV = "LOGLAKE_REDACT_KEY"
MIN_KEY_BYTES = 32
HASH_HEX = 32
"""Hex digits of the HMAC kept in a token: 128 bits, so distinct values do not collide in practice."""
KEY_HELP = (
    'generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"` or `openssl rand -base64 48`'
)
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

NUMERIC_KINDS = frozenset({"card"})
"""The kinds a number's text can match: a card is 13-19 digits; every other kind needs letters, dots
in fours or colons, which no number's text has."""
_NO_MATCH_TYPES = frozenset(
    {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER", "DATE", "TIME", "TIMESTAMP"}
    | {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "INTERVAL"}
)
"""Types whose text no kind matches (at most 10 digits, or a date/time layout): kept as they are."""
_NUMERIC_TYPES = frozenset({"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE"})
"""Types that can hold a card number (13-19 digits); DECIMAL(p, s) too."""

MACROS = r"""
CREATE OR REPLACE TEMP MACRO ll_luhn(m) AS (
    len(regexp_extract_all(m, '[0-9]')) BETWEEN 13 AND 19
    AND list_sum(list_transform(list_reverse(regexp_extract_all(m, '[0-9]')), lambda d, i:
        CASE WHEN i % 2 = 0 THEN (CASE WHEN d::INTEGER * 2 > 9 THEN d::INTEGER * 2 - 9 ELSE d::INTEGER * 2 END)
             ELSE d::INTEGER END)) % 10 = 0
);
"""
_IPAD, _OPAD = "ll_redact_ipad", "ll_redact_opad"
"""Session variables holding the key's HMAC pads, so the key never appears in a query's text."""


def _environment_key() -> str | None:
    return os.environ.get(KEY_ENV) or None


_key_source: Callable[[], str | None] = _environment_key


def set_key_source(source: Callable[[], str | None] | None) -> None:
    """Where hash mode gets its key (the Lambda: Secrets Manager or SSM); None restores LOGLAKE_REDACT_KEY."""
    global _key_source
    _key_source = source or _environment_key


def hash_key() -> bytes:
    """The hash-mode key, checked: asked for only when an ETL run has a hash rule."""
    key = (_key_source() or "").strip()  # a newline kept from a file is not part of the key
    if not key:
        raise ConfigError(f"redaction mode hash needs a secret key in {KEY_ENV}: {KEY_HELP}")
    data = key.encode()
    if len(data) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the redaction key is {len(data)} bytes; hash mode needs at least {MIN_KEY_BYTES}: {KEY_HELP}"
        )
    return data


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer pads (RFC 2104): the key, hashed when longer than SHA-256's 64-byte
    block, zero-filled to 64 bytes, XORed with 0x36 and with 0x5c."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def hmac_sql(value: str) -> str:
    """SQL: hex HMAC-SHA256 of a VARCHAR's UTF-8 bytes, H((K^opad) || H((K^ipad) || m)), from the pads
    `prepare` put in session variables (an error, never a NULL token, when they are missing)."""

    def pad(name: str) -> str:
        return f"coalesce(getvariable('{name}'), error('redaction key not prepared on this connection'))"

    return f"sha256({pad(_OPAD)} || unhex(sha256({pad(_IPAD)} || encode({value}))))"


def prepare(con: Any, rules: Iterable[RedactRule]) -> None:
    """Ready a connection for `wrap`: the Luhn macro, and for hash rules the key's pads (the key is read here,
    at ETL time, so commands that never redact do not need it)."""
    con.execute(MACROS)
    if any(rule.mode == "hash" for rule in rules):
        inner, outer = hmac_pads(hash_key())
        con.execute(f"SET VARIABLE {_IPAD} = unhex('{inner.hex()}')")
        con.execute(f"SET VARIABLE {_OPAD} = unhex('{outer.hex()}')")


def _not_redactable() -> frozenset[str]:
    """Columns a rule may not name: the envelope identifies the event and its lineage (and is not from
    the message); quarantine's own columns are fixed text."""
    from loglake.lake.clean_zone import RESERVED_NAMES
    from loglake.lake.quarantine import QUARANTINE_COLUMNS

    return (RESERVED_NAMES | frozenset(QUARANTINE_COLUMNS)) - {"message", "extra"}


@dataclass(frozen=True)
class RedactRule:
    """Which columns of which tables to redact, for which kinds, and how."""

    tables: tuple[str, ...] = ("*",)
    """Clean table names, or `quarantine`; `*` is all of them. Quarantined lines of a named table are covered."""
    fields: tuple[str, ...] = ("*",)
    """`message` (the message and every column parsed from it), payload column names, or `*`."""
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
        envelope = sorted(set(rule.fields) & _not_redactable())
        if envelope:
            raise ConfigError(
                f"redaction fields {envelope} are envelope columns, which identify the event and are not "
                "redacted; name `message` (the message and every column parsed from it), payload columns or *"
            )
        return rule

    def covers(self, table: str, column: str, *, derived: bool = False) -> bool:
        """`derived`: a payload column, parsed from the message (so a rule on `message` covers it)."""
        if not ("*" in self.tables or table in self.tables):
            return False
        if "*" in self.fields or column in self.fields or column == "message":
            return True
        return derived and "message" in self.fields


def _wanted(rules: Iterable[RedactRule], covered: Callable[[RedactRule], bool]) -> dict[str, str]:
    """Kind -> mode over the covering rules; masking wins over hashing for a kind that two rules name."""
    wanted: dict[str, str] = {}
    for rule in rules:
        if covered(rule):
            for kind in rule.kinds:
                wanted[kind] = "mask" if "mask" in (wanted.get(kind), rule.mode) else rule.mode
    return wanted


_CARD_SHAPES = (
    "[0-9]{13,19}",
    "[0-9]{4}(?:[ -][0-9]{4}){3}",
    "[0-9]{4}(?:[ -][0-9]{4}){3}[ -][0-9]{1,3}",
    "[0-9]{4}(?:[ -][0-9]{4}){2}[ -][0-9]{1,3}",
    "[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5}",
)
CARD_LAYOUTS = tuple(rf"\b(?:[0-9]+[ -]){{{skip}}}({shape})\b" for skip in range(4) for shape in _CARD_SHAPES)
"""Card numbers in the layouts they are written in (contiguous; fours, with a 1-3 digit tail; Amex and
Diners 4-6-5/4-6-4), each after 0 to 3 other digit groups (group 1 is the card). The general pattern alone
misses a card next to another digit group: its leftmost match swallows the neighbour (`qty 2 4916...`,
`ref 1234 4111 1111 1111 1111`, `4111 1111 1111 1111 123`), fails the Luhn check as a whole and hides the
card. Limit: a card in an unusual grouping after more than three other digit groups of one run."""


def _luhn(digits: str) -> bool:
    numbers = [int(d) for d in reversed(digits) if d.isdigit()]
    if not 13 <= len(numbers) <= 19:
        return False
    return sum(n if i % 2 == 0 else (n * 2 - 9 if n * 2 > 9 else n * 2) for i, n in enumerate(numbers)) % 10 == 0


def holds_secret(text: str, kinds: Iterable[str]) -> bool:
    """Whether a kind matches in `text`, in Python, as the SQL would find it (for names, not rows)."""
    for kind in kinds:
        if kind != "card":  # re.ASCII: RE2's \b and classes, as DuckDB runs them
            if re.search(PATTERNS[kind], text, re.ASCII):
                return True
            continue
        found = re.findall(PATTERNS["card"], text, re.ASCII)
        found += [m for layout in CARD_LAYOUTS for m in re.findall(layout, text, re.ASCII)]
        if any(_luhn(m) for m in found):
            return True
    return False


def withheld_keys(rules: tuple[RedactRule, ...], table: str, sources: Iterable[str]) -> frozenset[str]:
    """The JSON keys (pointers) that hold a secret a rule on this table's payload would redact: they must not
    become column names, which are not redacted (Parquet schemas, the registry, Glue). They go to `extra`,
    whose text is."""
    kinds = {kind for rule in rules if rule.covers(table, "", derived=True) for kind in rule.kinds}
    return frozenset(source for source in sources if kinds and holds_secret(source, kinds))


def _replacements(text: str, kind: str, mode: str) -> str:
    """SQL: the [match, replacement] pairs of one kind in `text`."""
    matches = f"regexp_extract_all({text}, {sql_string(PATTERNS[kind])})"
    if kind == "card":
        layouts = ", ".join(f"regexp_extract_all({text}, {sql_string(layout)}, 1)" for layout in CARD_LAYOUTS)
        candidates = f"list_distinct(list_concat({matches}, {layouts}))"
        # Replacing one candidate inside another in either order leaves no digit of the card behind.
        matches = f"list_filter({candidates}, lambda m: ll_luhn(m))"
    hashed = f"'[{kind}:' || left({hmac_sql('m')}, {HASH_HEX}) || ']'"
    token = f"'[REDACTED:{kind}]'" if mode == "mask" else hashed
    return f"list_transform({matches}, lambda m: [m, {token}])"


def _apply(wanted: Mapping[str, str], expression: str) -> str:
    """Most values match no kind: one scan for any of them (no extraction) lets those skip the rest."""
    if not wanted:
        return expression
    kinds = [kind for kind in KINDS if kind in wanted]
    pairs = [_replacements(expression, kind, wanted[kind]) for kind in kinds]
    any_kind = "|".join(f"(?:{PATTERNS[kind]})" for kind in kinds)
    replaced = f"list_reduce(list_concat({', '.join(pairs)}), lambda acc, p: replace(acc, p[1], p[2]), {expression})"
    return f"CASE WHEN regexp_matches({expression}, {sql_string(any_kind)}) THEN {replaced} ELSE {expression} END"


def wrap(rules: tuple[RedactRule, ...], table: str, column: str, expression: str, *, derived: bool = False) -> str:
    """SQL for a text column with what the covering rules ask for replaced (needs `prepare` on the connection).

    The matches of every kind are found in the original text, then replaced one after the other."""
    return _apply(_wanted(rules, lambda rule: rule.covers(table, column, derived=derived)), expression)


# A DuckDB type as a tree: ("scalar", name), ("list", element) or ("struct", ((field, type), ...)).
_Type = tuple[str, Any]
_SCALAR = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?: [A-Za-z][A-Za-z0-9_]*)*(?:\(\s*\d+\s*(?:,\s*\d+\s*)?\))?")
_NAME = re.compile(r'"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)')


def _parse_type(text: str) -> _Type | None:
    """The registry's type strings (scalars, `T[]`, `STRUCT("name" T, ...)`); None for anything else."""

    def parse(at: int) -> tuple[_Type, int]:
        if text.startswith("STRUCT(", at):
            at += len("STRUCT(")
            fields = []
            while True:
                name = _NAME.match(text, at)
                if name is None:
                    raise ValueError(text)
                key = name.group(1).replace('""', '"') if name.group(1) is not None else name.group(2)
                at = name.end()
                while text.startswith(" ", at):
                    at += 1
                inner, at = parse(at)
                fields.append((key, inner))
                if text.startswith(", ", at):
                    at += 2
                elif text.startswith(")", at):
                    at += 1
                    break
                else:
                    raise ValueError(text)
            node: _Type = ("struct", tuple(fields))
        else:
            scalar = _SCALAR.match(text, at)
            if scalar is None:
                raise ValueError(text)
            node, at = ("scalar", scalar.group(0).upper()), scalar.end()
        while text.startswith("[]", at):
            node, at = ("list", node), at + 2
        return node, at

    try:
        node, end = parse(0)
    except ValueError:
        return None
    return node if end == len(text) else None


def _leaf(name: str, kinds: Iterable[str]) -> str:
    """What a scalar of this type needs: 'text' (replace in it), 'keep' (nothing matches), 'convert'."""
    if name in ("VARCHAR", "JSON"):
        return "text"
    if name in _NO_MATCH_TYPES:
        return "keep"
    if name in _NUMERIC_TYPES or name.startswith("DECIMAL"):
        return "convert" if NUMERIC_KINDS & set(kinds) else "keep"
    return "convert"


def _needs(node: _Type, kinds: Iterable[str]) -> set[str]:
    if node[0] == "scalar":
        return {_leaf(node[1], kinds)}
    if node[0] == "list":
        return _needs(node[1], kinds)
    return set().union(*(_needs(inner, kinds) for _name, inner in node[1]))


def _rebuild(node: _Type, expression: str, wanted: Mapping[str, str], depth: int = 0) -> str:
    """SQL: a STRUCT/LIST value with its text leaves redacted, its shape and NULLs unchanged."""
    if node[0] == "scalar":
        return _apply(wanted, expression) if node[1] in ("VARCHAR", "JSON") else expression
    if node[0] == "list":
        element = f"__ll_e{depth}"
        return f"list_transform({expression}, lambda {element}: {_rebuild(node[1], element, wanted, depth + 1)})"
    members = ", ".join(
        f"{_quote(name)} := {_rebuild(inner, f'struct_extract({expression}, {sql_string(name)})', wanted, depth)}"
        for name, inner in node[1]
    )
    return f"CASE WHEN {expression} IS NULL THEN NULL ELSE struct_pack({members}) END"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plan(rules: tuple[RedactRule, ...], table: str, column: str, type_: str) -> tuple[dict[str, str], str]:
    """The kinds covering a payload column, and how it is redacted: keep, text, rebuild or convert."""
    wanted = _wanted(rules, lambda rule: rule.covers(table, column, derived=True))
    if not wanted:
        return wanted, "keep"
    node = _parse_type(type_)
    if node is None:
        return wanted, "convert"
    needs = _needs(node, wanted)
    if "convert" in needs:
        return wanted, "convert"
    if "text" not in needs:
        return wanted, "keep"
    return wanted, "text" if node[0] == "scalar" else "rebuild"


def stored_type(rules: tuple[RedactRule, ...], table: str, column: str, type_: str) -> str:
    """The type a payload column is written (and registered) as: VARCHAR when a covering kind can match
    a value its own type would hold out of reach (a card number in a BIGINT), else its type."""
    return "VARCHAR" if _plan(rules, table, column, type_)[1] == "convert" else type_


def redact_column(rules: tuple[RedactRule, ...], table: str, column: str, expression: str, type_: str) -> str:
    """SQL for a payload column (parsed from the message) of type `type_`, as `stored_type` says it is stored."""
    wanted, how = _plan(rules, table, column, type_)
    if how == "keep":
        return expression
    if how == "text":
        return _apply(wanted, expression)
    node = _parse_type(type_)
    if how == "rebuild" and node is not None:
        return f"CAST({_rebuild(node, expression, wanted)} AS {type_})"
    nested = node is None or node[0] != "scalar"
    return _apply(wanted, f"CAST({f'to_json({expression})' if nested else expression} AS VARCHAR)")


def quarantine_message(rules: tuple[RedactRule, ...], message: str, b64: str, table: str) -> tuple[str, str]:
    """SQL for a quarantined line's message and message_b64: redacted as the rules covering `quarantine`
    and the clean table the line was bound for (`table`, a column) ask; the exact bytes of an undecodable
    line are dropped wherever redaction applies (the raw zone keeps them)."""

    def bound_for(name: str) -> dict[str, str]:
        return _wanted(rules, lambda rule: rule.covers(name, "message") or rule.covers("quarantine", "message"))

    named = sorted({t for rule in rules for t in rule.tables if t not in ("*", "quarantine")})
    when = [(f"{table} = {sql_string(name)}", bound_for(name)) for name in named]
    otherwise = _wanted(rules, lambda rule: rule.covers("quarantine", "message"))
    if not any(wanted for _test, wanted in when) and not otherwise:
        return message, b64
    text = " ".join(f"WHEN {test} THEN {_apply(wanted, message)}" for test, wanted in when)
    raw = " ".join(f"WHEN {test} THEN {'NULL' if wanted else b64}" for test, wanted in when)
    other_b64 = "NULL" if otherwise else b64
    if not when:
        return _apply(otherwise, message), f"{other_b64}::VARCHAR"
    return (
        f"CASE {text} ELSE {_apply(otherwise, message)} END",
        f"CASE {raw} ELSE {other_b64} END::VARCHAR",
    )
