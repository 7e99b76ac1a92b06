"""The `loglake` command line (needs the `cli` extra: typer, rich, sqlglot)."""
