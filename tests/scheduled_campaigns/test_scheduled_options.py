import pytest
from pydantic import ValidationError

from reconciler.providers.scheduled_campaigns.options import CampaignOptions

URL = "https://hooks.example.com/cb?team=crm&sig=a%2Fb+c&empty="


def test_minimal_and_full():
    assert CampaignOptions(list=12, domain=4).model_dump() == {
        "list": 12, "segments": [], "domain": 4, "event_callback": None}
    full = CampaignOptions(list=12, domain=4, segments=[7, 3, 7], event_callback=URL)
    assert full.segments == [3, 7]  # a set: order and repeats never plan a change
    assert full.event_callback == URL  # byte for byte


@pytest.mark.parametrize("data,where", [
    ({"domain": 4}, "list"),
    ({"list": 12}, "domain"),
    ({"list": "12", "domain": 4}, "list"),
    ({"list": True, "domain": 4}, "list"),
    ({"list": 0, "domain": 4}, "list"),
    ({"list": 12, "domain": 4, "segments": [1, "2"]}, "segments.1"),
    ({"list": 12, "domain": 4, "type": "x"}, "type"),
    ({"list": 12, "domain": 4, "event_callback": "ftp://h.example/cb"}, "event_callback"),
    ({"list": 12, "domain": 4, "event_callback": "hooks.example.com/cb"}, "event_callback"),
    ({"list": 12, "domain": 4, "event_callback": "https:///cb"}, "event_callback"),
    ({"list": 12, "domain": 4, "event_callback": "https://h.example/a b"}, "event_callback"),
    ({"list": 12, "domain": 4, "event_callback": "https://h.example:99999/"}, "event_callback"),
])
def test_rejected(data, where):
    with pytest.raises(ValidationError) as info:
        CampaignOptions(**data)
    assert [".".join(map(str, e["loc"])) for e in info.value.errors()] == [where]


def test_schema_has_descriptions():
    schema = CampaignOptions.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["list", "domain"]
    assert all(p.get("description") for p in schema["properties"].values())
