"""Type tokens that changed: a component registered under an earlier token keeps its state."""

import pulumi


def renamed_from(former_type: str,
                 opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """`opts` plus an alias to the component's former type token. Until 0.1.0 each component had a
    token of its own module (`groundwork:eks:EksCluster`); the package serves them all under
    `groundwork:index:`. The alias, inherited by every child, lets a stack created before update
    in place instead of replacing everything."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        aliases=[pulumi.Alias(type_=former_type)]))
