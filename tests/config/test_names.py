"""Every generated name fits its service's limit for any name the config accepts, and the config
refuses, with a ConfigError naming the key, any name that could not fit.

The checks read the names the program actually registered under mocks (role and node group
prefixes, the cluster name, KMS alias, AWS tags, Kubernetes names, namespaces, labels, Helm
release names), not what the naming functions would return.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.common import naming
from components.config import ConfigError
from tests.conftest import ENGINES
from tools import harness
from tools.harness import Resource

# Limits of the services, written out here rather than taken from naming.py so that a wrong
# constant there cannot hide an overflow.
EKS_CLUSTER_NAME = 100
IAM_ROLE_NAME = 64
AWS_NAME_PREFIX_SUFFIX = 26
EKS_NODE_GROUP_NAME = 63
KMS_ALIAS = 256
AWS_TAG_KEY, AWS_TAG_VALUE = 128, 256
DNS_LABEL, DNS_SUBDOMAIN, LABEL_VALUE = 63, 253, 63
HELM_RELEASE_NAME = 53
CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
# Kinds whose names are DNS labels; every other object name is a DNS subdomain.
LABEL_NAMED_KINDS = {"kubernetes:core/v1:Namespace"}
CLUSTER_SCOPED_KINDS = {"kubernetes:storage.k8s.io/v1:StorageClass"}

_LABEL_CHARS = string.ascii_lowercase + string.digits
_CLUSTER_CHARS = string.ascii_letters + string.digits


@st.composite
def _text(draw, first: str, middle: str, last: str, *, low: int, high: int) -> str:
    """A name between low and high characters, often at either end of that range."""
    length = draw(st.one_of(st.sampled_from([low, high]), st.integers(low, high)))
    if length == 1:
        return draw(st.sampled_from(first))
    body = draw(st.text(middle, min_size=length - 2, max_size=length - 2))
    return draw(st.sampled_from(first)) + body + draw(st.sampled_from(last))


def dns_labels(high: int, low: int = 1):
    return _text(_LABEL_CHARS, _LABEL_CHARS + "-", _LABEL_CHARS, low=low, high=high)


def cluster_names(high: int = naming.CLUSTER_NAME_MAX, low: int = 1):
    return _text(_CLUSTER_CHARS, _CLUSTER_CHARS + "-_", _CLUSTER_CHARS + "-_", low=low, high=high)


class Checker:
    """Counts every check so a run that checked nothing cannot pass."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()

    def fits(self, kind: str, name: Any, limit: int, pattern: str | None = None) -> None:
        self.kinds[kind] += 1
        assert isinstance(name, str) and 0 < len(name) <= limit, (kind, name, limit)
        if pattern is not None:
            assert re.fullmatch(pattern, name), (kind, name)

    def label(self, kind: str, name: str) -> None:
        self.kinds[kind] += 1
        assert naming.is_dns_label(name) and len(name) <= DNS_LABEL, (kind, name)

    def subdomain(self, kind: str, name: str) -> None:
        self.kinds[kind] += 1
        assert naming.is_dns_subdomain(name) and len(name) <= DNS_SUBDOMAIN, (kind, name)


def check_labels(labels: dict[str, str] | None, check: Checker) -> None:
    for key, value in (labels or {}).items():
        check.kinds["label"] += 1
        assert naming.is_label_key(key) and naming.is_label_value(value), (key, value)


def check_aws(resource: Resource, check: Checker) -> None:
    inputs = resource.inputs
    if resource.type == "aws:eks/cluster:Cluster":
        check.fits("eks cluster name", inputs["name"], EKS_CLUSTER_NAME,
                   r"[0-9A-Za-z][A-Za-z0-9_-]*")
    elif resource.type == "aws:iam/role:Role":
        check.fits("iam role name prefix", inputs["namePrefix"],
                   IAM_ROLE_NAME - AWS_NAME_PREFIX_SUFFIX, r"[\w+=,.@-]+")
    elif resource.type == "aws:eks/nodeGroup:NodeGroup":
        check.fits("node group name prefix", inputs["nodeGroupNamePrefix"],
                   EKS_NODE_GROUP_NAME - AWS_NAME_PREFIX_SUFFIX, r"[0-9A-Za-z][A-Za-z0-9_-]*")
        check_labels(inputs.get("labels"), check)
    elif resource.type == "aws:kms/alias:Alias":
        check.fits("kms alias", inputs["name"], KMS_ALIAS, r"alias/(?!aws/)[A-Za-z0-9/_-]+")
    for key, value in (inputs.get("tags") or {}).items():
        check.fits("aws tag key", key, AWS_TAG_KEY)
        check.fits("aws tag value", value, AWS_TAG_VALUE)


def check_kubernetes(resource: Resource, check: Checker) -> None:
    inputs = resource.inputs
    if resource.type == "kubernetes:helm.sh/v3:Release":
        check.fits("helm release name", inputs["name"], HELM_RELEASE_NAME,
                   r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
        check.label("helm release namespace", inputs["namespace"])
        return
    metadata = inputs["metadata"]
    if resource.type in LABEL_NAMED_KINDS:
        check.label("namespace name", metadata["name"])
    elif resource.type in CLUSTER_SCOPED_KINDS:
        check.subdomain("object name", metadata["name"])
    else:
        check.subdomain("object name", metadata["name"])
        check.label("object namespace", metadata["namespace"])
    check_labels(metadata.get("labels"), check)
    for key in metadata.get("annotations") or {}:
        check.kinds["annotation key"] += 1
        assert naming.is_label_key(key), key
    for key in inputs.get("data") or {}:
        check.fits("config map key", key, DNS_SUBDOMAIN, CONFIG_MAP_KEY.pattern[1:-1])
    spec = inputs.get("spec") or {}
    for namespace in (spec.get("destination", {}).get("namespace"), spec.get("targetNamespace")):
        if namespace:
            check.label("target namespace", namespace)
    for element in (e for g in spec.get("generators", []) for e in g["list"]["elements"]):
        check.label("generated application name", element["name"])
        check.label("generated application namespace", element["namespace"])


def check_run(run: harness.Run) -> Checker:
    check = Checker()
    for resource in run.resources:
        if resource.type.startswith("aws:"):
            check_aws(resource, check)
        elif resource.type.startswith("kubernetes:"):
            check_kubernetes(resource, check)
    return check


@st.composite
def accepted_names(draw) -> tuple[str, dict[str, Any]]:
    """A stack and overrides whose every name is as long and odd as the config accepts."""
    stack = draw(st.sampled_from(["dev", "prod", "local"]))
    overrides: dict[str, Any] = {
        "environment": draw(dns_labels(naming.ENVIRONMENT_MAX)),
        "cluster.name": draw(cluster_names()),
        "gitops.engine": draw(st.sampled_from(ENGINES)),
        "gitops.argocd.applicationSet": draw(st.booleans()),
    }
    group_names = draw(st.lists(dns_labels(naming.NODE_GROUP_SETTING_MAX), min_size=1,
                                max_size=3, unique=True))
    if stack != "local":
        # The first group is the system pool, large enough for prod's Redis HA.
        overrides["cluster.nodeGroups"] = [
            {"name": name, "instanceTypes": ["m6i.large"], "minSize": 3, "desiredSize": 3,
             "maxSize": 3, "labels": {"groundwork.dev/pool": name}} for name in group_names]
        overrides["cluster.systemNodeGroup"] = group_names[0]
    app_names = draw(st.lists(dns_labels(naming.DNS_LABEL_MAX), min_size=1, max_size=3,
                              unique=True))
    overrides["gitops.apps"] = [
        {"name": name, "path": f"apps/{name}", "namespace": draw(dns_labels(naming.DNS_LABEL_MAX)),
         "wave": index, **({"repoUrl": "https://example.com/org/other.git"} if index else {})}
        for index, name in enumerate(app_names)]
    return stack, overrides


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(case=accepted_names())
def test_every_recorded_name_fits_for_any_accepted_input(case):
    stack, overrides = case
    check = check_run(harness.run(stack, overrides))
    expected = {"object name", "namespace name", "helm release name", "target namespace"}
    if stack != "local":
        expected |= {"eks cluster name", "iam role name prefix", "node group name prefix",
                     "aws tag key", "aws tag value", "label"}
    if overrides["gitops.engine"] == "argocd":
        # The bridge's `environment` and `enable_<addon>` labels on the cluster Secret.
        expected.add("label")
    assert expected <= set(check.kinds), check.kinds


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stack", ["dev", "prod", "local"])
def test_every_recorded_name_fits_in_each_stack(run_stack, stack, engine):
    check = check_run(run_stack(stack, gitops__engine=engine))
    assert sum(check.kinds.values()) >= 20


def test_longest_names_are_shortened_not_truncated_alike():
    """Two long cluster names that differ only at the end still get distinct role prefixes."""
    first, second = "c" * 99 + "1", "c" * 99 + "2"
    prefixes = {naming.iam_role_prefix(name, "autoscaler") for name in (first, second)}
    assert len(prefixes) == 2
    assert all(len(p) <= IAM_ROLE_NAME - AWS_NAME_PREFIX_SUFFIX for p in prefixes)


# Key path -> names just past what the config accepts, or with a character it refuses.
TOO_LONG = {
    "environment": st.one_of(dns_labels(64, naming.ENVIRONMENT_MAX + 1),
                             st.sampled_from(["Dev", "dev_1", "-dev", "dev."])),
    "cluster.name": st.one_of(cluster_names(160, naming.CLUSTER_NAME_MAX + 1),
                              st.sampled_from(["_c", "c.d", "c d", "-c"])),
    "cluster.nodeGroups[0].name": st.one_of(
        dns_labels(63, naming.NODE_GROUP_SETTING_MAX + 1), st.sampled_from(["Pool", "p_1", "p-"])),
    "gitops.apps[0].name": st.one_of(dns_labels(90, DNS_LABEL + 1),
                                     st.sampled_from(["App", "a.b", "a_b"])),
    "gitops.apps[0].namespace": st.one_of(dns_labels(90, DNS_LABEL + 1),
                                          st.sampled_from(["Ns", "n.s", "n_s"])),
}


def _overrides(path: str, name: str) -> dict[str, Any]:
    if path.startswith("cluster.nodeGroups"):
        return {"cluster.nodeGroups": [{"name": name, "instanceTypes": ["t3.large"]}]}
    if path.startswith("gitops.apps"):
        app = {"name": "podinfo", "path": "apps/podinfo", "namespace": "podinfo"}
        return {"gitops.apps": [{**app, path.rsplit(".", 1)[1]: name}]}
    return {path: name}


@pytest.mark.parametrize("path", sorted(TOO_LONG))
def test_names_that_cannot_fit_are_config_errors(path):
    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(name=TOO_LONG[path])
    def rejected(name):
        with pytest.raises(ConfigError) as caught:
            harness.run("dev", _overrides(path, name))
        assert caught.value.partial_run.resources == []
        assert any(p.startswith(f"groundwork:{path}: ") for p in caught.value.problems)

    rejected()
