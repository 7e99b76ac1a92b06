from __future__ import annotations

import pytest

from loglake.transform.naming import assign_names, base_name, snake_case


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("userId", "user_id"),
        ("HTTPStatus", "http_status"),
        ("http.status_code", "http_status_code"),
        ("Response Time (ms)", "response_time_ms"),
        ("__private", "private"),
        ("UPPER", "upper"),
        ("café", "caf"),
    ],
)
def test_snake_case(key: str, name: str) -> None:
    assert snake_case(key) == name


def test_base_names() -> None:
    assert base_name(("request", "latencyMs")) == "request_latency_ms"
    assert base_name(("1st", "x")) == "f_1st_x"
    assert base_name(("???",)) == "field"
    assert base_name(("a", "b"), separator="__") == "a__b"
    long = base_name(("x" * 300,))
    assert len(long) == 128 and long != base_name(("x" * 301,))


def test_collisions_resolve_in_pointer_order_and_reserved_names_are_avoided() -> None:
    pointers = [
        ("/user_id", ("user_id",)),
        ("/userId", ("userId",)),
        ("/user/id", ("user", "id")),
        ("/message", ("message",)),
        ("/User Id", ("User Id",)),
    ]
    names = assign_names(pointers, known={}, taken={"message", "timestamp"})
    assert names == {
        "/User Id": "user_id",
        "/message": "message_2",
        "/user/id": "user_id_2",
        "/userId": "user_id_3",
        "/user_id": "user_id_4",
    }


def test_known_names_never_move() -> None:
    names = assign_names([("/a/b", ("a", "b")), ("/a_b", ("a_b",))], known={"/a_b": "a_b"}, taken=set())
    assert names == {"/a/b": "a_b_2", "/a_b": "a_b"}
