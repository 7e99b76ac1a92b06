"""`loglake catalog sync`: the Glue database and tables, from the schema registry, idempotently.

Each clean table gets the same definition as `loglake ddl` prints (columns, dt/hour partition keys,
partition projection from the table's earliest day), plus the raw zone and quarantine tables. A table
that already matches is left alone; one that differs (the schema evolved, or older data arrived and the
projection range must start earlier) is updated. With `partitions=True` the dt/hour partitions
present in the lake are also registered, for engines that do not read partition projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loglake.aws_calls import call_aws
from loglake.catalog.athena_ddl import (
    athena_type,
    clean_table_properties,
    clean_table_root,
    earliest_quarantine_dt,
    lake_location,
    quarantine_table_properties,
    table_format,
)
from loglake.catalog.glue_names import checked_database
from loglake.errors import CatalogError
from loglake.lake.clean_zone import ATHENA_PARTITIONS, table_prefix
from loglake.lake.formats.jsonl import JSON_LINES_STORAGE
from loglake.lake.iceberg import is_iceberg
from loglake.lake.keys import RAW_PREFIX
from loglake.lake.quarantine import QUARANTINE_COLUMNS
from loglake.lake.raw_zone import RAW_COLUMNS
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.lake.store import Store


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    partitions_added: int = 0


def _columns(columns: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Type": athena_type(type_)} for name, type_ in columns.items()]


def clean_table_input(schema: TableSchema, location: str) -> dict[str, Any]:
    storage = table_format(schema).athena.glue()
    root = clean_table_root(schema, location)
    return {
        "Name": schema.table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", **clean_table_properties(schema, root)},
        "PartitionKeys": [{"Name": name, "Type": type_} for name, type_ in ATHENA_PARTITIONS.items()],
        "StorageDescriptor": {
            "Columns": _columns({c.name: c.type for c in schema.columns}),
            "Location": root,
            **storage,
        },
    }


def raw_table_input(location: str) -> dict[str, Any]:
    """`location` is the lake's, or the raw bucket's when the raw zone has its own."""
    root = f"{lake_location(location)}{RAW_PREFIX}"
    return {
        "Name": "raw_events",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE"},
        "StorageDescriptor": {"Columns": _columns(RAW_COLUMNS), "Location": root, **JSON_LINES_STORAGE.glue()},
    }


def quarantine_table_input(location: str, earliest: str | None = None) -> dict[str, Any]:
    root = f"{lake_location(location)}quarantine/"
    return {
        "Name": "quarantine",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", **quarantine_table_properties(root, earliest)},
        "PartitionKeys": [{"Name": "dt", "Type": "date"}],
        "StorageDescriptor": {"Columns": _columns(QUARANTINE_COLUMNS), "Location": root, **JSON_LINES_STORAGE.glue()},
    }


def _same(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    descriptor = existing.get("StorageDescriptor", {})
    return bool(
        descriptor.get("Columns") == wanted["StorageDescriptor"]["Columns"]
        and descriptor.get("Location") == wanted["StorageDescriptor"]["Location"]
        and existing.get("PartitionKeys", []) == wanted.get("PartitionKeys", [])
        # Glue and Athena add parameters of their own (transient_lastDdlTime, ...): compare ours only.
        and all(existing.get("Parameters", {}).get(k) == v for k, v in wanted["Parameters"].items())
    )


class GlueCatalog:
    def __init__(self, database: str, client: Any = None) -> None:
        checked_database(database)  # before any AWS call: the name every loglake path accepts
        if client is None:
            import boto3

            client = boto3.client("glue")
        self.client = client
        self.database = database

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return call_aws(self.client, "Glue", CatalogError, operation, **kwargs)

    def _exists(self, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(getattr(self.client, operation)(**kwargs))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
                return None
            raise CatalogError(f"Glue refused {operation}: {exc}") from None

    def sync(
        self, store: Store, location: str, *, partitions: bool = False, raw_location: str | None = None
    ) -> SyncReport:
        report = SyncReport()
        if self._exists("get_database", Name=self.database) is None:
            self._call("create_database", DatabaseInput={"Name": self.database, "Description": "loglake tables"})
        registry = SchemaRegistry(store)
        wanted = []
        for table in sorted(registry.tables()):
            schema = registry.get(table)
            if schema is not None and not is_iceberg(store, table):  # an Iceberg table is its catalog's
                wanted.append(clean_table_input(schema, location))
        wanted += [
            raw_table_input(raw_location or location),
            quarantine_table_input(location, earliest_quarantine_dt(store)),
        ]
        for table_input in wanted:
            found = self._exists("get_table", DatabaseName=self.database, Name=table_input["Name"])
            if found is None:
                self._call("create_table", DatabaseName=self.database, TableInput=table_input)
                report.created.append(table_input["Name"])
            elif not _same(found["Table"], table_input):
                self._call("update_table", DatabaseName=self.database, TableInput=table_input)
                report.updated.append(table_input["Name"])
            else:
                report.unchanged.append(table_input["Name"])
        if partitions:
            for table_input in wanted[:-2]:
                report.partitions_added += self._add_partitions(store, table_input)
        return report

    def _add_partitions(self, store: Store, table_input: dict[str, Any]) -> int:
        prefix = table_prefix(table_input["Name"])
        present = sorted(
            {tuple(part.split("=", 1)[1] for part in key[len(prefix) :].split("/")[:2]) for key in store.list(prefix)}
        )
        existing = set()
        paginator = self.client.get_paginator("get_partitions")
        for page in paginator.paginate(DatabaseName=self.database, TableName=table_input["Name"]):
            existing |= {tuple(p["Values"]) for p in page["Partitions"]}
        missing = [values for values in present if values not in existing]
        descriptor = table_input["StorageDescriptor"]
        for start in range(0, len(missing), 100):  # BatchCreatePartition takes 100 at a time
            batch = [
                {
                    "Values": list(values),
                    "StorageDescriptor": {
                        **descriptor,
                        "Location": f"{descriptor['Location']}dt={values[0]}/hour={values[1]}/",
                    },
                }
                for values in missing[start : start + 100]
            ]
            answer = self._call("batch_create_partition", DatabaseName=self.database, TableName=table_input["Name"],
                                PartitionInputList=batch)  # fmt: skip
            if answer.get("Errors"):
                raise CatalogError(f"Glue refused partitions of {table_input['Name']}: {answer['Errors'][0]}")
        return len(missing)
