from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from reconciler.providers.scheduled_campaigns.when import When, to_datetime, to_iso, to_timestamp

TS = 1796112000  # 2026-12-01T08:00:00Z


@pytest.mark.parametrize("value", [
    TS, str(TS), f" {TS} ", "2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z",
    "2026-12-01T03:00:00-05:00", "2026-12-01 08:00:00+00:00", "2026-12-01T08:00:00.750Z",
    datetime(2026, 12, 1, 9, tzinfo=timezone(timedelta(hours=1))),
])
def test_equal_instants_normalise_to_the_same_value(value):
    assert to_timestamp(value) == TS
    assert to_datetime(value) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert to_datetime(value).tzinfo is UTC
    assert to_iso(value) == "2026-12-01T08:00:00Z"


def test_yaml_timestamps_are_accepted():
    import io

    from ruamel.yaml import YAML

    doc = YAML().load(io.StringIO("when: 2026-12-01T09:00:00+01:00\n"))
    assert to_timestamp(doc["when"]) == TS


@pytest.mark.parametrize("value", [
    "2026-12-01T09:00:00", datetime(2026, 12, 1, 9), "2026-12-01",
])
def test_naive_times_are_rejected(value):
    with pytest.raises(ValueError, match="no time zone"):
        to_datetime(value)


@pytest.mark.parametrize("value", [
    True, 1796112000.0, None, "tomorrow", "", "-5", -5, 10**20, "2026-13-01T00:00:00Z", [TS],
])
def test_garbage_is_rejected_with_a_message(value):
    with pytest.raises(ValueError, match="`when`"):
        to_datetime(value)


def test_pydantic_field_type():
    class M(BaseModel):
        when: When

    m = M(when="2026-12-01T09:00:00+01:00")
    assert m.when == M(when=TS).when
    assert m.model_dump(mode="json") == {"when": "2026-12-01T08:00:00Z"}
    assert M.model_json_schema()["properties"]["when"]["anyOf"][0]["type"] == "integer"
    with pytest.raises(ValidationError, match="no time zone"):
        M(when="2026-12-01T09:00:00")
