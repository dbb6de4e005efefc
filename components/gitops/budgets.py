"""How long each step of taking an engine's objects down may take, derived in one place from the
slowest cascade, so the engine's own waits and Pulumi's stay consistent.

The slowest thing an engine deletes is an add-on with cloud resources behind it: helm-controller
uninstalls the release, and the load balancer controller deletes the AWS load balancers of the
Services it owned. ADDON is that budget; the sample tree's add-on Kustomizations carry it as
`spec.timeout` (gitops/addons/flux/addons.yaml, tested equal), and ADDONS, a little more, the
Kustomization of a cluster's whole add-on list that holds them (gitops/flux/addons.yaml, or a
fleet spoke's in its hub).

- A Flux Kustomization with `deletionPolicy: WaitForTermination` waits for what it applied for at
  most its `spec.timeout` (kustomize-controller v1.8.3, `finalize`: WaitForSetTermination with
  `obj.GetTimeout()`), then gives up, drops its finalizer and leaves the objects behind. So the
  root, whose inventory holds the add-on Kustomizations, must wait longer than any of them.
- Argo CD's resources finalizer has no bound of its own: it deletes wave by wave until nothing
  is left. Pulumi's delete timeout is then the only bound, and must cover the same cascade.
- Pulumi waits for a deleted object to be gone (finalizers included) for at most its
  `customTimeouts.delete`, default 10 minutes; each object's must exceed the engine's wait.
"""

from datetime import timedelta

import pulumi

# An add-on's uninstall, load balancers included.
ADDON = timedelta(minutes=10)
# A seed app: its workloads and their load balancers, the same kind of cascade as an add-on.
APP = ADDON
# A cluster's add-on list: every add-on at once (Kustomizations delete their inventory in
# parallel), plus the controller's requeue around them.
ADDONS = ADDON + timedelta(minutes=2)
# The root: the add-on list, plus the controller's requeue and garbage collection around it.
ROOT = ADDONS + timedelta(minutes=3)
# The Flux Operator deleting a ResourceSet (gitops.flux.resourceSet): it deletes the Flux objects
# it made, the seed apps' Kustomizations, waits for them at most a minute, then deletes the rest,
# the apps' identities and namespaces among them, without waiting (flux-operator v0.49.0,
# deleteAllStaged with fluxcd/pkg/ssa v0.74.0 DefaultWaitOptions). Unlike APP, this bound is the
# operator's, not groundwork's: an app's Kustomization keeps deleting what it applied after the
# ResourceSet is gone, so a teardown slower than a minute (a load balancer) can still be running
# when the destroy moves on to the root and the add-ons.
RESOURCE_SET_GC = timedelta(minutes=1)
# Installing the engine's controllers (the Flux Operator's FluxInstance): images pulled, pods ready.
INSTALL = timedelta(minutes=10)
# What Pulumi adds on top of the engine's wait before it calls the deletion failed.
PULUMI_MARGIN = timedelta(minutes=5)


def duration(budget: timedelta) -> str:
    """A Kubernetes/Go duration such as `15m`."""
    minutes, seconds = divmod(int(budget.total_seconds()), 60)
    return f"{minutes}m{seconds}s" if seconds else f"{minutes}m"


def pulumi_timeouts(engine_wait: timedelta,
                    create: timedelta | None = None) -> pulumi.CustomTimeouts:
    """Pulumi's timeouts for an object the engine finalizes within `engine_wait`; `create`, when
    given, bounds the health gate on create and update."""
    gate = duration(create) if create is not None else None
    return pulumi.CustomTimeouts(create=gate, update=gate,
                                 delete=duration(engine_wait + PULUMI_MARGIN))
