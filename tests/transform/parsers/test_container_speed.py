"""Speed changes of Docker's json-file lines and ECS FireLens records (issue 13, item 4): each new expression
against the old one (kept here) on crafted records (split lines, CR/LF, escapes, non-ASCII, nulls, numbers,
duplicate and escaped keys, `attrs` of every JSON type, a huge `log`, neighbouring formats), exact values."""

from __future__ import annotations

from conftest import classified_rows, macro_connection
from loglake.transform import etl
from loglake.transform.parsers.container_docker import EXAMPLES as DOCKER_EXAMPLES
from loglake.transform.parsers.container_docker import ContainerDockerParser
from loglake.transform.parsers.ecs_firelens import EXAMPLES as ECS_EXAMPLES
from loglake.transform.parsers.ecs_firelens import EcsFirelensParser

T = "2019-01-01T11:11:11.111111111Z"
DOCKER_LINES = [
    *(e.message for e in DOCKER_EXAMPLES),
    f'{{"log":"hello\\n","stream":"stdout","time":"{T}"}}',
    f'{{"log":"two breaks\\n\\n","stream":"stdout","time":"{T}"}}',
    f'{{"log":"crlf\\r\\n","stream":"stderr","time":"{T}"}}\r\n',
    '{"log":"","stream":"","time":""}\n',
    f'{{"log":"\\n","stream":"stdout","time":"{T}"}}',
    f'{{"log":"ünïcode é́ 😀\\n","stream":"stdout","time":"{T}"}}',
    f'{{"log":"\\u003cb\\u003e \\u00e9\\t\\"q\\"\\n","stream":"stdout","time":"{T}"}}',
    '{"log":null,"stream":null,"time":null}',
    '{"log":1e20,"stream":7,"time":1546341071}',
    f'{{"log":{{"k":[1,2.50]}},"stream":true,"time":"{T}"}}',
    f'{{"log":"first","log":"second","stream":"stdout","time":"{T}","time":"2020-01-01T00:00:00Z"}}',
    '{"log":"no time","stream":"stdout"}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":{{"tag":"web","n":1.50}}}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":"label"}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":null}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":12}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":[1,"x"]}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":{{}}}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","\\u0061ttrs":{{"tag":"escaped key"}}}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attr\\u0073":"escaped"}}',
    f'{{"log":"attrs in the log","stream":"stdout","time":"{T}"}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","attrs":"x","attrs":{{"dup":1}}}}',
    # split by Docker: the records joined by the file source, one per line
    f'{{"log":"part one, ","stream":"stderr","time":"{T}","attrs":{{"a":"1"}}}}\n'
    f'{{"log":"part two, ","stream":"stdout","time":"2030-01-01T00:00:00Z"}}\n'
    f'{{"log":"end\\n","stream":"stdout","time":"{T}"}}',
    f'{{"log":"part, ","stream":"stderr","time":"{T}"}}\n{{"log":null,"stream":"stderr","time":"{T}"}}',
    f'{{"log":null,"stream":"stderr","time":"{T}"}}\n{{"log":null,"stream":"stderr","time":"{T}"}}',
    f'{{"log":"part ","stream":"stderr","time":"{T}"}}\r\n{{"log":"end\\n","stream":"stderr","time":"{T}"}}\r\n',
    f'{{"log":"{"x" * 200_000}\\n","stream":"stdout","time":"{T}"}}',
    f'  {{"log":"spaced","stream":"stdout","time":"{T}"}}  ',
]


def test_docker_columns_come_from_one_parse_per_line() -> None:
    """Each line's `log`, `time` and `stream` from one path list, the last line break cut without a regex, `attrs`
    parsed only where a line can hold it: every column and the time as before, which parsed each line four times
    and ran regexp_replace (benchmarks/README.md, h-jsonpath8)."""
    parser = ContainerDockerParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, DOCKER_LINES)
    plan = parser.plan(con, 5)
    s = parser.struct_column
    old = {
        "time": f"nullif(json_extract_string({s}[1], '$.time'), '')",
        "stream": f"nullif(json_extract_string({s}[1], '$.stream'), '')",
        "log": f"regexp_replace(array_to_string(list_transform({s}, lambda x: json_extract_string(x, '$.log')), ''), "
        "'\\n$', '')",
        "attrs": f"nullif(json_extract({s}[1], '$.attrs')::VARCHAR, '')",
        "__time": f"json_extract_string({s}[1], '$.time')",
    }
    new = {f.path[0]: f.expression for f in plan.fields} | {"__time": plan.time}
    assert sorted(new) == sorted(old)
    assert "regexp_replace" not in new["log"] and "json_extract_string" not in new["time"]
    staged = etl.staged_rows(parser.name, parser.table, plan)
    for column, expression in new.items():
        rows = con.execute(f"SELECT i, {expression}, {old[column]} FROM ({staged}) ORDER BY i").fetchall()
        assert len(rows) == len(DOCKER_LINES)
        assert [r[1] for r in rows] == [r[2] for r in rows], column
    names = [f.path[0] for f in plan.fields]
    values = con.execute(f"SELECT {', '.join(new[n] for n in names)} FROM ({staged}) ORDER BY i").fetchall()
    got = [dict(zip(names, row, strict=True)) for row in values]
    assert got[4] == {"time": T, "stream": "stdout", "log": "two breaks\n", "attrs": None}
    assert got[5] == {"time": T, "stream": "stderr", "log": "crlf\r", "attrs": None}
    assert got[6] == {"time": None, "stream": None, "log": "", "attrs": None}
    assert got[8]["log"] == "ünïcode é́ 😀"
    assert got[9]["log"] == '<b> é\t"q"'
    assert got[10] == {"time": None, "stream": None, "log": None, "attrs": None}
    assert got[11] == {"time": "1546341071", "stream": "7", "log": "100000000000000000000.0", "attrs": None}
    assert got[13]["log"] == "first" and got[13]["time"] == T
    assert [g["attrs"] for g in got[15:25]] == [
        '{"tag":"web","n":1.5}',
        '"label"',
        "null",
        "12",
        '[1,"x"]',
        "{}",
        '{"tag":"escaped key"}',
        '"escaped"',
        None,
        '"x"',
    ]
    assert got[25] == {"time": T, "stream": "stderr", "log": "part one, part two, end", "attrs": '{"a":"1"}'}
    assert [g["log"] for g in got[26:29]] == ["part, ", None, "part end"]
    assert got[29]["log"] == "x" * 200_000


DOCKER_CLAIMS = [
    *DOCKER_LINES,
    f'{{"log":"a","stream":"stdout","time":"{T}","kubernetes":{{"pod":"p"}}}}',
    f'{{"log":"a","stream":"stdout","Time":"{T}"}}',
    f'{{"log":"a","stream":"stdout","time":"{T}","log\\u0000":"nul"}}',
    f'{{"log":"a","stream":"stdout","time":"{T}"',
    '{"log":"a","stream":"stdout"}\n{"log":"b","stream":"stdout","extra":1}',
    '{"log":"a","stream":"stdout"}\nnot json',
    '{"log":"a","stream":"stdout"}\n\n{"log":"b","stream":"stdout"}',
    '{"log":"a"}',
    '{"log":"has \\"stream\\": inside"}',
    f'{{"stream":"stdout","log":"a","time":"{T}"}}',
    f'{T} stdout F {{"log":"a","stream":"stdout"}}',
    '{"log":"a","stream":"stdout","ecs_task_arn":"t","container_name":"/a"}',
    '{"log":',
    "",
]


_DOCKER_LINE = "CASE WHEN suffix(message, chr(10)) OR suffix(message, chr(13)) THEN regexp_replace(message, '[\\r\\n]+\\z', '') ELSE message END"
DOCKER_DETECT_8DD5176 = (
    "(CASE WHEN starts_with(message, '{\"log\":') THEN (contains(message, '\"stream\":') AND list_bool_and("
    f"list_transform(string_split({_DOCKER_LINE}, chr(10)), lambda x: CASE WHEN json_valid(x) AND "
    "starts_with(x, '{\"log\":') THEN list_bool_and(list_transform(json_keys(x), lambda k: k IN ('log', 'stream', "
    "'time', 'attrs'))) ELSE false END))) ELSE false END)"
)
"""Docker's detection at 8dd5176 (json_valid and json_keys per line, a split and a lambda for every event)."""
DOCKER_MORE_CLAIMS = [
    '{"log":"a","stream":"stdout"} trailing',
    '{"log":"a","stream":"stdout"}{"log":"b"}',
    '{"log":"a","stream":"stdout",}',
    '{"log":"a","stream":"stdout","time":NaN}',
    '{"log":\'a\',"stream":"stdout"}',
    '{"log":"a\\u0001","stream":"stdout"}',
    '{"log":"a' + chr(1) + '","stream":"stdout"}',
    '{"log":"a' + chr(0) + '","stream":"stdout"}',
    '{"log":"' + "[" * 200 + '","stream":"stdout"}',
    '{"log":' + "[" * 200 + "]" * 200 + ',"stream":"stdout"}',
    '{"log":1e400,"stream":"stdout"}',
    '{"log":"a","stream":"stdout"}\r\n',
    '{"log":"a","stream":"stdout"}\r',
    '{"log":"a","stream":"stdout"}\n\n',
    '{"log":"a","stream":"stdout"}\r\n{"log":"b","stream":"stderr"}',
    '{"log":"a","stream":"stdout"}\n{"log":"b","stream":"stderr","attrs":{}}\n{"log":"c","stream":"stdout"}',
    '{"log":"a","stream":"stdout"}\n{"log":"b","stream":"stderr"\n',
    '{"log":"a","stream":"stdout"}\n {"log":"b","stream":"stderr"}',
    '{"log":"a","stream":"stdout","\\u0074ime":"t"}',
    '{"log":"a","stream":"stdout","tim\\u00e9":"t"}',
    '{"log":"é","stream":"stdout","attrs":"ünï"}',
    '{"log":"a","stream":"stdout","Attrs":{}}',
    '{"log":"a","stream":"stdout","stream":"stderr","log":"b"}',
    '{"log":"a","stream":"stdout","":""}',
    '{"log":"a","stream":"stdout"',
    '{"log":"x' + "y" * 100_000 + '","stream":"stdout"}',
    '\n{"log":"a","stream":"stdout"}',
    '{"log":"a","stream":"stdout"}\n',
    None,
]


def test_docker_detection_tests_each_key_with_in() -> None:
    """`list_has_all(Docker's keys, json_keys(x))` as an IN per key, one parse per line (TRY(json_keys), no
    json_valid): the claims of 8dd5176's expression (kept above) and
    of the one with list_has_all on every line, valid JSON or not (trailing text, a second document, a trailing
    comma, NaN, single quotes, control characters, a NUL, deep nesting, 1e400, CR/LF, blank and broken lines)."""
    new = ContainerDockerParser().detect("message")
    assert "list_has_all" not in new
    assert "json_valid(" not in new
    assert new.count("TRY(json_keys(x))") == 1
    older = DOCKER_DETECT_8DD5176.replace(
        "list_bool_and(list_transform(json_keys(x), lambda k: k IN ('log', 'stream', 'time', 'attrs')))",
        "list_has_all(['log', 'stream', 'time', 'attrs'], json_keys(x))",
    )
    assert older != DOCKER_DETECT_8DD5176
    lines = [*DOCKER_CLAIMS, *DOCKER_MORE_CLAIMS] * 3  # several chunks: TRY re-runs a failing chunk row by row
    rows = (
        macro_connection()
        .execute(
            f"SELECT i, {new}, {DOCKER_DETECT_8DD5176}, {older} FROM (SELECT unnest($m::VARCHAR[]) AS message, "
            "unnest(range(len($m))) AS i) ORDER BY i",
            {"m": lines},
        )
        .fetchall()
    )
    assert [r[1] for r in rows] == [r[2] for r in rows] == [r[3] for r in rows]
    n = len(DOCKER_LINES)
    # every Docker line but the last (a blank before its `{`), none of the others
    assert [r[1] for r in rows[: len(DOCKER_CLAIMS)]] == [True] * (n - 1) + [False] * (len(DOCKER_CLAIMS) - n + 1)
    assert sum(bool(r[1]) for r in rows) == 3 * (n - 1 + 16)  # json_valid takes trailing commas, NaN, 1e400


ECS_RECORDS = [
    *(e.message for e in ECS_EXAMPLES),
    '{"ecs_task_arn": "t", "container_name": "/a"}',
    '{"ecs_task_arn": "t", "container_name": "/a", "env": null}',
    '{"ecs_task_arn": "t", "container_name": "/a", "log": "x", "log": "y", "source": null}',
    '{"ecs_task_arn": "t", "container_name": "/a", "l\\u006fg": "escaped key", "\\u00e9": "é"}',
    '{"ecs_task_arn": "t", "container_name": "/a", "Log": "case", "nested": {"log": null, "x": [1, 2.50]}}',
    '{"ecs_task_arn": "t", "container_name": "/a", "log\\u0000": "nul", "ecs_cluster": {}}',
    '{"ecs_task_arn": "t", "container_name": "/a", "": 1e20}',
    '  {"ecs_task_arn":"t","container_name":"/a","log":"crlf\\r\\n"} \r\n',
    '{"ecs_task_arn": "t", "container_name": "/a", "log": "' + "y" * 100_000 + '", "k": "ünï"}',
]


def test_ecs_firelens_extra_fields_skip_the_merge_when_every_key_is_firelens() -> None:
    """extra_fields is NULL without json_merge_patch when every key is one of KEYS, the merge's text otherwise."""
    parser = EcsFirelensParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, ECS_RECORDS)
    plan = parser.plan(con, 5)
    new = next(f.expression for f in plan.fields if f.path[0] == "extra_fields")
    old = (
        'nullif(nullif(json_merge_patch(message, \'{"container_id": null, "container_name": null, "source": null, '
        '"log": null, "ecs_cluster": null, "ecs_task_arn": null, "ecs_task_definition": null}\')::VARCHAR, \'{}\'), \'\')'
    )
    assert new.startswith("nullif(CASE WHEN list_bool_and(list_transform(json_keys(message)")
    staged = etl.staged_rows(parser.name, parser.table, plan)
    rows = con.execute(f"SELECT i, {new}, {old} FROM ({staged}) ORDER BY i").fetchall()
    assert [r[1] for r in rows] == [r[2] for r in rows]
    assert [r[1] for r in rows] == [
        None,
        '{"env":"prod"}',
        None,
        '{"env":null}',
        None,
        '{"é":"é"}',
        '{"Log":"case","nested":{"log":null,"x":[1,2.5]}}',
        '{"log\\u0000":"nul"}',
        '{"":100000000000000000000.0}',
        None,
        '{"k":"ünï"}',
    ]
