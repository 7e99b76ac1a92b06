"""Quoting for SQL text that loglake generates: every literal and identifier built from data goes through here."""

from __future__ import annotations


def sql_string(value: str) -> str:
    """A SQL string literal ('' doubles a quote); safe for any text, including log data."""
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A double-quoted identifier, safe for any column or table name."""
    return '"' + name.replace('"', '""') + '"'


def sql_struct(columns: dict[str, str]) -> str:
    """A DuckDB struct literal of name → type strings, as read_json's `columns` parameter takes."""
    return "{" + ", ".join(f"{sql_string(name)}: {sql_string(type_)}" for name, type_ in columns.items()) + "}"
