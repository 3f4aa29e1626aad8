"""`init` writes the `# yaml-language-server: $schema=` line of every file and the schemas
it names into the new workspace; `campaignctl schema DIR` writes where DIR's manifests
point to, never into the current directory by surprise."""

from __future__ import annotations

import json
import re
import shutil

from conftest import EXAMPLE, run_cli


def test_init_writes_schema_lines_and_schemas_that_accept_its_files(tmp_path):
    import jsonschema
    from ruamel.yaml import YAML

    ws = tmp_path / "ws"
    r = run_cli("init", str(ws))
    assert r.returncode == 0, r.stderr
    yaml = YAML(typ="safe")  # times stay text, as editors read them
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp",
                                     type(yaml.constructor).construct_yaml_str)
    files = sorted(ws.glob("*.yaml"))
    assert len(files) == 6
    for path in files:
        first = path.read_text().splitlines()[0]
        m = re.fullmatch(r"# yaml-language-server: \$schema=(schemas/[a-z]+\.schema\.json)",
                         first)
        assert m, (path.name, first)
        schema = json.loads((ws / m[1]).read_text())
        for doc in yaml.load_all(path.read_text()):
            jsonschema.validate(doc, schema)
    assert (ws / "schemas" / "plan.schema.json").is_file()
    assert run_cli("validate", str(ws)).returncode == 0  # schemas/ is no manifest


def test_schema_writes_into_the_workspace(tmp_path):
    ws = tmp_path / "ws"
    assert run_cli("init", str(ws), "-q").returncode == 0
    shutil.rmtree(ws / "schemas")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run_cli("schema", str(ws), cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert (ws / "schemas" / "campaign.schema.json").is_file()
    assert not (elsewhere / "schemas").exists()
    # A repository whose root holds schemas/ beside campaigns/ (as this one does): the
    # manifests' ../schemas/ lines are where they go.
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "campaigns", ignore=shutil.ignore_patterns(".campaignctl"))
    (repo / "schemas").mkdir()
    (repo / "schemas" / "campaignctl.schema.json").write_text("{}")
    r = run_cli("schema", "campaigns", cwd=repo)
    assert r.returncode == 0, r.stderr
    assert json.loads((repo / "schemas" / "campaignctl.schema.json").read_text())
    assert not (repo / "campaigns" / "schemas").exists()
    assert run_cli("schema", str(tmp_path / "missing")).returncode == 1
