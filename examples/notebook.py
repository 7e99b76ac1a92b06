"""A notebook in cells (`# %%`, as Jupyter, VS Code and PyCharm read them): write a log file, ingest it,
query it with a time range, hand the answer to Arrow/pandas/polars, search it, verify the lake.

Run it as a script too: `python examples/notebook.py [LAKE_FOLDER]` (default: a temporary folder).
tests/test_python_api.py runs it and checks what it prints.
"""

# %%
from __future__ import annotations

import importlib.util
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import loglake

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="loglake-notebook-"))

# %% A log file of 60 JSON lines, one a minute over the last hour; every 10th is an error.
now = datetime.now(UTC).replace(second=0, microsecond=0)
log = folder / "app.log"
with log.open("w") as handle:
    for n in range(60):
        moment = now - timedelta(minutes=59 - n)
        level = "ERROR" if n % 10 == 0 else "INFO"
        text = f"payment {n} failed: card declined" if level == "ERROR" else f"request {n} served"
        handle.write(f'{{"time": "{moment.isoformat()}", "level": "{level}", "msg": "{text}"}}\n')

# %% Connect (the argument, else $LOGLAKE_LAKE, else loglake.toml, else ./lake) and ingest: the ETL runs too.
lake = loglake.connect(str(folder / "lake"))
report = lake.ingest(str(log), log_group="app")
print(f"ingested {report.events} events: {report.clean_rows} clean, {report.quarantined_rows} quarantined")

# %% Athena SQL; since/until (15m, 2h, an ISO text or a datetime) keep only the rows in [since, until) and read
# only the partitions of the range.
since = now - timedelta(minutes=30)
errors = lake.query("SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY level", since=since)
print(errors.columns, errors.rows)

# %% The same result as Arrow, pandas or polars, when the extra is installed (pip install 'loglake[pandas]').
for module, convert in (("pyarrow", errors.to_arrow), ("pandas", errors.to_pandas), ("polars", errors.to_polars)):
    if importlib.util.find_spec(module) is not None:
        print(module, len(convert()), "rows")

# %% Search, as `loglake search`: newest first, with a count of every match.
found = lake.search("declined", limit=3)
print(f"search: {found.matches} matches, newest: {found.rows[0]['message']}")

# %% Conservation: clean + quarantined = distinct raw events, for every raw object.
check = lake.verify()
print("verify:", "OK" if check.ok else "FAILED", check.totals())
