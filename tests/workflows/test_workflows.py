"""The GitHub workflows in .github/workflows and their shared setup action
.github/actions/setup: valid for GitHub, least-privileged, pinned, and doing what the delivery flow
promises (preview on PR, dev then approved prod on main, nightly drift).

GitHub itself is not reachable from here, so "valid" means valid against the workflow and action
JSON schemas that check-jsonschema ships (SchemaStore's github-workflow.json and
github-action.json).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.config import CLUSTER_KEYS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
SETUP = "./.github/actions/setup"
SETUP_ACTION = ROOT / SETUP / "action.yml"
SCHEMAS_SCRIPT = ROOT / ".github" / "scripts" / "schemas.sh"
SCHEMAS_MANIFEST = ROOT / ".github" / "upstream-schemas.txt"
# An action pinned to a major release tag, e.g. actions/checkout@v4.
PINNED_MAJOR = re.compile(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?@v\d+")
# What each workflow may ask GITHUB_TOKEN and OIDC for, at most.
ALLOWED_PERMISSIONS = {
    "preview.yml": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    "deploy.yml": {"contents": "read", "id-token": "write"},
    "drift.yml": {"contents": "read", "id-token": "write", "issues": "write"},
}


def load(name):
    return yaml.safe_load((WORKFLOWS / name).read_text())


def setup_action():
    return yaml.safe_load(SETUP_ACTION.read_text())


def triggers(workflow):
    # YAML 1.1 reads the bare key `on` as the boolean true.
    return workflow.get("on", workflow.get(True))


def steps(job):
    return job.get("steps", [])


def uses(job, action):
    return [step for step in steps(job) if step.get("uses", "").split("@")[0] == action]


def run_scripts(job):
    return "\n".join(step.get("run", "") for step in steps(job))


def setup_inputs(job):
    """The inputs of the job's setup action step, or None when it has none."""
    setups = uses(job, SETUP)
    assert len(setups) <= 1, "one setup step per job"
    return setups[0].get("with", {}) if setups else None


def configures_aws(job):
    return bool((setup_inputs(job) or {}).get("aws-role-arn"))


def check_jsonschema(schema, *paths):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, check=False)


def test_the_three_workflows_exist():
    assert [path.name for path in FILES] == ["deploy.yml", "drift.yml", "preview.yml"]


def test_workflows_match_githubs_workflow_schema():
    result = check_jsonschema("vendor.github-workflows", *FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_action_matches_githubs_action_schema():
    result = check_jsonschema("vendor.github-actions", SETUP_ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: true\n")
    result = check_jsonschema("vendor.github-workflows", broken)
    assert result.returncode == 1, "a job without runs-on must fail the schema check"


def test_schema_check_rejects_a_broken_composite_action(tmp_path):
    broken = tmp_path / "action.yml"
    broken.write_text("name: x\ndescription: x\nruns:\n  using: composite\n"
                      "  steps:\n      - run: true\n")
    result = check_jsonschema("vendor.github-actions", broken)
    assert result.returncode == 1, "a composite run step without shell must fail the schema check"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_job_gets_least_privilege(path):
    workflow = load(path.name)
    allowed = ALLOWED_PERMISSIONS[path.name]
    assert workflow["permissions"] == {"contents": "read"}, "the workflow default must be read-only"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow["permissions"])
        assert isinstance(permissions, dict), f"{name}: no read-all/write-all shorthands"
        for scope, level in permissions.items():
            assert level == "read" or allowed.get(scope) == level, f"{name}: {scope}: {level}"
        if configures_aws(job):
            assert permissions.get("id-token") == "write", f"{name}: OIDC needs id-token: write"
        else:
            assert "id-token" not in permissions, f"{name}: id-token without AWS"


def every_step():
    """(where, step) for each step of every workflow job and of the setup action."""
    for path in FILES:
        for name, job in load(path.name)["jobs"].items():
            yield from ((f"{path.name}: {name}", step) for step in steps(job))
    yield from (("setup action", step) for step in setup_action()["runs"]["steps"])


def test_every_action_is_pinned_to_a_major_release_or_local():
    for where, step in every_step():
        if "uses" not in step:
            continue
        if step["uses"].startswith("./"):
            assert (ROOT / step["uses"] / "action.yml").is_file(), f"{where}: {step['uses']}"
        else:
            assert PINNED_MAJOR.fullmatch(step["uses"]), f"{where}: {step['uses']}"


def test_aws_access_is_through_oidc_only():
    for path in [*FILES, SETUP_ACTION]:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
    configure = [step for where, step in every_step()
                 if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert len(configure) == 1, "AWS credentials come from the setup action only"
    assert configure[0]["uses"].endswith("@v4")
    assert configure[0]["if"] == "inputs.aws-role-arn != ''"
    assert configure[0]["with"]["role-to-assume"] == "${{ inputs.aws-role-arn }}"
    for path in FILES:
        for name, job in load(path.name)["jobs"].items():
            if configures_aws(job):
                assert setup_inputs(job)["aws-role-arn"] == "${{ vars.AWS_ROLE_ARN }}", name
                assert setup_inputs(job)["aws-region"] == "${{ vars.AWS_REGION }}", name


def test_setup_action_installs_what_it_is_asked_for():
    action = {step.get("name", step.get("uses")): step for step in setup_action()["runs"]["steps"]}
    assert set(setup_action()["inputs"]) == {"policy-pack", "schemas-dir", "aws-role-arn",
                                             "aws-region"}
    assert "if" not in action["Install the program"]
    assert action["Install the policy pack"]["if"] == "inputs.policy-pack == 'true'"
    assert ("policy/venv/bin/pip install -r policy/requirements.txt"
            in action["Install the policy pack"]["run"])
    schemas = action["Fetch and verify the upstream schemas"]
    assert schemas["if"] == "inputs.schemas-dir != ''"
    assert schemas["env"] == {"SCHEMAS_DIR": "${{ inputs.schemas-dir }}"}
    assert schemas["run"] == 'bash .github/scripts/schemas.sh "$SCHEMAS_DIR"'


def fetches_schemas(step):
    """The step fills $GROUNDWORK_SCHEMAS: directly, or through the setup action."""
    if step.get("uses") == SETUP:
        return step.get("with", {}).get("schemas-dir") == "${{ env.GROUNDWORK_SCHEMAS }}"
    return (".github/scripts/schemas.sh" in step.get("run", "")
            and "$GROUNDWORK_SCHEMAS" in step["run"])


def schema_readers(workflow):
    """(job, index, step) for every step running the tests or the render."""
    for name, job in workflow["jobs"].items():
        for index, step in enumerate(steps(job)):
            if re.search(r"-m pytest\b|-m tools\.render\b", step.get("run", "")):
                yield name, job, index, step


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_tests_and_render_run_only_after_the_schemas_are_fetched(path):
    """Under CI the schemas_dir fixture fails without the schemas, and a render without them
    validates nothing."""
    workflow = load(path.name)
    for name, job, index, step in schema_readers(workflow):
        env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
        assert env.get("GROUNDWORK_SCHEMAS"), f"{name}: {step.get('name')}: no GROUNDWORK_SCHEMAS"
        assert any(fetches_schemas(earlier) for earlier in steps(job)[:index]), \
            f"{name}: {step.get('name')} runs before the schemas are fetched"


def test_the_schemas_check_sees_every_test_and_render_step():
    readers = {(path.name, name) for path in FILES for name, *_ in schema_readers(load(path.name))}
    assert readers == {("deploy.yml", "test"), ("preview.yml", "test"), ("preview.yml", "render")}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_pulumi_runs_a_pinned_cli(path):
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    sdk = re.search(r"^pulumi==(\S+)$", requirements, re.M).group(1)
    for job in load(path.name)["jobs"].values():
        for step in uses(job, "pulumi/actions"):
            assert step["uses"] == "pulumi/actions@v6"
            assert step["with"]["pulumi-version"] == sdk


def test_preview_runs_on_pull_requests_with_tests_render_diff_and_policy():
    workflow = load("preview.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    jobs = workflow["jobs"]
    assert ".venv/bin/python -m pytest -q" in run_scripts(jobs["test"])

    render = run_scripts(jobs["render"])
    assert 'for stack in dev prod local; do' in render
    assert '--require-schemas --schemas "$GROUNDWORK_SCHEMAS"' in render
    assert "-m tools.render --stack dev --diff render-base/dev" in render
    base_checkout = [step for step in uses(jobs["render"], "actions/checkout") if "with" in step]
    assert base_checkout[0]["with"] == {"ref": "${{ github.event.pull_request.base.sha }}",
                                        "path": "base"}
    assert uses(jobs["render"],
                "marocchino/sticky-pull-request-comment")[0]["with"]["path"] == "render-diff.md"

    preview = jobs["preview"]
    assert _matrix_stacks(preview) == ["dev", "prod"]
    pulumi = next(step["with"] for step in uses(preview, "pulumi/actions")
                  if "command" in step["with"])
    assert pulumi["command"] == "preview"
    assert pulumi["policyPacks"] == "policy"
    assert pulumi["policyPackConfigs"] == "policy/config.${{ matrix.stack }}.json"
    assert pulumi["comment-on-pr"] is True
    assert setup_inputs(preview)["policy-pack"] is True


def test_setup_notes_name_the_cluster_access_keys_the_config_accepts():
    """The read-only role reaches the cluster only through viewerRoleArns, so the setup notes must
    name keys the program really reads."""
    named = set(re.findall(r"groundwork:cluster\.(\w+)",
                           "\n".join(path.read_text() for path in FILES)))
    assert {"viewerRoleArns", "adminRoleArns"} <= named
    assert named <= set(CLUSTER_KEYS)


def test_deploy_goes_to_dev_then_to_approved_prod_one_at_a_time():
    workflow = load("deploy.yml")
    assert triggers(workflow) == {"push": {"branches": ["main"]}}
    # A workflow-wide group would stay held while prod waits for approval and stall the next dev.
    assert "concurrency" not in workflow
    dev, prod = workflow["jobs"]["dev"], workflow["jobs"]["prod"]
    assert prod["needs"] == "dev"
    assert prod["environment"] == "production"
    for job, stack in ((dev, "dev"), (prod, "prod")):
        pulumi = uses(job, "pulumi/actions")[0]["with"]
        assert (pulumi["command"], pulumi["stack-name"]) == ("up", stack)
        assert pulumi["policyPackConfigs"] == f"policy/config.{stack}.json"
        assert setup_inputs(job)["policy-pack"] is True
        assert job["concurrency"] == {"group": f"stack-{stack}", "cancel-in-progress": False}


def test_deploy_runs_the_fleet_hub_then_every_spoke_stack_in_parallel(tmp_path):
    jobs = load("deploy.yml")["jobs"]
    found, hub, spokes = jobs["fleet-spokes-found"], jobs["fleet-hub"], jobs["fleet-spokes"]
    assert found["needs"] == hub["needs"] == "test"
    assert set(spokes["needs"]) == {"fleet-hub", "fleet-spokes-found"}
    assert spokes["strategy"] == {"fail-fast": False, "matrix": {
        "stack": "${{ fromJSON(needs.fleet-spokes-found.outputs.stacks) }}"}}
    assert spokes["environment"] == "${{ matrix.stack }}"
    for job, stack in ((hub, "fleet-hub"), (spokes, "${{ matrix.stack }}")):
        pulumi = uses(job, "pulumi/actions")[0]["with"]
        assert (pulumi["command"], pulumi["stack-name"]) == ("up", stack)
        assert job["concurrency"] == {"group": f"stack-{stack}", "cancel-in-progress": False}
        assert setup_inputs(job)["policy-pack"] is True
    # The find step, run on this checkout, lists exactly the stacks whose fleet role is spoke.
    output = tmp_path / "output"
    script = next(step["run"] for step in steps(found) if step.get("id") == "find")
    subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, check=True,
                   env={**os.environ, "GITHUB_OUTPUT": str(output)})
    listed = json.loads(output.read_text().removeprefix("stacks="))
    spoke_files = [path.name.removeprefix("Pulumi.").removesuffix(".yaml")
                   for path in sorted(ROOT.glob("Pulumi.*.yaml"))
                   if (yaml.safe_load(path.read_text())["config"].get("groundwork:fleet") or {})
                   .get("role") == "spoke"]
    assert listed == spoke_files == ["fleet-spoke-a", "fleet-spoke-b"]


def _matrix_stacks(job) -> list[str]:
    return [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]


def test_drift_refreshes_then_fails_on_any_change_every_night():
    workflow = load("drift.yml")
    on = triggers(workflow)
    assert "workflow_dispatch" in on and on["schedule"][0]["cron"]
    drift = workflow["jobs"]["drift"]
    assert _matrix_stacks(drift) == ["dev", "prod"]
    assert drift["strategy"]["fail-fast"] is False
    install, preview = (step["with"] for step in uses(drift, "pulumi/actions"))
    assert "command" not in install
    # An in-memory refresh: no update lock, no state written, so it cannot disturb a deploy.
    assert (preview["command"], preview["refresh"], preview["expect-no-changes"]) == (
        "preview", True, True)
    assert workflow["jobs"]["report"]["if"] == "failure()"


def _concurrency_groups(name: str) -> dict[str, str]:
    return {job_name: job["concurrency"]["group"] for job_name, job in load(name)["jobs"].items()
            if "concurrency" in job}


def test_no_scheduled_job_can_cancel_a_deploy():
    """GitHub cancels the pending job of a concurrency group when another one queues, whatever
    cancel-in-progress says; a nightly job in a deploy's group could cancel a prod deploy
    waiting for approval."""
    assert set(_concurrency_groups("deploy.yml").values()) == {
        "stack-dev", "stack-prod", "stack-fleet-hub", "stack-${{ matrix.stack }}"}
    for name in ("drift.yml", "preview.yml"):
        for group in _concurrency_groups(name).values():
            assert not group.startswith("stack-"), (name, group)


@pytest.mark.parametrize("name,jobs", [("preview.yml", ["preview"]), ("drift.yml", ["drift"]),
                                       ("deploy.yml", ["dev", "prod"])])
def test_jobs_that_reach_a_cluster_run_where_the_variables_say(name, jobs):
    workflow = load(name)
    for job_name in jobs:
        job = workflow["jobs"][job_name]
        if "strategy" in job:
            assert job["runs-on"] == "${{ fromJSON(matrix.runner) }}"
            runners = {e["stack"]: e["runner"] for e in job["strategy"]["matrix"]["include"]}
        else:
            runners = {job_name: job["runs-on"]}
        for stack, runner in runners.items():
            variable = f"vars.RUNNER_{stack.upper()}"
            assert variable in runner and '"ubuntu-24.04"' in runner, (job_name, runner)


@pytest.mark.parametrize("name", ["preview.yml", "drift.yml"])
def test_preview_and_drift_fail_loudly_when_the_cluster_is_unreachable(name):
    job = load(name)["jobs"]["preview" if name == "preview.yml" else "drift"]
    names = [step.get("name", step.get("uses", "")) for step in steps(job)]
    check = names.index("Fail unless the cluster is reachable")
    previews = [i for i, step in enumerate(steps(job))
                if step.get("with", {}).get("command") == "preview"]
    assert previews and check < min(previews)
    assert ".github/scripts/cluster-reachable.sh" in steps(job)[check]["run"]


def test_the_reachability_check_fails_without_an_api_server_and_passes_without_a_cluster(
        tmp_path):
    """The script against stand-in `pulumi` and `kubectl` commands."""
    script = ROOT / ".github" / "scripts" / "cluster-reachable.sh"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()

    def stub(command: str, body: str) -> None:
        path = bin_dir / command
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)

    def check(kubeconfig: str, api_up: bool) -> subprocess.CompletedProcess:
        stub("pulumi", f"printf '%s' '{kubeconfig}'")
        stub("kubectl", "exit 0" if api_up else "echo 'dial tcp: i/o timeout' >&2; exit 1")
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        return subprocess.run(["bash", str(script), "prod"], capture_output=True, text=True,
                              env=env, check=False)

    config = "apiVersion: v1\nkind: Config\n"
    down = check(config, api_up=False)
    assert down.returncode == 1 and "RUNNER_PROD" in down.stdout
    assert check(config, api_up=True).returncode == 0
    assert check("", api_up=False).returncode == 0


def shared_schemas():
    return Path(os.environ.get("GROUNDWORK_SCHEMAS", ROOT.parent / "shared" / "schemas"))


def manifest():
    lines = SCHEMAS_MANIFEST.read_text().splitlines()
    return [line.split() for line in lines if line and not line.startswith("#")]


def test_schema_manifest_pins_every_upstream_file_to_a_commit():
    for sha256, path, url in manifest():
        assert re.fullmatch(r"[0-9a-f]{64}", sha256), path
        assert re.fullmatch(r"https://raw\.githubusercontent\.com/"
                            r"[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+", url), url
        # The local name may differ from upstream's (package.json is pulumi.json upstream), but
        # never its kind of file.
        assert Path(url).suffix == Path(path).suffix, url


@pytest.mark.skipif(not shared_schemas().is_dir(),
                    reason="no upstream schemas folder on this machine")
def test_schema_manifest_lists_exactly_the_shared_schemas():
    files = {str(path.relative_to(shared_schemas())) for path in shared_schemas().rglob("*")
             if path.is_file() and path.name != "README.md"}
    assert {path for _, path, _ in manifest()} == files


@pytest.mark.skipif(not shared_schemas().is_dir(),
                    reason="no upstream schemas folder on this machine")
def test_schemas_script_accepts_the_upstream_copy_and_rejects_a_changed_file(tmp_path):
    # Every file is present, so the script downloads nothing and only checks hashes.
    copy = tmp_path / "schemas"
    shutil.copytree(shared_schemas(), copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    check = ["bash", str(SCHEMAS_SCRIPT), str(copy)]
    accepted = subprocess.run(check, capture_output=True, text=True, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    with (copy / "argocd" / "application-crd.yaml").open("a") as changed:
        changed.write("# edited\n")
    assert subprocess.run(check, capture_output=True, text=True, check=False).returncode != 0


CHARTS_MANIFEST = ROOT / ".github" / "upstream-charts.txt"
SHARED_CHARTS = ROOT.parent / "shared" / "charts"


def chart_manifest():
    lines = CHARTS_MANIFEST.read_text().splitlines()
    return [line.split() for line in lines if line and not line.startswith("#")]


def test_chart_manifest_pins_every_values_file_to_a_commit():
    for sha256, path, url in chart_manifest():
        assert re.fullmatch(r"[0-9a-f]{64}", sha256), path
        assert re.fullmatch(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+",
                            url), url
        assert url.endswith("/" + Path(path).name), url


@pytest.mark.skipif(not SHARED_CHARTS.is_dir(), reason="no upstream charts folder on this machine")
def test_chart_manifest_lists_exactly_the_shared_chart_files():
    files = {str(path.relative_to(SHARED_CHARTS)) for path in SHARED_CHARTS.rglob("*")
             if path.is_file() and path.name != "README.md"}
    assert {path for _, path, _ in chart_manifest()} == files


@pytest.mark.skipif(not SHARED_CHARTS.is_dir(), reason="no upstream charts folder on this machine")
def test_the_fetch_script_checks_the_chart_values_too(tmp_path):
    copy = tmp_path / "charts"
    shutil.copytree(SHARED_CHARTS, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    check = ["bash", str(SCHEMAS_SCRIPT), str(copy), str(CHARTS_MANIFEST)]
    accepted = subprocess.run(check, capture_output=True, text=True, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    with (copy / "argo-cd-10.1.1" / "values.yaml").open("a") as changed:
        changed.write("# edited\n")
    assert subprocess.run(check, capture_output=True, text=True, check=False).returncode != 0


def test_setup_fetches_both_upstream_folders_and_checks_them():
    setup = (ROOT / "tools" / "setup.sh").read_text()
    for kind in ("schemas", "charts"):
        assert f".github/upstream-{kind}.txt" in setup or "upstream-$kind.txt" in setup
    assert "pip install" in setup and "schemas.sh" in setup
