"""The one rule for Glue database names, shared by the deploy template, `catalog sync`, the ETL's Glue sync,
`compact`'s Athena check and the Iceberg maintenance statements.

Athena's VACUUM takes the database unquoted (AWS's page says not to backquote it) and OPTIMIZE is Trino SQL,
which refuses backticks, so a name must be a plain identifier; the template's GlueDatabase parameter caps it
at 64 characters. A name checked here is refused before any AWS call, not by the first maintenance run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from loglake.errors import ConfigError

GLUE_DATABASE_PATTERN = "^[a-z][a-z0-9_]{0,63}$"
"""The template's GlueDatabase AllowedPattern, and what every loglake command accepts."""

GLUE_DATABASE_RULE = "a lowercase letter, then lowercase letters, digits and '_' (64 at most)"

_DATABASE = re.compile(GLUE_DATABASE_PATTERN)


def checked_database(name: str) -> str:
    """`name`, or a ConfigError that says the rule (nothing has been asked of AWS yet)."""
    if not _DATABASE.fullmatch(name):
        raise ConfigError(
            f"Glue database {name!r} is not a name loglake accepts: {GLUE_DATABASE_RULE}, as the deploy "
            "template's GlueDatabase (Athena's VACUUM and OPTIMIZE take it unquoted)"
        )
    return name


GLUE_DATABASE_ENV = "LOGLAKE_GLUE_DATABASE"
"""The stack sets it on its functions (the ETL's Glue sync, Iceberg's catalog, maintenance): the database a
deployed lake's tables are in."""
DEFAULT_GLUE_DATABASE = "loglake"


def glue_database(flag: str | None = None, athena: Mapping[str, str] | None = None) -> str:
    """The Glue database a command uses: its --database, else $LOGLAKE_GLUE_DATABASE (the stack's GlueDatabase on
    its functions), else loglake.toml's [athena] database, else `loglake`. One order for every command, so a
    command never looks in another database than the one the lake's tables are in. Not checked here: a caller
    checks it (checked_database) where the name reaches AWS, so a legacy name in loglake.toml does not stop
    commands that never use it (compact on a local lake)."""
    return flag or os.environ.get(GLUE_DATABASE_ENV) or (athena or {}).get("database") or DEFAULT_GLUE_DATABASE
