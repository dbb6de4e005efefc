"""The README's composition example runs as written."""

from __future__ import annotations

import re
import shutil

from tools import harness


def test_composition_example_builds_the_gitops_layer(tmp_path):
    readme = (harness.ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "__main__.py").write_text(example)
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(harness.ROOT / name, tmp_path / name)
    run = harness.run("local", project_dir=tmp_path)
    types = {resource.type for resource in run.resources}
    assert {"groundwork:index:GitOps", "kubernetes:helm.sh/v3:Release",
            "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"} <= types
    assert not any(t.startswith("aws:") for t in types)
