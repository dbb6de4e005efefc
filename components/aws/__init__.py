"""The AWS layer: network, EKS cluster, node groups, core EKS add-ons, and the IAM identities of
the GitOps-managed add-ons."""
