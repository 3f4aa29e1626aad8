import pytest
from pydantic import ValidationError

from reconciler.providers.octopush.options import CampaignOptions


def test_purpose_is_required_and_defaults_are_documented_ones():
    with pytest.raises(ValidationError, match="purpose"):
        CampaignOptions()
    options = CampaignOptions(purpose="alert")
    assert options.type == "sms_premium"
    assert options.auto_optimize_text is True
    assert options.batch_size == 500
    assert options.sms_fields() == {
        "purpose": "alert", "type": "sms_premium", "with_replies": False,
        "recipient_tracking": False, "auto_delete_optout_contacts": False,
        "auto_optimize_text": True, "list_name": None}


@pytest.mark.parametrize("bad", [
    {"purpose": "marketing"},
    {"purpose": "alert", "type": "sms"},
    {"purpose": "alert", "batch_size": 199},
    {"purpose": "alert", "batch_size": 501},
    {"purpose": "alert", "simulation_mode": True},  # plan's business, not the manifest's
    {"purpose": "alert", "body_format": "html"},
    {"purpose": "alert", "emailing_service": "smtp"},
])
def test_rejected(bad):
    with pytest.raises(ValidationError):
        CampaignOptions(**bad)


def test_channel_specific_fields():
    options = CampaignOptions(purpose="wholesale", template_name="t", with_replies=True)
    assert options.fields_not_for("sms") == ["template_name"]
    assert options.fields_not_for("email") == ["with_replies"]
    assert options.email_fields()["template_name"] == "t"


def test_json_schema_has_descriptions():
    schema = CampaignOptions.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["purpose"]
    assert all(p.get("description") for p in schema["properties"].values())
