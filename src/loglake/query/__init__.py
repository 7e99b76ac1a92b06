"""Query: users write Athena (Trino) SQL; locally it runs on DuckDB over the lake's views."""
