"""Where the lake is and how stages behave: flags, then environment, then loglake.toml, then defaults.

loglake.toml is found as git finds `.git`: in the working directory or the nearest folder above it. It
looks like:

    lake = "./lake"            # or LOGLAKE_LAKE, or --lake
    raw = "s3://raw/logs"      # optional: the raw zone elsewhere (LOGLAKE_RAW, --raw)

    [etl]
    output_format = "parquet"  # or "jsonl": lake/formats
    table_format = "hive"      # or "iceberg": lake/iceberg.py
    max_depth = 5
    separator = "_"
    routes = [{ log_group = "/aws/vpc/*", format = "vpc_flow_log" }]

    [ingest]
    log_group = "local"
    multiline_start = ""       # a regex; empty keeps the built-in stack-trace rule

Unknown keys are rejected, so a typo fails loudly instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loglake.errors import ConfigError
from loglake.lake.formats import DEFAULT_FORMAT, FORMATS
from loglake.lake.table_bucket_store import checked_table_bucket_arn
from loglake.transform.settings import EtlSettings

TEMPLATE = """\
# loglake configuration. Flags win over environment variables, which win over this file.
# AWS credentials never go here: loglake uses the standard AWS chain (environment, profile, role),
# and boto3's endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
# AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) to talk to moto, LocalStack or MinIO.

# Where the lake is: a folder, or s3://bucket/prefix. Overridden by LOGLAKE_LAKE and --lake.
lake = "./lake"
# Optional: keep the raw zone in its own bucket (the lake above then holds clean, quarantine, state).
# Overridden by LOGLAKE_RAW.
# raw = "s3://my-raw-bucket/logs"

[etl]
# @FORMATS@; queries read them all.
output_format = "@DEFAULT_FORMAT@"
# "hive" (files in dt=/hour= folders) or "iceberg" (Apache Iceberg tables, needs the iceberg extra:
# pip install 'loglake[iceberg]'); see docs/lake-layout.md. It decides new tables only.
table_format = "hive"
# Nested objects are flattened to this depth; deeper values stay JSON text.
max_depth = 5
separator = "_"
# Columns a table may get from JSON keys; keys past it stay, exact, in the JSON column `extra`.
# The Lambda reads LOGLAKE_ETL_MAX_COLUMNS.
max_columns = 500
# Write each clean file's skip index, so that `loglake search` skips files that cannot hold a term.
# It costs the ETL CPU (docs/query.md, "Skip index"); false makes search read every file in range.
skip_index = true
# Formats are detected per event; a route forces one for matching log groups (globs), and/or sends
# them to a table of their own. Formats: see docs/formats.md.
# routes = [
#     { log_group = "/aws/vpc/flow*", format = "vpc_flow_log" },
#     { log_group = "/ecs/payments*", table = "payments" },
# ]
# Redaction, before rows reach the clean zone (kinds: email, ip, card, aws_key, bearer, jwt; all by
# default). mode = "mask" writes [REDACTED:email]; "hash" writes a keyed HMAC (key in LOGLAKE_REDACT_KEY).
# redact = [
#     { tables = ["logs", "quarantine"], fields = ["message", "user_email"], mode = "mask" },
#     { tables = ["*"], fields = ["*"], kinds = ["aws_key", "bearer", "jwt"] },
# ]

[athena]
# For --engine athena: the workgroup (with its result location and bytes-scanned cutoff), the Glue
# database holding loglake's tables (see `loglake ddl` / `loglake catalog sync`), and an optional
# result location when the workgroup does not set one.
workgroup = "primary"
database = "loglake"
# output_location = "s3://my-athena-results/loglake/"

# [iceberg]
# Iceberg tables of an S3 lake go to the Glue Data Catalog; "s3tables" puts new ones in Amazon S3 Tables
# (docs/deploy.md, "S3 Tables"). LOGLAKE_ICEBERG_CATALOG and LOGLAKE_TABLE_BUCKET_ARN override these.
# catalog = "s3tables"
# table_bucket_arn = "arn:aws:s3tables:us-east-1:111122223333:bucket/my-logs"

[ingest]
# Log group for local files (loglake ingest --log-group overrides it).
log_group = "local"
# A regex that starts each event; empty keeps the built-in stack-trace rule.
multiline_start = ""
""".replace("@FORMATS@", " or ".join(f"{f.name} ({f.description})" for f in FORMATS.values())).replace(
    "@DEFAULT_FORMAT@", DEFAULT_FORMAT
)

CONFIG_FILE = "loglake.toml"
LAKE_ENV = "LOGLAKE_LAKE"
RAW_ENV = "LOGLAKE_RAW"
DEFAULT_LAKE = "./lake"

_ALLOWED: dict[str, set[str]] = {
    "": {"lake", "raw", "etl", "ingest", "athena", "iceberg"},
    "iceberg": {"catalog", "table_bucket_arn"},
    "athena": {"workgroup", "database", "output_location"},
    "etl": {"output_format", "max_depth", "separator", "routes", "redact", "max_columns", "table_format", "skip_index"},
    "ingest": {"log_group", "multiline_start"},
}


@dataclass(frozen=True)
class Config:
    lake: str
    lake_origin: str
    """Which rule chose the lake: flag, environment, loglake.toml or default (shown to users)."""
    raw: str | None = None
    """Where the raw zone is when it is not inside the lake."""
    etl: EtlSettings = field(default_factory=EtlSettings)
    ingest: dict[str, str] = field(default_factory=dict)
    athena: dict[str, str] = field(default_factory=dict)
    table_bucket_arn: str | None = None
    """[iceberg] catalog = "s3tables": the table bucket new Iceberg tables go to (lake/iceberg_s3tables.py)."""
    config_file: Path | None = None
    """The loglake.toml in force, if any (found in the working directory or above)."""

    def lake_origin_text(self) -> str:
        """How the lake was chosen, in words a user can act on."""
        if self.lake_origin == "default":
            return (
                f"the default ./lake: no --lake, no ${LAKE_ENV}, "
                f"and no {CONFIG_FILE} in {Path.cwd()} or any folder above"
            )
        if self.lake_origin in ("--lake", LAKE_ENV):
            return f"chosen by {'$' if self.lake_origin == LAKE_ENV else ''}{self.lake_origin}"
        return f"chosen by {self.lake_origin}"

    def with_etl(self, **overrides: Any) -> Config:
        """The one way to override ETL settings (flags): every setting not named keeps its configured value."""
        changes = {name: value for name, value in overrides.items() if value is not None}
        return dataclasses.replace(self, etl=dataclasses.replace(self.etl, **changes)) if changes else self


def find_config_file(cwd: Path) -> Path | None:
    """The nearest loglake.toml at or above `cwd`."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def _check_types(path: Path, section: str, table: dict[str, Any], expected: dict[str, type]) -> None:
    """A value of the wrong type is named with the type it needs, instead of failing later deep inside."""
    for key, value in table.items():
        want = expected.get(key)
        if want is None or isinstance(value, dict):
            continue
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if not ok:
            noun = {str: "a string", int: "an integer", list: "a list", bool: "true or false"}.get(want, want.__name__)
            where = f"[{section}] {key}" if section else key
            raise ConfigError(f"{path}: {where} must be {noun}, not {value!r}")


def _etl_types() -> dict[str, type]:
    """TOML types of the [etl] keys, from EtlSettings' own annotations (tuples are TOML lists)."""
    types: dict[str, type] = {}
    for name, hint in typing.get_type_hints(EtlSettings).items():
        origin = typing.get_origin(hint) or hint
        types[name] = list if origin is tuple else origin if isinstance(origin, type) else object
    return types


def _read_file(path: Path) -> dict[str, Any]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for section, allowed in _ALLOWED.items():
        table = doc.get(section, {}) if section else doc
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        unknown = set(table) - allowed
        if unknown:
            where = f"[{section}]" if section else "the top level"
            raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)} in {where}; allowed: {sorted(allowed)}")
    _check_types(path, "", doc, {"lake": str, "raw": str})
    _check_types(path, "etl", doc.get("etl", {}), _etl_types())
    for section in ("ingest", "athena", "iceberg"):
        _check_types(path, section, doc.get(section, {}), dict.fromkeys(_ALLOWED[section], str))
    return doc


ICEBERG_CATALOGS = ("default", "s3tables")
"""default: the lake's own (SQLite in a local lake, Glue for an S3 lake); s3tables: Amazon S3 Tables."""
ICEBERG_CATALOG_ENV = "LOGLAKE_ICEBERG_CATALOG"
TABLE_BUCKET_ARN_ENV = "LOGLAKE_TABLE_BUCKET_ARN"


def table_bucket_arn(section: dict[str, str], where: str) -> str | None:
    """The table bucket of `[iceberg] catalog = "s3tables"` ($LOGLAKE_ICEBERG_CATALOG and
    $LOGLAKE_TABLE_BUCKET_ARN win), or None for the lake's own catalog."""
    kind = os.environ.get(ICEBERG_CATALOG_ENV) or section.get("catalog") or "default"
    arn = os.environ.get(TABLE_BUCKET_ARN_ENV) or section.get("table_bucket_arn") or ""
    if kind not in ICEBERG_CATALOGS:
        raise ConfigError(f"{where}: [iceberg] catalog must be one of {list(ICEBERG_CATALOGS)}, not {kind!r}")
    if kind == "default":
        # an ARN given at the level that chose the catalog (or with none chosen) would be ignored: say so
        if os.environ.get(TABLE_BUCKET_ARN_ENV) or (arn and not os.environ.get(ICEBERG_CATALOG_ENV)):
            raise ConfigError(
                f"{where}: table_bucket_arn {arn!r} is set but [iceberg] catalog is 'default', which ignores it: set "
                'catalog = "s3tables" (LOGLAKE_ICEBERG_CATALOG=s3tables), or remove table_bucket_arn '
                "(LOGLAKE_TABLE_BUCKET_ARN)"
            )
        return None
    if not arn:
        raise ConfigError(
            f'{where}: [iceberg] catalog = "s3tables" needs table_bucket_arn = "arn:aws:s3tables:<region>:'
            '<account>:bucket/<name>" (or $LOGLAKE_TABLE_BUCKET_ARN)'
        )
    try:
        return checked_table_bucket_arn(arn)
    except ConfigError as exc:
        raise ConfigError(f"{where}: [iceberg] {exc}") from None


def load_config(lake_flag: str | None = None, cwd: Path | None = None, raw_flag: str | None = None) -> Config:
    found = find_config_file((cwd or Path.cwd()).resolve())
    path = found or (cwd or Path.cwd()) / CONFIG_FILE
    doc = _read_file(path) if found else {}
    if lake_flag:
        lake, origin = lake_flag, "--lake"
    elif os.environ.get(LAKE_ENV):
        lake, origin = os.environ[LAKE_ENV], LAKE_ENV
    elif "lake" in doc:
        lake, origin = str(doc["lake"]), str(path)
        if "://" not in lake and not Path(lake).is_absolute():
            lake = str(path.parent / lake)
    else:
        lake, origin = DEFAULT_LAKE, "default"
    raw = raw_flag or os.environ.get(RAW_ENV) or doc.get("raw")
    if raw and "://" not in str(raw) and not Path(str(raw)).is_absolute() and not (raw_flag or os.environ.get(RAW_ENV)):
        raw = str(path.parent / str(raw))
    try:
        etl = EtlSettings(**doc.get("etl", {}))
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"{path}: [etl] {exc}") from None
    return Config(
        lake=lake,
        lake_origin=origin,
        raw=str(raw) if raw else None,
        etl=etl,
        ingest=dict(doc.get("ingest", {})),
        athena=dict(doc.get("athena", {})),
        table_bucket_arn=table_bucket_arn(dict(doc.get("iceberg", {})), str(path)),
        config_file=found,
    )
