"""Run the groundwork program under Pulumi's mocks and record everything it registers."""

import logging
import runpy
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tools.harness.mocks import (
    ACCOUNT_ID,
    DEFAULT_CALLER_ARN,
    DEFAULT_REGION,
    Cloud,
    GroundworkMocks,
)
from tools.harness.recording import LogCollector, Output, RecordingMonitor, Run
from tools.harness.stack_config import PROJECT, ROOT, as_config_strings, stack_values


def deployer(values: Mapping[str, Any]) -> str:
    """Who deploys a stack with config `values`: an identity of the account its
    `aws:allowedAccountIds` names first (the provider refuses any other), else the mocks'
    default caller."""
    accounts = values.get("aws:allowedAccountIds")
    if isinstance(accounts, list) and accounts and isinstance(accounts[0], str):
        return DEFAULT_CALLER_ARN.replace(ACCOUNT_ID, accounts[0])
    return DEFAULT_CALLER_ARN


def run(stack: str, overrides: Mapping[str, Any] | None = None,
        project_dir: Path = ROOT, caller_arn: str | None = None,
        cloud: Cloud | None = None, secret: Iterable[str] = (),
        program: Callable[[], object] | None = None) -> Run:
    """Run the program for `stack` under mocks, as `caller_arn` (by default `deployer`), in an
    account that already holds `cloud`, with the keys `secret` names marked secret (see
    `stack_values`). `program`, when
    given, runs instead of the project's __main__.py with the same config and mocks (the bench's
    SDK floor, tests of one registration). Raises what the program raises (ConfigError)."""
    values, secret_keys = stack_values(stack, project_dir, overrides, secret)
    # The mocks answer for the region the provider would use; a value no region has is the
    # program's to refuse, not a reason for the mocks to fail.
    region = values.get("aws:region")
    region = region if isinstance(region, str) and region else DEFAULT_REGION
    caller_arn = caller_arn or deployer(values)
    collector = LogCollector()
    logger = logging.getLogger(f"groundwork.mocks.{stack}")
    logger.propagate = False
    logger.handlers = [collector]
    logger.setLevel(logging.DEBUG)
    program_mocks = GroundworkMocks(region, caller_arn, cloud)
    monitor = RecordingMonitor(program_mocks)

    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per run
    # Nor RPCs and outputs left over from a run that failed in the engine (a StackReference to a
    # stack that does not exist), which the SDK would await, and fail on, at the end of this one;
    # as the SDK's own `mocks.test` clears them.
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    mocks.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, logger=logger,
                    monitor=monitor)
    pulumi.runtime.set_all_config(as_config_strings(values), sorted(secret_keys))
    root = runtime_settings.get_root_resource()
    assert isinstance(root, Stack), "set_mocks creates the stack resource"
    result = Run(stack=stack, config=values, secret_keys=secret_keys)

    async def main() -> None:
        if program is None:
            program_globals = runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
            result.settings = program_globals.get("settings")
        else:
            program()
        for name, value in root.outputs.items():
            output = pulumi.Output.from_input(value)
            result.outputs[name] = Output(await output.future(), await output.is_secret())

    try:
        _sync_await(run_pulumi_func(main))
    except Exception as error:
        # What was registered before the failure, for callers that check a ConfigError left nothing.
        error.partial_run = result  # type: ignore[attr-defined]
        raise
    finally:
        result.resources = monitor.recorded
        result.logs = collector.lines
        result.invokes = program_mocks.invokes
    return result


def hub_cloud(stack: str, overrides: Mapping[str, Any] | None = None,
              project_dir: Path = ROOT) -> Cloud | None:
    """For a fleet spoke whose hub is a stack of this project (`fleet.hub` ends in the name of a
    stack file here): an account holding the hub's outputs, from a run of the hub, so the spoke
    runs offline as it would after the hub's `pulumi up`. None for any other stack."""
    values, _ = stack_values(stack, project_dir, overrides)
    fleet = values.get(f"{PROJECT}:fleet")
    hub = fleet.get("hub") if isinstance(fleet, dict) and fleet.get("role") == "spoke" else None
    if not isinstance(hub, str) or not (project_dir / f"Pulumi.{hub.rsplit('/', 1)[-1]}.yaml"
                                        ).is_file():
        return None
    outputs = run(hub.rsplit("/", 1)[-1], project_dir=project_dir).outputs
    return Cloud(stacks={hub: {name: output.value for name, output in outputs.items()}})
