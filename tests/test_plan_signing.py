"""The saved plan's signature (engine/signing.py): an HMAC of the whole document keyed with
the state's secret. Every field of a real document, edited, is refused; so are a file
re-signed with another key, an unsigned one, and one of the previous format. The key is
created once per state, in SQLite and PostgreSQL alike, and `state migrate` carries it."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import jsonschema
import pytest
from render.plans import every_kind_plan

from reconciler.engine.plan import PLAN_FORMAT_VERSION
from reconciler.engine.saved import load_schema, read_saved, save_plan
from reconciler.engine.signing import META_KEY, PlanKey, UnverifiedPlan, signature, state_key
from reconciler.errors import CampaignctlError
from reconciler.state.migrate import migrate
from reconciler.state.store import SqliteStore

KEY = PlanKey(bytes(range(32)), "the test state")


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "plan.json"
    save_plan(every_kind_plan(), path, tmp_path, ["the plan deletes 2 of 4 (50%)"], key=KEY)
    return path


def leaves(node, path=()):
    """(path, value) of every scalar in a JSON document, and of every empty container."""
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        for i, v in enumerate(node):
            yield from leaves(v, (*path, i))
    else:
        yield path, node


def edited(value):
    """Another value of the same JSON type (so the document still parses as a plan)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return "production" if value == "staging" else value + "x"
    if value is None:
        return "x"
    return ["x"] if isinstance(value, list) else {"x": 1}


def set_at(doc, path, value):
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def refused(doc: dict, tmp_path: Path, key: PlanKey | None = KEY) -> str:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc, indent=2))
    try:
        read_saved(path).verify(key, "the test state")
    except UnverifiedPlan as exc:
        return str(exc)
    except CampaignctlError as exc:  # no longer a well-formed plan at all
        return f"malformed: {exc}"
    raise AssertionError("the edited plan verified")


def test_the_saved_plan_verifies_and_matches_its_schema(saved):
    plan = read_saved(saved)
    plan.verify(KEY, "the test state")
    doc = json.loads(saved.read_text())
    jsonschema.validate(doc, load_schema())
    assert doc["format_version"] == PLAN_FORMAT_VERSION == 3
    assert doc["signature"]["key_id"] == KEY.key_id and "checksum" not in doc
    assert KEY.secret.hex() not in saved.read_text()
    assert KEY.secret.hex() not in repr(KEY)


def test_every_field_edited_is_refused(saved, tmp_path):
    doc = json.loads(saved.read_text())
    body = {k: v for k, v in doc.items() if k != "signature"}
    cases = list(leaves(body))
    assert len(cases) > 300  # every action, summary, campaign and policy field
    malformed = 0
    for path, value in cases:
        bad = copy.deepcopy(doc)
        set_at(bad, path, edited(value))
        why = refused(bad, tmp_path)
        if why.startswith("malformed"):
            # The schema check (before the signature's) names the edited field, or the
            # object or list holding it.
            malformed += 1
            if path[0] not in ("kind", "format_version"):
                named = why.split("malformed plan file: ", 1)[1].split(": ", 1)[0]
                assert (named.startswith(field(path)) or field(path).startswith(named)
                        or named == "the document"), (path, why)
        else:
            assert "was edited after it was saved" in why, path
    # Edits that keep each value's type and form are left to the signature.
    assert 0 < malformed < len(cases) // 2


def field(path) -> str:
    """`actions[3].send.suppressed`, as a refusal names a field."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "the document"


def test_added_removed_and_reordered_content(saved, tmp_path):
    doc = json.loads(saved.read_text())
    for edit in (lambda d: d.update(note="reviewed and approved by security"),
                 lambda d: d["actions"][0].update(extra=True),
                 lambda d: d["actions"].pop(),
                 lambda d: d["actions"].reverse(),
                 lambda d: d["safety"].clear(),
                 lambda d: d.update(policy={"pack_version": "reviewed by legal"}),
                 lambda d: d.pop("campaigns"),
                 lambda d: d["summary"].pop("refused_text")):
        bad = copy.deepcopy(doc)
        edit(bad)
        why = refused(bad, tmp_path)
        assert "was edited after it was saved" in why or why.startswith("malformed"), why
    # Layout is not content: re-indented, keys in another order, the file still verifies.
    again = tmp_path / "again.json"
    again.write_text(json.dumps(dict(reversed(list(doc.items()))), indent=None))
    read_saved(again).verify(KEY, "the test state")


def test_resigned_with_another_key_or_unsigned_or_old_format(saved, tmp_path):
    doc = json.loads(saved.read_text())
    doc["environment"] = "production"
    other = PlanKey(os.urandom(32))
    doc["signature"] = signature(doc, other)
    assert f"signed with another key ({other.key_id}) than the test state holds" in refused(
        doc, tmp_path)
    doc["signature"]["key_id"] = KEY.key_id  # claiming the state's key does not help
    assert "was edited after it was saved" in refused(doc, tmp_path)
    assert "holds no plan signing key" in refused(doc, tmp_path, key=None)

    doc.pop("signature")
    assert "is not signed" in refused(doc, tmp_path)
    doc["signature"] = {"algorithm": "sha256", "mac": "0" * 64, "key_id": KEY.key_id}
    assert "malformed" in refused(doc, tmp_path)

    doc.pop("signature")
    doc["format_version"], doc["checksum"] = 1, "0" * 64  # a plan saved by the old release
    why = refused(doc, tmp_path)
    assert "format_version 1 is not supported" in why and "Plan again" in why


def test_duplicate_keys_and_non_numbers_are_refused(saved, tmp_path):
    text = saved.read_text()
    twice = text.replace('"environment": null,', '"environment": null, "environment": "x",', 1)
    assert twice != text
    path = tmp_path / "twice.json"
    path.write_text(twice)
    with pytest.raises(CampaignctlError, match="appears twice"):
        read_saved(path)
    path.write_text(text.replace('"partial": false', '"partial": NaN', 1))
    with pytest.raises(CampaignctlError, match="NaN is not a JSON number"):
        read_saved(path)


def test_the_key_is_made_once_and_only_when_asked(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        assert state_key(store, create=False) is None
        first = state_key(store, create=True)
        assert state_key(store, create=True) == first == state_key(store, create=False)
        assert len(store.get_meta(META_KEY)) == 64
        store.set_meta(META_KEY, "short")
        with pytest.raises(CampaignctlError, match="plan signing key is damaged"):
            state_key(store, create=False)
    finally:
        store.close()


def test_postgres_holds_the_key_and_state_migrate_carries_it(tmp_path, postgres_dsn):
    from reconciler.state.postgres import PostgresStore

    source = SqliteStore(tmp_path / "state.db")
    target = PostgresStore(postgres_dsn)
    try:
        key = state_key(source, create=True)
        migrate(source, target)
        assert state_key(target, create=False) == PlanKey(key.secret, target.where)
    finally:
        source.close()
        target.close()
    other = PostgresStore(postgres_dsn, schema="another")
    try:
        made = state_key(other, create=True)
        assert made.key_id != key.key_id and state_key(other, create=False) == made
    finally:
        other.close()
