"""How many reconciles an engine runs in parallel, sized from the number of seed apps: a pure
function of the count that the engines' manifest builders put into the chart values.

Flux: kustomize-controller reconciles `--concurrent` Kustomizations at a time, 4 by default
(kustomize-controller v1.8.3 main.go). With `wait: true` a reconcile holds its worker until what
it applied is healthy, so at the default a thousand apps converge four at a time
(fluxcd/kustomize-controller#816). Flux's vertical-scaling guide advises `--concurrent=10` (with
higher CPU and memory limits) "if Flux is managing hundreds of applications"
(https://fluxcd.io/flux/installation/configuration/vertical-scaling/). More workers than that in
one controller made every reconcile slower in #816 (20 workers: minutes per reconcile instead of
seconds, the builds competing for CPU); past it Flux's answer is sharding over several
controllers, not more workers. So: the default up to 100 apps, then one more worker per 25 apps,
up to the guide's 10 at 250 apps.

Argo CD: the application controller's `controller.status.processors` (20 by default) and
`controller.operation.processors` (10 by default) in argocd-cmd-params-cm. Argo CD's
high-availability guide (docs/operator-manual/high_availability.md): "For 1000 application we use
50 for --status-processors and 25 for --operation-processors". So: the defaults up to 400 apps,
then the guide's ratio, one status processor per 20 apps and one operation processor per 40.
"""

import math
from dataclasses import dataclass

# kustomize-controller v1.8.3 `--concurrent` default, and the vertical-scaling guide's value.
FLUX_DEFAULT_CONCURRENT = 4
FLUX_MAX_CONCURRENT = 10
FLUX_APPS_PER_WORKER = 25
# Argo CD v3.4.4 defaults, and apps per processor from the high-availability guide's 1000 apps.
ARGOCD_DEFAULT_STATUS = 20
ARGOCD_DEFAULT_OPERATION = 10
ARGOCD_APPS_PER_STATUS = 20
ARGOCD_APPS_PER_OPERATION = 40


def flux_concurrent(apps: int) -> int:
    """kustomize-controller's `--concurrent` for `apps` seed apps."""
    return min(FLUX_MAX_CONCURRENT,
               max(FLUX_DEFAULT_CONCURRENT, math.ceil(apps / FLUX_APPS_PER_WORKER)))


@dataclass(frozen=True)
class Processors:
    """Argo CD's application controller queue processors."""

    status: int
    operation: int


def argocd_processors(apps: int) -> Processors:
    """Status and operation processors for `apps` seed apps."""
    return Processors(status=max(ARGOCD_DEFAULT_STATUS, math.ceil(apps / ARGOCD_APPS_PER_STATUS)),
                      operation=max(ARGOCD_DEFAULT_OPERATION,
                                    math.ceil(apps / ARGOCD_APPS_PER_OPERATION)))
