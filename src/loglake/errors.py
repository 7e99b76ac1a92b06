"""Every error loglake raises on purpose, so callers can catch the family and the CLI can print one line.

LoglakeError
├── ConfigError          bad loglake.toml, flag or environment value
├── StoreError           a zone could not be read or written
├── LeaseHeldError       another run holds the lease this one needs; retried once that run is done
├── RawObjectError       a key or object that is not in the raw layout; refused, never mis-processed
├── EventError           an event passed to a handler is not the shape it expects
├── InvariantError       an internal count check failed (conservation, schema merge)
├── StaleTableError      a clean table's files have a layout an earlier loglake wrote; names the re-run
├── QueryError           SQL that cannot be run (syntax, unknown column, not read-only)
├── CollectError         CloudWatch refused or could not be reached (after retries)
├── ExportError          a CloudWatch export or CloudTrail file that cannot be imported
├── CatalogError         the Glue Data Catalog refused a change
├── AthenaReadsTableError  compaction refused: Athena reads the hive table (or loglake cannot tell)
├── PackageError         the Lambda artifact cannot be built
└── DeployError          CloudFormation refused or rolled back a deployment
"""

from __future__ import annotations


class LoglakeError(Exception):
    """Base class: an expected failure with a message fit for a user."""


class ConfigError(LoglakeError):
    pass


class StoreError(LoglakeError):
    pass


class LeaseHeldError(LoglakeError):
    """Another run holds the lease this one needs (a raw object's `etl/<key>`): refused rather than run twice
    at once; a retry once that run is done finds its work committed."""


class RawObjectError(LoglakeError):
    pass


class EventError(LoglakeError):
    pass


class InvariantError(LoglakeError):
    pass


class StaleTableError(LoglakeError):
    """A clean table written by an earlier loglake in a layout this one does not read (a column's type that
    the contract changed): refused, never misread; the message names the command that rewrites it."""


class QueryError(LoglakeError):
    pass


class ColumnTypeError(QueryError):
    """A clean file holds a column in a type the schema registry's type cannot hold: the table is refused,
    never misread; the message names the table, the column and the command that widens the registry."""


class CollectError(LoglakeError):
    """CloudWatch refused or could not be reached (after retries)."""


class ExportError(LoglakeError):
    pass


class CatalogError(LoglakeError):
    pass


class AthenaReadsTableError(LoglakeError):
    """`loglake compact` refused for a hive table Athena reads, or when Glue cannot say whether it does: Athena
    reads the whole hour prefix, so it would count compacted events twice until the replaced files go."""


class PackageError(LoglakeError):
    pass


class DeployError(LoglakeError):
    pass


def first_line(exc: BaseException) -> str:
    """An exception's first non-empty line (engines' messages run over several): what a one-line report shows."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
