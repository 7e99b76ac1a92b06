"""The catalog: table definitions generated from the schema registry (DuckDB views now; Athena DDL next)."""
