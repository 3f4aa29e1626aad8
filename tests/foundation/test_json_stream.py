"""A JSON list decoded as its bytes arrive (reconciler/json_stream.py) gives what the whole
body decodes to, however the bytes are cut, and refuses what json.loads refuses."""

from __future__ import annotations

import json

import pytest

from reconciler.json_stream import JsonListItems

GROUPS = [{"$_id": {"$oid": f"g{g}"}, "tag": f"Gr\u00e9up {g} \u2713", "score": 1.25e3,
           "n": -17, "ok": True, "none": None, "nested": [[1, 2], {"a": "}],\\\"x"}],
           "contacts": [{"email": f"u{i}@example.com", "name": f"N\u00e4me {i}, \"q\""}
                        for i in range(30)]} for g in range(4)]


def decode(body: bytes, piece: int, window: int) -> list:
    items = JsonListItems(window)
    out = []
    for at in range(0, len(body), piece):
        out += items.feed(body[at:at + piece])
    return out + items.close()


@pytest.mark.parametrize("value", [GROUPS, [], [1, 22, 333, -4.5e-3, 7], ["a", "b,]"],
                                   [[], {}, [[]]], [True, False, None], [123456789]])
@pytest.mark.parametrize(("piece", "window"), [(1, 1), (3, 5), (7, 64), (4096, 1 << 20)])
def test_any_cut_gives_the_whole_body_decode(value, piece, window):
    for body in (json.dumps(value).encode(), json.dumps(value, indent=2).encode(),
                 json.dumps(value, ensure_ascii=False).encode(),
                 b"\xef\xbb\xbf \n" + json.dumps(value).encode() + b" \r\n"):
        assert decode(body, piece, window) == json.loads(body.decode("utf-8-sig")) == value


def test_items_come_out_before_the_body_ends():
    body = json.dumps(GROUPS).encode()
    items = JsonListItems(window=1024)
    seen = []
    for at in range(0, len(body) // 2, 512):
        seen += items.feed(body[at:at + 512])
    assert seen and seen == GROUPS[:len(seen)]


@pytest.mark.parametrize("body", [
    b"", b"   ", b'{"not": "a list"}', b'"text"', b"3", b"[", b"[1, 2", b"[1 2]", b"[1,]",
    b"[,1]", b"[1] [2]", b"[1] x", b'[{"a": 1}', b'[{"$_id": {"$oid": "g1"}, "contacts": [{"em',
    b'[{"a": tru}]', b'[{"a": "x\x01"}]', b"\xff\xfe[1]", b'["\xc3"]', b"[NaNx]",
    b"[" * 100_000 + b"]" * 100_000])
@pytest.mark.parametrize("piece", [1, 5, 1 << 20])
def test_what_is_not_one_json_list_is_a_value_error(body, piece):
    try:
        assert not isinstance(json.loads(body.decode("utf-8-sig")), list)
    except (ValueError, RecursionError):
        pass  # json.loads refuses it too
    with pytest.raises(ValueError):
        decode(body, piece, window=8)


def test_a_malformed_item_is_refused_without_reading_the_rest():
    items = JsonListItems(window=8)
    with pytest.raises(ValueError, match="malformed"):
        items.feed(b'[{"a": 1}, {"a": @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@, ')
