"""Git credentials stay secret: a canary set as gitCredentials, in either shape, reaches the
cluster only through secret inputs and never appears in plain text in a resource input, a stack
output, an engine log line or a rendered file, on every stack with either engine."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENGINES, STACKS
from tools.harness.tree import spell, under, walk
from tools.render import command as render

CANARY = "gw-canary-2c9e41"
CREDENTIALS = {
    "https": ("https://github.com/example/private.git",
              {"username": f"{CANARY}-user", "password": f"{CANARY}-token"}),
    "ssh": ("git@github.com:example/private.git",
            {"sshPrivateKey": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}-key\n"
                              "-----END OPENSSH PRIVATE KEY-----\n",
             "knownHosts": f"github.com ssh-ed25519 {CANARY}-host"}),
}


def _strings(value: Any, secret_paths: frozenset[str]) -> Iterable[tuple[str, str]]:
    """(path, text) of every string outside the secret paths, keys included."""
    secret = frozenset(path for path, _ in walk(value) if spell(path) in secret_paths)
    for path, node in walk(value):
        if under(path, secret):
            continue
        if isinstance(node, dict):
            yield from ((spell(path), str(key)) for key in node)
        elif isinstance(node, str):
            yield spell(path), node


def _run(run_stack, stack: str, engine: str, shape: str):
    repo_url, credentials = CREDENTIALS[shape]
    return run_stack(stack, gitops__engine=engine, gitops__repoUrl=repo_url,
                     gitCredentials=credentials)


@pytest.mark.parametrize("shape", sorted(CREDENTIALS))
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", STACKS)
def test_credentials_never_appear_in_plain_text(run_stack, stack, engine, shape):
    run = _run(run_stack, stack, engine, shape)
    carriers = []
    for resource in run.resources:
        assert CANARY not in resource.urn
        leaks = [path for path, text in _strings(resource.inputs, frozenset(resource.secret_paths))
                 if CANARY in text]
        assert not leaks, f"{resource.type} {resource.name}: plain canary at {leaks}"
        if CANARY in json.dumps(resource.inputs):
            carriers.append(resource.type)
    # The credentials do reach the cluster, in a Kubernetes Secret and only as secrets.
    assert "kubernetes:core/v1:Secret" in carriers
    for name, output in run.outputs.items():
        assert output.secret or CANARY not in json.dumps(output.value), name
    assert not [line for line in run.logs if CANARY in line]


@pytest.mark.parametrize("engine,shape", [("argocd", "https"), ("flux", "ssh")])
def test_rendered_files_hold_no_credential(tmp_path: Path, engine, shape):
    repo_url, credentials = CREDENTIALS[shape]
    code = render.main(["--stack", "dev", "--out", str(tmp_path),
                        "--set", f"gitops.engine={engine}", "--set", f"gitops.repoUrl={repo_url}",
                        "--set", f"gitCredentials={json.dumps(credentials)}"])
    assert code == render.EXIT_VALID
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 5
    assert not [path for path in files if CANARY in path.read_text()]
