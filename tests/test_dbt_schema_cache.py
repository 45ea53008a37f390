"""The config schemas kept from one dbt process to the next (workflow/scripts/dbt_schema_cache.py)
are the ones dbt builds, and dbt still rejects a bad config with them."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

# a process that installs the cache kept in a directory, asks for the schemas of a few dbt classes and of
# two of its own (in the script and in a function), validates a config and a bad one, and reports which schemas it had to build
PROCESS = """
import json, sys
sys.path.insert(0, {scripts!r})
import dbt_runner
from pathlib import Path
from dataclasses import dataclass
import dbt_common.dataclass_schema as dataclass_schema
import dbt_schema_cache
from dbt.artifacts.resources import ModelConfig
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.contracts.project import Project
{setup}
built = []
build_json_schema = dataclass_schema.build_json_schema
def counted(cls, *args, **kwargs):
    built.append(cls.__name__)
    return build_json_schema(cls, *args, **kwargs)
dataclass_schema.build_json_schema = counted
dbt_runner.import_dbt(Path({directory!r}))

@dataclass
class Script(dataclass_schema.dbtClassMixin):
    x: int = 0

def local():
    @dataclass
    class Local(dataclass_schema.dbtClassMixin):
        y: str = ""
    return Local
Local = local()

schemas = {{cls.__name__: cls.json_schema() for cls in (ModelConfig, DuckDBCredentials, Project, Script, Local)}}
ModelConfig.validate({{"materialized": "table", "enabled": True}})
try:
    ModelConfig.validate({{"materialized": "table", "enabled": "yes"}})
    rejected = False
except dataclass_schema.ValidationError:
    rejected = True
dbt_schema_cache.save()
own = {{cls.__name__: build_json_schema(cls).to_dict() for cls in (ModelConfig, DuckDBCredentials, Project, Script, Local)}}
print(json.dumps({{"built": built, "same": schemas == own, "rejected": rejected}}))
"""


def _process(directory, setup: str = "") -> dict:
    code = PROCESS.format(scripts=str(REPO / "workflow" / "scripts"), directory=str(directory), setup=setup)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_process_builds_only_the_schemas_no_process_kept_and_they_are_dbts_own(tmp_path):
    kept_in = tmp_path / "target" / "json_schemas"  # import_dbt(project) keeps them in the project's target/
    first = _process(tmp_path)
    assert sorted(first["built"]) == ["DuckDBCredentials", "Local", "ModelConfig", "Project", "Script"]
    (kept_file,) = kept_in.glob("*.json")
    assert {name.rsplit(".", 1)[1] for name in json.loads(kept_file.read_text())} == {
        "DuckDBCredentials", "ModelConfig", "Project"}
    second = _process(tmp_path)
    # defined in a script or a function: another process cannot find the class by its name
    assert sorted(second["built"]) == ["Local", "Script"]
    assert first["same"] and second["same"]  # what the file gives back equals what mashumaro builds
    assert first["rejected"] and second["rejected"]  # "enabled" must be a boolean, with the kept schema too
    # other package versions: their own file, in place of this one
    other = _process(tmp_path, setup="dbt_schema_cache.PACKAGES = ('dbt-core',)")
    assert sorted(other["built"]) == ["DuckDBCredentials", "Local", "ModelConfig", "Project", "Script"]
    (other_file,) = kept_in.glob("*.json")
    assert other_file.name != kept_file.name
