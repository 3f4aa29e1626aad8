import pytest
from pydantic import ValidationError

from reconciler.providers.connectly.options import CampaignOptions


def test_defaults_and_required_version():
    with pytest.raises(ValidationError, match="campaign_version"):
        CampaignOptions()
    options = CampaignOptions(campaign_version="v2")
    assert options.variables == {} and options.batch_size == 100
    assert options.name_for("spring-sale") == "spring-sale"
    assert CampaignOptions(campaign_version="v2", campaign_name="x").name_for("y") == "x"


@pytest.mark.parametrize("bad", [
    {"campaign_version": ""},
    {"campaign_version": "v1", "batch_size": 0},
    {"campaign_version": "v1", "batch_size": 1001},
    {"campaign_version": "v1", "variables": {"a": 1}},
    {"campaign_version": "v1", "unknown": 1},
])
def test_rejected(bad):
    with pytest.raises(ValidationError):
        CampaignOptions(**bad)


def test_json_schema_has_descriptions():
    schema = CampaignOptions.model_json_schema()
    assert schema["additionalProperties"] is False
    assert all(p.get("description") for p in schema["properties"].values())
