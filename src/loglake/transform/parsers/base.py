"""The contract between the ETL and a parser. Parsers work on whole batches in SQL: no per-record Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from loglake.lake.quarantine import Reason


@dataclass(frozen=True)
class FieldPlan:
    """One payload column: its source (a JSON pointer), its final type, and the SQL that computes it."""

    source: str
    type: str
    expression: str
    """SQL over the parser's staged row (classified columns plus ParsePlan.staging)."""
    path: tuple[str, ...] = ()


@dataclass
class ParsePlan:
    time: str
    """SQL: the event time as a string for ll_parse_time, or NULL."""
    level: str
    """SQL: the normalised level, or NULL."""
    fields: list[FieldPlan] = field(default_factory=list)
    staging: dict[str, str] = field(default_factory=dict)
    """Columns to materialise once (e.g. a single JSON parse into a list) for rows of this format."""


class Parser(Protocol):
    name: str
    """Also the value of the clean `format` column."""

    def detect(self, message: str) -> str:
        """SQL predicate: this parser claims the message."""
        ...

    def reject(self, message: str) -> tuple[str, Reason] | None:
        """SQL predicate true for a claimed message that cannot be parsed, and the quarantine reason."""
        ...

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """Inspect this parser's rows in temp table `classified` (where format = name) and plan columns."""
        ...
