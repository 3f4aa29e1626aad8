"""JSON renderer: golden output, schema validity, stable fields, round trip."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import check_golden
from plans import every_kind_plan

from reconciler.engine.plan import PLAN_FORMAT_VERSION
from reconciler.engine.saved import load_schema, plan_document, plan_from_document
from reconciler.errors import CampaignctlError
from reconciler.render.json import render_json
from reconciler.render.view import PlanView


def document(**kw):
    return json.loads(render_json(PlanView(every_kind_plan(**kw), directory="/work/campaigns")))


def test_json_golden_every_kind_of_action():
    check_golden("plan.json", render_json(PlanView(every_kind_plan(),
                                                   directory="/work/campaigns")) + "\n")


def test_json_validates_against_its_schema():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document(), schema)
    jsonschema.validate(document(targets=["Sender/newsletter"]), schema)


def test_schema_rejects_a_document_without_reasons():
    doc = document()
    doc["actions"][0]["reason"] = ""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, load_schema())


def test_one_entry_per_action_with_reason_and_stable_fields():
    doc = document()
    assert doc["format_version"] == PLAN_FORMAT_VERSION
    assert len(doc["actions"]) == len(every_kind_plan().actions)
    assert all(a["reason"] for a in doc["actions"])
    assert doc["summary"]["replace"] == 1 and doc["summary"]["refuse"] == 1
    assert doc["summary"]["irreversible"] == 4  # opt-in, cancel + create, cancel, send
    autumn = next(a for a in doc["actions"] if a["address"] == "Campaign/autumn")
    assert autumn["irreversible"] is True and autumn["cancels_send"] is True
    assert doc["summary"]["refused"] == [{
        "address": "Campaign/launched", "account": "mail",
        "reason": "campaign is completed: a launched campaign is frozen; make a new campaign "
                  "instead"}]
    assert doc["summary"]["refused_text"].startswith("Refused: 1 action will not be applied")
    flash = next(c for c in doc["campaigns"] if c["address"] == "Campaign/flash-sms")
    assert flash == {"address": "Campaign/flash-sms", "account": "sms", "op": "send",
                     "send_at": "2027-04-01T10:00:00+02:00", "timezone": "Europe/Paris",
                     "recipients": 1200, "suppressed": 15, "batches": 3,
                     "estimated_messages": 2400, "estimated_cost": 96.0, "currency": "EUR",
                     "irreversible": True, "unknown": 0}
    assert document(targets=["Sender/newsletter"])["partial"] is True


def test_round_trip_keeps_the_actions():
    plan = every_kind_plan()
    again, directory = plan_from_document(document())
    assert [a.to_dict() for a in again.actions] == [a.to_dict() for a in plan.actions]
    assert (again.environment, again.targets, again.policy) == (
        plan.environment, plan.targets, plan.policy)
    assert directory == "/work/campaigns"


def test_other_format_versions_are_refused():
    """The document is checked by its signature (tests/test_plan_signing.py); a plan of the
    previous, unsigned format is refused with what to do."""
    doc = plan_document(PlanView(every_kind_plan()))
    doc = json.loads(json.dumps(doc, default=str))
    doc["format_version"] = 1
    with pytest.raises(CampaignctlError, match="format_version 1 is not supported .*signed"
                                               ".*Plan again"):
        plan_from_document(doc)
    # A plan of the previous format binds to the whole workspace, not per action (its
    # actions carry no inputs): refused before anything is read, with what to do.
    doc["format_version"] = 2
    with pytest.raises(CampaignctlError, match="format_version 2 is not supported .*bind "
                                               "each action to its inputs.*Plan again"):
        plan_from_document(doc)
    doc["format_version"] = 99
    with pytest.raises(CampaignctlError, match="format_version 99"):
        plan_from_document(doc)
