"""Issue 26, property-based: a saved plan whose fields were replaced by generated JSON (any
type, control characters, bidi overrides, deep values, long numbers) and re-signed with the
state's key is read, shown in every format and compared with the plan it claims to be as
`show` and `apply` do: it either passes the schema and every line shown is one line, or it
is refused with one `CampaignctlError` line. Never another exception.

HOSTILE_FUZZ_EXAMPLES examples (default 60); `-s` prints cases by shape, the longest and
the largest."""

from __future__ import annotations

import copy
import json
import time

import pytest
from hostile.fuzzstats import FUZZ, Stats
from hypothesis import given
from hypothesis import strategies as st
from render.plans import every_kind_plan

from reconciler.cli.shell import render_plan
from reconciler.engine.review import compare_plans
from reconciler.engine.saved import read_saved, save_plan
from reconciler.engine.signing import PlanKey, signature
from reconciler.errors import CampaignctlError

KEY = PlanKey(b"k" * 32, "the test state")
STATS = Stats()
HOSTILE = ["\r\n+ create Fake/x", "\x1b[2J", "\u202e", "\u2028", "\x00", "a" * 2000, "",
           "Campaign/x", "create", "outside", "2027-03-20T09:00:00-04:00", "now"]
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(HOSTILE)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8) | st.sampled_from(HOSTILE), children, max_size=3),
    max_leaves=8)


@pytest.fixture(scope="module")
def saved_doc(tmp_path_factory) -> tuple[dict, object]:
    path = tmp_path_factory.mktemp("planfuzz") / "plan.json"
    save_plan(every_kind_plan(), path, path.parent, ["the plan deletes 2 of 4 (50%)"],
              key=KEY)
    yield json.loads(path.read_text()), read_saved(path).plan
    for line in STATS.lines():
        print("\n" + line)


def paths(node, path=()):
    """Every (path, value) of the document, containers included."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*path, i))


def one_line_each(text: str) -> bool:
    return not any(ch in text for ch in "\r\x1b\u202e\u2028\x00")


@FUZZ
@given(data=st.data())
def test_a_re_signed_plan_of_any_content_is_shown_or_refused_cleanly(saved_doc, tmp_path,
                                                                      data):
    doc, original = saved_doc
    body = {k: v for k, v in doc.items() if k != "signature"}
    where, before = data.draw(st.sampled_from([(p, v) for p, v in paths(body) if p]))
    # Half the time a hostile value of the field's own type, which the schema lets through
    # to the renderers and the review.
    same = {str: st.sampled_from(HOSTILE) | st.text(max_size=30), int: st.integers(0, 10**9),
            bool: st.booleans()}.get(type(before))
    value = data.draw(same if same is not None and data.draw(st.booleans()) else values)
    edited = copy.deepcopy(body)
    node = edited
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    edited["signature"] = signature(edited, KEY)
    path = tmp_path / "plan.json"
    text = json.dumps(edited)
    path.write_text(text)
    shape = ".".join("[]" if isinstance(s, int) else s for s in where[-2:])
    started = time.perf_counter()
    try:
        saved = read_saved(path)
        saved.verify(KEY, "the test state")
        view = saved.view()
        for fmt in ("text", "markdown", "json"):
            shown = render_plan(view, fmt, False)
            if fmt != "json":
                assert one_line_each(shown), (where, value)
        review = compare_plans(saved.plan, original)
        assert all(one_line_each(p) for p in review.problems + review.notes), (where, value)
        outcome = "shown"
    except CampaignctlError as exc:
        message = str(exc)
        assert "\n" not in message and one_line_each(message), message
        outcome = "refused"
    STATS.record("saved plan", f"{outcome} {shape}", len(text), time.perf_counter() - started)
