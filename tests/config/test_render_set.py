"""`python -m tools.render --set` speaks `pulumi config set --path`: the same path syntax (dots,
`[index]`, `["quoted.key"]`, a namespace before a colon), the same rules (an index may append
one item, a path may not cross a value of another type), and any bad path or input is a clear
exit-2 error, never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.config.support import examples
from tools import harness
from tools.render import command as render

IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Paths into the dev stack's config, as segments, with values that fit there.
PATHS: list[tuple[list[str | int], Any]] = [
    (["cluster", "nodeGroups", 0, "maxSize"], st.integers(2, 9)),
    (["cluster", "nodeGroups", 0, "labels", "example.com/pool"], st.sampled_from(["a", "b"])),
    (["gitops", "argocd", "values", "server.ingress"], st.just({"enabled": False})),
    (["gitops", "argocd", "values", 'say "hi"'], st.just("x")),
    (["gitops", "apps", 0, "wave"], st.integers(0, 3)),
    (["gitops", "apps", 1], st.just({"name": "web", "path": "apps/web", "namespace": "web"})),
    (["network", "azCount"], st.integers(2, 3)),
    (["gitops", "engine"], st.sampled_from(["argocd", "flux"])),
]


@st.composite
def spelled(draw, segments: list[str | int]) -> str:
    """A path as `pulumi config set --path` takes it: names after dots or quoted in brackets."""
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif IDENTIFIER.fullmatch(segment) and not draw(st.booleans(), label="quote"):
            text += f".{segment}" if text else segment
        else:
            text += '["' + segment.replace('"', '\\"') + '"]'
    return text


def _at(values: dict[str, Any], key: str, segments: list[str | int]) -> Any:
    node: Any = values[key]
    for segment in segments:
        node = node[segment]
    return node


@examples(60)
@given(data=st.data())
def test_set_paths_land_where_pulumi_puts_them(data):
    segments, values = data.draw(st.sampled_from(PATHS), label="path")
    value = data.draw(values, label="value")
    path = data.draw(spelled(segments), label="spelled")
    if data.draw(st.booleans(), label="namespaced"):
        path = f"groundwork:{path}"
    key, parsed = render._override(f"{path}={json.dumps(value)}")
    config, _ = harness.stack_values("dev", overrides={key: parsed})
    assert _at(config, f"groundwork:{segments[0]}", segments[1:]) == value


BAD_PATHS = ["a[", 'a["x', 'a["x"', "a[x]", "cluster.nodeGroups[-1].maxSize", "[0]", '[""]',
             "cluster.nodeGroups[9].maxSize", "network[0]", "network.cidr.x",
             "gitops.apps[0][0]", "gitops.addons.x", "gitops[", "aws:", ":x", "a:b:c"]
VALUES = st.one_of(st.sampled_from(["3", "true", "null", "NaN", "-Infinity", "{", "[1,", '"x"',
                                    '{"a": [1, {"b": null}]}', "", "=", "1e400"]),
                   st.text(max_size=12), st.integers().map(str))


@examples(30)
@given(data=st.data())
def test_render_never_prints_a_traceback(data):
    kind = data.draw(st.sampled_from(["bad", "valid", "through a value"]), label="kind")
    if kind == "bad":
        key = data.draw(st.one_of(st.sampled_from(BAD_PATHS), st.text(max_size=10)), label="key")
    else:
        segments, _ = data.draw(st.sampled_from(PATHS), label="path")
        if kind == "through a value":
            # One segment past a value: into a number, a string or a map by index.
            segments = [*segments, data.draw(st.sampled_from(["x", 0]), label="past")]
        key = data.draw(spelled(segments), label="key")
    value = data.draw(VALUES, label="value")
    stderr = io.StringIO()
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stderr(stderr), \
            contextlib.redirect_stdout(io.StringIO()):
        try:
            code = render.main(["--stack", data.draw(st.sampled_from(["dev", "local"])),
                                "--out", out, "--set", f"{key}={value}"])
        except SystemExit as exited:  # argparse's own usage errors
            code = exited.code
    event(f"exit {code}")
    assert code in (render.EXIT_VALID, render.EXIT_INVALID, render.EXIT_CONFIG)
    assert "Traceback" not in stderr.getvalue()
    if code == render.EXIT_CONFIG:
        assert stderr.getvalue().strip(), "an exit-2 error says why"


@pytest.mark.parametrize("path", BAD_PATHS)
def test_a_bad_path_is_an_exit_2_error_naming_it(path, capsys):
    with tempfile.TemporaryDirectory() as out:
        try:
            code = render.main(["--stack", "dev", "--out", out, "--set", f"{path}=1"])
        except SystemExit as exited:
            code = exited.code
    err = capsys.readouterr().err
    assert code == render.EXIT_CONFIG, err
    assert path in err and "Traceback" not in err


@pytest.mark.parametrize("text", [
    "config: [\n  password: gw-canary-9d1f\n", "- 1\n", "config: [1, 2]\n", "config:\n  1: 2\n",
    "config:\n  groundwork: 1\n", "config:\n  a:b:c: 1\n",
], ids=["not-yaml", "a-list", "config-a-list", "int-key", "no-namespace", "two-colons"])
def test_a_stack_file_the_cli_cannot_read_is_an_exit_2_error(text, tmp_path, capsys):
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((harness.ROOT / name).read_text())
    (tmp_path / "Pulumi.odd.yaml").write_text(text)
    code = render.main(["--stack", "odd", "--out", str(tmp_path / "out")], root=tmp_path)
    err = capsys.readouterr().err
    assert code == render.EXIT_CONFIG and "Pulumi.odd.yaml: " in err
    assert "Traceback" not in err and "gw-canary-9d1f" not in err
