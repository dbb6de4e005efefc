#!/usr/bin/env bash
# Usage: .github/scripts/cluster-reachable.sh STACK
#
# Fails unless this runner reaches STACK's Kubernetes API. A preview or refresh that cannot reach
# the cluster treats its objects as unknown and passes, which hides every change and all drift;
# this check turns that into a failure that says what to fix. A stack with no cluster yet passes:
# its preview shows the cluster being created. Needs the Pulumi CLI, kubectl and the AWS CLI (the
# kubeconfig authenticates with `aws eks get-token`, as Pulumi's own Kubernetes provider does).
set -euo pipefail

stack=$1
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
if ! pulumi stack output kubeconfig --show-secrets --stack "$stack" > "$kubeconfig" 2> /dev/null \
    || ! grep -q '^apiVersion:' "$kubeconfig"; then
  echo "Stack $stack has no cluster yet: nothing to reach."
  exit 0
fi
if ! kubectl --kubeconfig "$kubeconfig" --request-timeout=20s get --raw=/readyz > /dev/null; then
  variable="RUNNER_$(echo "$stack" | tr '[:lower:]' '[:upper:]')"
  echo "::error::The $stack cluster's API server is unreachable from this runner, so a preview" \
    "would pass without checking it. Run the job where it can reach the endpoint: set the" \
    "repository variable $variable to the labels of such a runner (for example a self-hosted" \
    "runner in the VPC, as a JSON array), or allow this runner's egress in" \
    "groundwork:cluster.publicAccessCidrs."
  exit 1
fi
echo "The $stack cluster's API server is reachable."
