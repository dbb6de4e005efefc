"""The components as a Pulumi component package: the schema the SDK's analyzer infers is a valid
Pulumi package schema, names every public component, and documents every input and output."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import pulumi
import pytest
import yaml

import components
from components import package
from tools.harness import ROOT


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _public_components() -> set[type[pulumi.ComponentResource]]:
    """Every ComponentResource class defined in a module under components/."""
    found = set()
    for module_info in pkgutil.walk_packages(components.__path__, "components."):
        if module_info.name == "components.__main__":
            continue
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (issubclass(value, pulumi.ComponentResource) and value.__module__ == module.__name__
                    and not value.__name__.startswith("_") and "__init__" in vars(value)):
                found.add(value)
    return found


@pytest.fixture(scope="module")
def schema():
    return package.schema()


def _check(schema: dict, schemas_dir, tmp_path) -> subprocess.CompletedProcess:
    """check-jsonschema, whose default regex engine reads the ECMA patterns of the metaschema."""
    instance = tmp_path / "schema.json"
    instance.write_text(json.dumps(schema))
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile",
         str(schemas_dir / "pulumi" / "package.json"), str(instance)],
        capture_output=True, text=True, check=False)


def test_schema_is_a_valid_pulumi_package(schema, schemas_dir, tmp_path):
    result = _check(schema, schemas_dir, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_metaschema_check_can_fail(schema, schemas_dir, tmp_path):
    broken = {**schema, "resources": {"groundwork:index:Network": {"isComponent": "yes"}}}
    assert _check(broken, schemas_dir, tmp_path).returncode == 1


def test_every_public_component_is_served(schema):
    assert set(package.COMPONENTS) == _public_components()
    assert set(schema["resources"]) == {f"groundwork:index:{c.__name__}"
                                        for c in package.COMPONENTS}


@pytest.mark.parametrize("component", package.COMPONENTS, ids=lambda c: c.__name__)
def test_every_input_and_output_is_documented(schema, component):
    spec = schema["resources"][f"groundwork:index:{component.__name__}"]
    assert spec.get("description"), "the component's docstring"
    args = inspect.get_annotations(component.__init__, eval_str=True)["args"]
    fields = args.__annotations__
    assert set(spec["inputProperties"]) == {_camel(field) for field in fields}
    required = {_camel(field) for field in args.__required_keys__}
    assert set(spec.get("requiredInputs", [])) == required
    outputs = {name for name in inspect.get_annotations(component) if not name.startswith("_")}
    assert set(spec.get("properties", {})) == {_camel(name) for name in outputs}
    for name, prop in {**spec["inputProperties"], **spec.get("properties", {})}.items():
        assert prop.get("description"), f"{component.__name__}.{name} has no docstring"


def test_every_nested_type_documents_its_fields(schema):
    assert schema["types"], "the nested args types"
    for token, spec in schema["types"].items():
        assert spec.get("description"), token
        for name, prop in spec["properties"].items():
            assert prop.get("description"), f"{token}.{name} has no docstring"


def test_the_plugin_folder_runs_the_host_on_python():
    plugin = yaml.safe_load((ROOT / "components" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"] == "python"
    entry = (ROOT / "components" / "__main__.py").read_text()
    assert "component_provider_host(COMPONENTS" in entry
