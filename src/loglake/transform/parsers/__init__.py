"""Message parsers, one per file. Each declares how it recognises a message (a SQL predicate), what makes a
recognised message unusable (sent to quarantine with a reason), and which columns it produces.

The ETL tries them in the order of PARSERS; the last one accepts everything, so every event ends in
exactly one parser's output or in quarantine.
"""

from __future__ import annotations

from loglake.transform.parsers.base import FieldPlan, ParsePlan, Parser
from loglake.transform.parsers.json_object import JsonObjectParser
from loglake.transform.parsers.plain_text import PlainTextParser

PARSERS: tuple[Parser, ...] = (JsonObjectParser(), PlainTextParser())

__all__ = ["PARSERS", "FieldPlan", "ParsePlan", "Parser"]
