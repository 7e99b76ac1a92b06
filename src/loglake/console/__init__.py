"""`loglake serve`: a web console over the lake (query, events over time, search, tables, quarantine, health).

api.py answers each page's questions with the project's own modules (the read-only query engines, search,
status, conservation, the schema registry, the ETL for re-drives); server.py puts them behind HTTP with a
token and a same-origin check; static/ is the page, plain HTML/JS/CSS with the histogram drawn as SVG.
"""
