"""Iceberg tables of an S3 lake in the Glue Data Catalog (pyiceberg's GlueCatalog): the catalog Athena
reads and writes natively. Endpoints and credentials come from boto3's own environment variables
(AWS_ENDPOINT_URL[_GLUE|_S3], AWS_REGION), so the tests point it at a moto server as they do boto3.

Glue holds only the pointer to the table's current metadata file (table parameter `metadata_location`,
`table_type` = ICEBERG); commits are Glue UpdateTable calls conditioned on the table's VersionId. The
table's files are read and written through boto3 (lake/iceberg_io.py), so the Lambda needs no pyarrow.
"""

from __future__ import annotations

import os
from typing import Any


def s3_io_properties() -> dict[str, str]:
    """lake/iceberg_io.py's s3.* properties from boto3's environment (endpoint, region, keys), for every
    catalog whose files live on S3."""
    env = os.environ
    props: dict[str, str] = {}
    s3 = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if s3:
        props["s3.endpoint"] = s3
        props["s3.force-virtual-addressing"] = "false"
    if region:
        props["s3.region"] = region
    for name, key in (("AWS_ACCESS_KEY_ID", "access-key-id"), ("AWS_SECRET_ACCESS_KEY", "secret-access-key")):
        if env.get(name):
            props[f"s3.{key}"] = env[name]
    if env.get("AWS_SESSION_TOKEN"):
        props["s3.session-token"] = env["AWS_SESSION_TOKEN"]
    return props


def glue_catalog(warehouse: str) -> Any:
    """A pyiceberg GlueCatalog whose data and metadata files live under `warehouse` (s3://bucket/prefix/clean)."""
    from pyiceberg.catalog.glue import GlueCatalog
    from pyiceberg.typedef import EMPTY_DICT

    from loglake.lake.iceberg import FILE_IO, PY_IO_IMPL

    env = os.environ
    props = {"warehouse": warehouse, PY_IO_IMPL: FILE_IO, **s3_io_properties()}  # boto3 for the files
    glue = env.get("AWS_ENDPOINT_URL_GLUE") or env.get("AWS_ENDPOINT_URL")
    if glue:
        props["glue.endpoint"] = glue
    for key in ("region", "access-key-id", "secret-access-key", "session-token"):
        if f"s3.{key}" in props:
            props[f"glue.{key}"] = props[f"s3.{key}"]

    class ExistingDatabaseCatalog(GlueCatalog):
        """pyiceberg creates the namespace by calling Glue's CreateDatabase and ignoring AlreadyExists: a
        deployed ETL role has no CreateDatabase (the stack creates the database), so look it up first."""

        def create_namespace_if_not_exists(self, namespace: Any, properties: Any = EMPTY_DICT) -> None:
            if not self.namespace_exists(namespace):  # GetDatabase
                super().create_namespace_if_not_exists(namespace, properties)

    return ExistingDatabaseCatalog("glue", **props)
