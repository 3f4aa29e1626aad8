"""The generated JSON Schemas give the verdict `campaignctl validate` gives: the same
invalid manifests are refused by both, and the example workspace passes both. An editor
with the schemas shows the mistake as it is typed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli, write_workspace
from ruamel.yaml import YAML
from schema_cases import BASE, CONFIG, INVALID, INVALID_CONFIGS

from reconciler.cli import main
from reconciler.schema import write_schemas

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> dict[str, jsonschema.Draft202012Validator]:
    out = tmp_path_factory.mktemp("schemas")
    result = run_cli("schema", "--out", str(out))
    assert result.returncode == 0, result.stderr
    validators = {}
    for path in out.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[path.name.removesuffix(".schema.json")] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return validators


def yaml_documents(text: str) -> list:
    """Documents as an editor's YAML server sees them (timestamps are strings)."""
    yaml = YAML(typ="safe")
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp",
                                     type(yaml.constructor).construct_yaml_str)
    return [d for d in yaml.load_all(text) if d is not None]


def campaignctl(capsys, *args: str) -> tuple[int, str]:
    """(exit code, stderr) of the console script's entry point, run in this process (the
    cases are many; the example workspace runs in a subprocess below)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    return code, capsys.readouterr().err


def schema_errors(schemas, doc: dict) -> list[str]:
    return [e.message for e in schemas[doc["kind"].lower()].iter_errors(doc)]


@pytest.mark.parametrize("case, document", INVALID, ids=[c for c, _ in INVALID])
def test_validate_and_the_schema_both_refuse(tmp_path, capsys, schemas, case, document):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "base.yaml": BASE,
                                           "bad.yaml": document})
    code, stderr = campaignctl(capsys, "validate", str(ws))
    assert code == 1, stderr
    assert f"{ws}/bad.yaml:" in stderr, stderr
    assert "base.yaml" not in stderr and "internal error" not in stderr, stderr
    [doc] = yaml_documents(document)
    assert schema_errors(schemas, doc), f"the schema accepts {case}"


@pytest.mark.parametrize("case, text", INVALID_CONFIGS, ids=[c for c, _ in INVALID_CONFIGS])
def test_validate_and_the_config_schema_both_refuse(tmp_path, capsys, schemas, case, text):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": text})
    args = ["validate", str(ws)] + (["--env", "prod"] if "environments:" in text else [])
    code, stderr = campaignctl(capsys, *args)
    assert code == 1, stderr
    assert f"{ws}/campaignctl.yaml:" in stderr, stderr
    assert "internal error" not in stderr
    [doc] = yaml_documents(text)
    assert list(schemas["campaignctl"].iter_errors(doc)), f"the schema accepts {case}"


def test_valid_manifests_pass_both(tmp_path, schemas):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "base.yaml": BASE})
    result = run_cli("validate", str(ws))
    assert result.returncode == 0, result.stderr
    for doc in yaml_documents(BASE):
        assert schema_errors(schemas, doc) == [], doc["name"]
    assert list(schemas["campaignctl"].iter_errors(yaml_documents(CONFIG)[0])) == []


def test_the_example_workspace_passes_both(schemas):
    result = run_cli("validate", str(ROOT / "campaigns"), "--env", "staging")
    assert result.returncode == 0, result.stderr
    checked = 0
    for path in sorted((ROOT / "campaigns").glob("*.yaml")):
        for doc in yaml_documents(path.read_text()):
            name = "campaignctl" if path.name == "campaignctl.yaml" else doc["kind"].lower()
            errors = [e.message for e in schemas[name].iter_errors(doc)]
            assert errors == [], f"{path.name}: {errors}"
            checked += 1
    assert checked > 15


def test_each_schema_names_itself_as_the_path_manifests_give(tmp_path):
    """`$id` is the file name, so the `$schema=` line that import and the example write
    (relative to the manifest) and the schema's own id resolve to the same file."""
    written = write_schemas(tmp_path / "schemas")
    assert sorted(p.name for p in written) == [
        "apply-events.schema.json", "campaign.schema.json", "campaignctl.schema.json",
        "contactgroup.schema.json", "ledger-unknown.schema.json", "message.schema.json",
        "optoutlist.schema.json", "plan.schema.json", "sender.schema.json",
        "status.schema.json", "validate.schema.json"]
    for path in written:
        schema = json.loads(path.read_text())
        assert schema["$id"] == path.name
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    from reconciler.importer import schema_reference
    (tmp_path / "campaigns").mkdir()
    assert schema_reference(tmp_path / "campaigns", "Campaign") == "../schemas/campaign.schema.json"
    first = (ROOT / "campaigns" / "campaignctl.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/campaignctl.schema.json"


def test_templates_may_hold_references_where_values_are_checked(schemas):
    """A for_each document holds ${each.value.FIELD} where the expanded value is checked."""
    [doc] = yaml_documents("kind: Campaign\nname: t\nprovider: mail\nfor_each: {en: {}}\n"
                           "spec: {timezone: '${each.value.tz}', send_at: '${var.when}'}\n")
    assert schema_errors(schemas, doc) == []
    doc["spec"]["timezone"] = "Europe/Pariss"
    assert schema_errors(schemas, doc)
